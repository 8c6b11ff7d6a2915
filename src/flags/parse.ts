/**
 * Flag files: bytes → JSON (duplicate keys refused with their line, as JSON.parse would silently keep
 * the last) → the definition check → a compiled flag set.
 */
import { parseDocument } from 'yaml';
import { AppError } from '../domain/errors.ts';
import { checkFlagSet } from './check.ts';
import { describeProblem, type FlagProblem, type FlagSet } from './definition.ts';

/** Parse and check a flagd document's text; `source` names it in messages (a file name). */
export function parseFlagSet(text: string, source: string): FlagSet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new AppError('FLAGS_INVALID', `${source} is not valid JSON: ${(e as Error).message}`, {
      details: ['A flag file is flagd JSON: {"flags": {"my-flag": {"state": "ENABLED", …}}}'],
    });
  }
  const duplicates = duplicateKeys(text);
  const checked = checkFlagSet(doc);
  const problems: FlagProblem[] = [...duplicates, ...(checked.ok ? [] : checked.problems)];
  if (problems.length > 0 || !checked.ok) throw invalid(source, problems);
  return checked.value;
}

/** A flag file read for evaluation: the flags flagd could run, and those whose targeting it could not. */
export interface EvaluationFile {
  readonly set: FlagSet;
  /** Flags whose targeting cannot run (unknown operator, `$ref` to no evaluator): key → the problem. */
  readonly broken: ReadonlyMap<string, string>;
}

/**
 * Read a flagd document as flagd does for evaluation (`slipway flags evaluate`): the looser check of
 * CheckOptions `evaluate`, and a flag whose targeting cannot run is kept aside to answer PARSE_ERROR
 * (flagd's answer) instead of refusing the whole file. A document or flag that is not flagd's shape
 * at all (no "flags", a bad state, no variants, a default variant that does not exist) is refused.
 */
export function parseFlagFileForEvaluation(text: string, source: string): EvaluationFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new AppError('FLAGS_INVALID', `${source} is not valid JSON: ${(e as Error).message}`, {
      details: ['A flag file is flagd JSON: {"flags": {"my-flag": {"state": "ENABLED", …}}}'],
    });
  }
  const duplicates = duplicateKeys(text);
  if (duplicates.length > 0) throw invalid(source, duplicates);
  const broken = new Map<string, string>();
  let checked = checkFlagSet(doc, { mode: 'evaluate' });
  if (!checked.ok) {
    const fatal = checked.problems.filter((p) => p.flag === undefined || !p.path.includes('/targeting'));
    if (fatal.length > 0) throw invalid(source, fatal);
    for (const p of checked.problems)
      if (p.flag !== undefined && !broken.has(p.flag)) broken.set(p.flag, describeProblem(p));
    const d = doc as { flags: Record<string, unknown> };
    const flags = Object.fromEntries(Object.entries(d.flags).filter(([k]) => !broken.has(k)));
    checked = checkFlagSet({ ...d, flags }, { mode: 'evaluate' });
    if (!checked.ok) throw invalid(source, checked.problems);
  }
  return { set: checked.value, broken };
}

/** FLAGS_INVALID listing each problem with its flag and JSON pointer. */
export function invalid(source: string, problems: readonly FlagProblem[]): AppError {
  const first = problems[0];
  const head = first ? describeProblem(first) : 'invalid';
  return new AppError(
    'FLAGS_INVALID',
    `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}; the first: ${head}`,
    { details: problems.map(describeProblem) },
  );
}

/** Keys given twice in one object (a flag name collision among them), with the line of the second. */
function duplicateKeys(text: string): FlagProblem[] {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  return doc.errors
    .filter((e) => e.code === 'DUPLICATE_KEY')
    .map((e) => {
      const line = lineOf(text, e.pos[0]);
      const key = /^"((?:[^"\\]|\\.)*)"/.exec(text.slice(e.pos[0]))?.[1] ?? '?';
      return {
        path: `line ${line}`,
        message: `the key "${key}" is given twice in one object (a name collision); keep one`,
      };
    });
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
