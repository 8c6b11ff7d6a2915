/**
 * SQL through PostgreSQL's own parser (libpg_query compiled to WebAssembly): statements with their
 * place in the file, and the comments the scanner saw. Nothing here looks at SQL with a regex, so
 * a keyword in a string, a comment or a function body is never mistaken for a statement.
 */
import { setFlagsFromString } from 'node:v8';
import { loadModule, parseSync, type SqlError, scanSync } from 'libpg-query';

/** One parsed top-level statement: its node type, its fields, and where it starts and ends. */
export interface ParsedStatement {
  /** The parse node's type, e.g. AlterTableStmt. */
  readonly type: string;
  readonly node: Node;
  /** Character offsets in the file (not bytes). */
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
  /** The statement's text, without the trailing semicolon. */
  readonly text: string;
}

export interface ParsedComment {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

export interface ParsedFile {
  readonly statements: readonly ParsedStatement[];
  readonly comments: readonly ParsedComment[];
  /** Line and column of a parse-tree `location` (a byte offset). */
  at(byteOffset: number): { line: number; column: number };
}

// biome-ignore lint/suspicious/noExplicitAny: parse trees are JSON of many node types, read by field name
export type Node = Record<string, any>;

/** A file PostgreSQL's parser refuses: its own message and the place it points at. */
export class SqlParseError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(message);
    this.line = line;
    this.column = column;
  }
}

let loaded: Promise<void> | undefined;
/** Load the parser's WebAssembly once per process (about 20 ms). */
export function loadParser(): Promise<void> {
  // The parser is 1.7 MB of WebAssembly. V8's optimizing tier recompiles it in the background after
  // the first multi-statement parse, and a process waits for that at exit: 2–4 s added to every
  // `migrations lint` on this machine. The baseline compiler alone parses as fast for migration
  // sizes (bench/migrations-lint.ts), so tier-up is turned off before the module is compiled.
  if (!loaded) setFlagsFromString('--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering');
  loaded ??= loadModule();
  return loaded;
}

/** Line and column (1-based) of each character offset, for one text. */
export function positions(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] as number) + 1 };
  };
}

/** libpg_query counts bytes of UTF-8; JavaScript strings count UTF-16 units. */
function byteToChar(text: string): (byte: number) => number {
  if (Buffer.byteLength(text) === text.length) return (b) => b;
  const buf = Buffer.from(text);
  return (b) => buf.subarray(0, b).toString().length;
}

/** Parse one file; `loadParser()` must have finished. Throws SqlParseError with PostgreSQL's text. */
export function parseSql(text: string): ParsedFile {
  const at = positions(text);
  const char = byteToChar(text);
  let tree: { stmts?: Node[] };
  try {
    tree = parseSync(text) as { stmts?: Node[] };
  } catch (error) {
    const e = error as SqlError;
    const cursor = e.sqlDetails?.cursorPosition;
    // The cursor is a 0-based byte offset; past the end means "at end of input".
    const where = at(Math.min(text.length, char(Math.max(0, cursor ?? 0))));
    throw new SqlParseError(e.sqlDetails?.message ?? e.message, where.line, where.column);
  }
  const statements: ParsedStatement[] = [];
  for (const raw of tree.stmts ?? []) {
    const [type, node] = Object.entries(raw.stmt as Node)[0] as [string, Node];
    const startByte = (raw.stmt_location as number | undefined) ?? 0;
    const endByte = raw.stmt_len ? startByte + (raw.stmt_len as number) : Buffer.byteLength(text);
    const start = char(startByte);
    const end = char(endByte);
    const p = at(start);
    statements.push({ type, node, start, end, line: p.line, column: p.column, text: text.slice(start, end) });
  }
  const comments = scanSync(text)
    .tokens.filter((t) => t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT')
    .map((t) => {
      const start = char(t.start);
      return { text: t.text, start, end: char(t.end), line: at(start).line };
    });
  return { statements, comments, at: (b) => at(char(b)) };
}
