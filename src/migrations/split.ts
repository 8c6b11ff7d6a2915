/**
 * Statements of a MariaDB/MySQL or SQLite migration file, for a rehearsal that runs and times them
 * one by one. dbgate-query-splitter knows each dialect's strings, comments, DELIMITER blocks and
 * trigger bodies (BEGIN … END), which no regex over SQL would. PostgreSQL files go through
 * PostgreSQL's own parser instead (parse.ts).
 */
import { mysqlSplitterOptions, splitQuery, sqliteSplitterOptions } from 'dbgate-query-splitter';

/** The splitter's rich result (returnRichInfo), which its index does not re-export. */
interface Rich {
  readonly text: string;
  readonly start: { readonly line: number };
  readonly trimStart?: { readonly line: number };
}

export interface SplitStatement {
  readonly text: string;
  /** 1-based line of the statement's first word (leading comments skipped). */
  readonly line: number;
}

export function splitStatements(sql: string, dialect: 'mariadb' | 'sqlite'): SplitStatement[] {
  const options = dialect === 'mariadb' ? mysqlSplitterOptions : sqliteSplitterOptions;
  const items = splitQuery(sql, { ...options, returnRichInfo: true }) as unknown as Rich[];
  return items
    .map((item) => {
      const start = item.trimStart ?? item.start;
      // The splitter keeps comments before a statement in its text: count their lines to the first word.
      const lines = item.text.trimStart().split('\n');
      let skip = 0;
      while (skip < lines.length - 1 && /^\s*(--.*)?$/.test(lines[skip] as string)) skip++;
      return { text: lines.slice(skip).join('\n').trim(), line: start.line + 1 + skip };
    })
    .filter((s) => s.text !== '' && !/^(\s*--[^\n]*\n?)*\s*$/.test(s.text));
}
