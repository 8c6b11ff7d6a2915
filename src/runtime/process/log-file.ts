import {
  appendFileSync,
  closeSync,
  copyFileSync,
  fstatSync,
  openSync,
  readSync,
  statSync,
  truncateSync,
} from 'node:fs';

/** The last `lines` lines of a file (oldest first); a missing file has none. Reads from the end only. */
export function tailFile(path: string, lines: number): string[] {
  if (lines <= 0) return [];
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const chunk = 16 * 1024;
    let start = size;
    let text = '';
    // Read backwards until enough line breaks are in hand (or the file is read whole).
    while (start > 0 && countNewlines(text) <= lines) {
      const from = Math.max(0, start - chunk);
      const buffer = Buffer.alloc(start - from);
      readSync(fd, buffer, 0, buffer.length, from);
      text = buffer.toString('utf8') + text;
      start = from;
    }
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines);
  } finally {
    closeSync(fd);
  }
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/** Adds one line from slipway itself to an instance's log, marked so it is told apart from the app's. */
export function appendNote(path: string, note: string): void {
  try {
    appendFileSync(path, `[slipway ${new Date().toISOString()}] ${note}\n`, { mode: 0o600 });
  } catch {
    // A log line is never worth failing an operation for.
  }
}

/**
 * Keeps a log file under `maxBytes`: copies it to `<file>.1` (replacing the previous one) and
 * truncates it in place. The instance keeps its O_APPEND descriptor, so it goes on writing at the
 * new end; lines written between the copy and the truncation are lost, which is acceptable for logs.
 */
export function rotateIfLarge(path: string, maxBytes: number): boolean {
  try {
    if (statSync(path).size <= maxBytes) return false;
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    return true;
  } catch {
    return false;
  }
}
