/**
 * Loading slipway.yaml: YAML syntax, then the schema, then the semantic rules — and every problem
 * found on the way is reported at once, each with file:line:column and its path.
 */
import { readFileSync, statSync } from 'node:fs';
import type { LineCounter } from 'yaml';
import { AppError } from '../domain/errors.ts';
import { decodeUtf8, sizeProblem } from './bytes.ts';
import { lifecycleOrder } from './lifecycle.ts';
import { formatPath, locate } from './locate.ts';
import { type Problem, problemsOf } from './problems.ts';
import { type SlipwayConfig, slipwayConfig } from './schema.ts';
import { semanticProblems } from './semantic.ts';
import { MAX_PROBLEMS, moreProblems, type RawProblem, readYaml } from './yaml-read.ts';

export interface LocatedProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
}

export type LoadResult =
  | { readonly ok: true; readonly config: SlipwayConfig; readonly lifecycle: readonly string[] }
  | { readonly ok: false; readonly problems: readonly LocatedProblem[] };

export function formatProblem(p: LocatedProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path}: ${p.message}`;
}

/** Parse and check config text; `file` is only used to name the place in messages. */
export function parseConfig(text: string, file: string): LoadResult {
  const read = readYaml(text);
  if (!read.ok) return { ok: false, problems: read.problems.map((p) => atOffset(p, file, read.lines)) };
  const { doc, lines, data } = read;
  if (data === null || data === undefined) {
    return {
      ok: false,
      problems: [
        {
          file,
          line: 1,
          column: 1,
          path: '(top level)',
          message: 'the file is empty; run `slipway init` to write a starting point',
        },
      ],
    };
  }
  const parsed = slipwayConfig.safeParse(data);
  const problems: Problem[] = parsed.success
    ? []
    : parsed.error.issues.flatMap((i) => problemsOf(i, data, slipwayConfig));
  problems.push(...semanticProblems(data));
  if (problems.length > 0 || !parsed.success) {
    const located = problems.map((p) => {
      const { line, column } = locate(doc, lines, p.path, p.key);
      return {
        file,
        line,
        column,
        path: formatPath(p.key === undefined ? p.path : [...p.path, p.key]),
        message: p.message,
      };
    });
    located.sort((a, b) => a.line - b.line || a.column - b.column);
    const unique = dedupe(located);
    if (unique.length <= MAX_PROBLEMS) return { ok: false, problems: unique };
    const shown = unique.slice(0, MAX_PROBLEMS);
    const last = shown[shown.length - 1] as LocatedProblem;
    shown.push({ ...last, message: moreProblems(unique.length - MAX_PROBLEMS) });
    return { ok: false, problems: shown };
  }
  return { ok: true, config: parsed.data, lifecycle: lifecycleOrder(parsed.data) };
}

function atOffset(p: RawProblem, file: string, lines: LineCounter): LocatedProblem {
  const { line, col } = lines.linePos(p.offset);
  return { file, line, column: col, path: p.path, message: p.message };
}

function dedupe(problems: LocatedProblem[]): LocatedProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = formatProblem(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Read and check a config file; a missing file is a usage error naming it. The size is checked
 * before reading and the bytes must be UTF-8 (never replaced silently).
 */
export function loadConfigFile(file: string, shownAs = file): LoadResult {
  let bytes: Buffer;
  try {
    const size = statSync(file).size;
    const tooBig = sizeProblem(size);
    if (tooBig)
      return {
        ok: false,
        problems: [{ file: shownAs, line: 1, column: 1, path: tooBig.path, message: tooBig.message }],
      };
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AppError(
      'FILE_NOT_FOUND',
      code === 'ENOENT'
        ? `${shownAs} does not exist; pass the config with -f FILE, or run \`slipway init\` to write one`
        : code === 'EISDIR'
          ? `${shownAs} is a folder; pass the config file itself with -f FILE`
          : `${shownAs} cannot be read (${code ?? 'unknown error'})`,
    );
  }
  const decoded = decodeUtf8(bytes);
  if ('problem' in decoded) {
    const { path, message } = decoded.problem;
    return { ok: false, problems: [{ file: shownAs, line: decoded.line, column: 1, path, message }] };
  }
  return parseConfig(decoded.text, shownAs);
}

/** Load a config that must be valid; throws CONFIG_INVALID listing every problem. */
export function requireConfig(
  file: string,
  shownAs = file,
): { config: SlipwayConfig; lifecycle: readonly string[] } {
  const result = loadConfigFile(file, shownAs);
  if (!result.ok) {
    throw new AppError('CONFIG_INVALID', `${shownAs} has ${result.problems.length} problem(s)`, {
      details: result.problems.map(formatProblem),
    });
  }
  return result;
}
