/**
 * Output for CLI commands: plain text for people (colour only on a terminal, never with NO_COLOR),
 * JSON for scripts (`--json`). Commands write through this, never to the console directly.
 */
import { styleText } from 'node:util';
import { printable, printableLines } from './printable.ts';

type Style = Parameters<typeof styleText>[0];

export interface Io {
  readonly json: boolean;
  /** A line (or lines) for people; control characters from stored data are shown escaped. */
  out(text: string): void;
  err(text: string): void;
  /** Pass bytes through unchanged (a child process's output). */
  raw(to: 'out' | 'err', chunk: Buffer | string): void;
  /** Print a value as JSON (for --json). */
  data(value: unknown): void;
  style(format: Style, text: string): string;
}

export interface IoStreams {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export function createIo(streams: IoStreams, json: boolean): Io {
  const color = streams.stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return {
    json,
    out: (text) => streams.stdout.write(`${printableLines(text, color)}\n`),
    err: (text) => streams.stderr.write(`${printableLines(text, color)}\n`),
    raw: (to, chunk) => (to === 'out' ? streams.stdout : streams.stderr).write(chunk),
    data: (value) => streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    style: (format, text) => (color ? styleText(format, text, { validateStream: false }) : text),
  };
}

/** Left-aligned columns for small tables; a cell never breaks its line (control characters escaped). */
export function table(cells: readonly (readonly string[])[]): string {
  const rows = cells.map((row) => row.map(printable));
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}
