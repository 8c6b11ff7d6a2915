/**
 * `logs?follow=1`: after the tail, new output of each instance log file is streamed as it is
 * written (polling the files' sizes), line by line and prefixed with the instance id, until the
 * reader goes away.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface LogFileSource {
  logFiles(env: string, release: string): { id: string; file: string }[];
}

export function hasLogFiles(runtime: object): runtime is LogFileSource {
  return typeof (runtime as Partial<LogFileSource>).logFiles === 'function';
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readRange(file: string, from: number, to: number): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    const read = readSync(fd, buffer, 0, buffer.length, from);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls `write` with every complete new line of the release's log files from now on; returns a
 * function that stops following. Files that appear later (a new instance) are followed from their start.
 */
export function followLogs(
  source: LogFileSource,
  env: string,
  release: string,
  write: (line: string) => void,
  intervalMs = 200,
): () => void {
  const offsets = new Map<string, number>();
  const partial = new Map<string, string>();
  for (const { file } of source.logFiles(env, release)) offsets.set(file, sizeOf(file));
  const poll = () => {
    for (const { id, file } of source.logFiles(env, release)) {
      const from = offsets.get(file) ?? 0;
      const size = sizeOf(file);
      if (size < from) offsets.set(file, 0); // truncated or replaced: start over
      if (size <= from) continue;
      const text = (partial.get(file) ?? '') + readRange(file, from, size);
      offsets.set(file, size);
      const lines = text.split('\n');
      partial.set(file, lines.pop() ?? '');
      for (const line of lines) write(`${id} | ${line}`);
    }
  };
  const timer = setInterval(poll, intervalMs);
  return () => clearInterval(timer);
}
