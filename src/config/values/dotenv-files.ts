/**
 * Reading `.env` files. Values come from the `dotenv` package (so they mean what every other tool
 * reads from the same file); dotenv silently skips lines it cannot parse, so we find those lines
 * ourselves and report them with file and line instead of dropping a setting without a word.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'dotenv';
import { AppError } from '../../domain/errors.ts';

export interface DotenvFile {
  readonly file: string;
  readonly values: Readonly<Record<string, string>>;
}

export interface DotenvLineError {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

// The line grammar dotenv's parser uses (dotenv lib/main.js LINE): KEY=VALUE or KEY: VALUE, optional
// `export `, quoted values may span lines. Used only to find what dotenv would skip.
const LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

/** Lines of `text` that dotenv would ignore although they are neither blank nor comments. */
export function findBadDotenvLines(file: string, text: string): DotenvLineError[] {
  const src = text.replace(/\r\n?/g, '\n');
  const covered = new Uint8Array(src.length + 1);
  for (const m of src.matchAll(LINE)) {
    covered.fill(1, m.index, m.index + m[0].length);
  }
  const errors: DotenvLineError[] = [];
  let offset = 0;
  src.split('\n').forEach((line, i) => {
    const trimmed = line.trim();
    const start = offset + line.indexOf(trimmed);
    offset += line.length + 1;
    if (trimmed === '' || trimmed.startsWith('#') || covered[start] === 1) return;
    errors.push({
      file,
      line: i + 1,
      message: `${file}:${i + 1}: cannot parse this line; write KEY=value (keys are letters, digits, _ . -)`,
    });
  });
  return errors;
}

/** Parse the text of one .env file; `errors` lists every line that was not understood. */
export function parseDotenv(file: string, text: string): { file: DotenvFile; errors: DotenvLineError[] } {
  return { file: { file, values: parse(text) }, errors: findBadDotenvLines(file, text) };
}

/**
 * Read .env files in order (later files override earlier ones during resolution). A file that does
 * not exist is skipped (a `.env.local` is optional by nature); one that cannot be read is an AppError.
 */
export function readDotenvFiles(paths: readonly string[]): {
  files: DotenvFile[];
  errors: DotenvLineError[];
} {
  const files: DotenvFile[] = [];
  const errors: DotenvLineError[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new AppError(
        'FILE_NOT_FOUND',
        `cannot read ${path}: ${(err as Error).message}; check its permissions`,
        {
          cause: err,
        },
      );
    }
    const parsed = parseDotenv(path, text);
    files.push(parsed.file);
    errors.push(...parsed.errors);
  }
  return { files, errors };
}
