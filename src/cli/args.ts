/**
 * Parsers for command-line values, for commander's `.option(flags, description, parser)` and
 * `.argument(name, description, parser)`. Each checks its value before any command runs and
 * throws a USAGE error (exit 2) naming the flag, the value and what is expected — so `--limit abc`
 * or `--limit -5` never reach a query, and a version with a newline never reaches the store.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { durationOf } from '../config/units.ts';
import { AppError } from '../domain/errors.ts';
import { printable } from './printable.ts';

// JSON quoting escapes C0 controls; printable() the rest (C1, direction overrides).
const shown = (value: string) => printable(JSON.stringify(value));

function usage(flag: string, expected: string, value: string): AppError {
  return new AppError('USAGE', `${flag}: expected ${expected}, found ${shown(value)}`);
}

/** A whole number from `min` to `max` (decimal digits only: no `1e3`, `0x10`, `12abc`). */
export function integer(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const text = value.trim();
    const n = /^-?\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw usage(flag, `a whole number from ${min} to ${max}`, value);
    }
    return n;
  };
}

/** `--limit N` of list commands: 1..1000. */
export const limit = (flag = '--limit') => integer(flag, 1, 1000);

/** A TCP port, 1..65535; `allowZero` for "any free port". */
export function port(flag: string, allowZero = false): (value: string) => number {
  return integer(flag, allowZero ? 0 : 1, 65535);
}

/** A duration in slipway's one grammar (`30s`, `1h30m`), in milliseconds. */
export function duration(flag: string): (value: string) => number {
  return (value) => {
    const ms = durationOf(value.trim());
    if (typeof ms === 'string') throw usage(flag, `a duration such as 30s, 10m or 1h30m (${ms})`, value);
    if (ms <= 0) throw usage(flag, 'a duration greater than zero, such as 30s', value);
    return ms;
  };
}

/** Longest version slipway stores; longer ones are a mistake (a path or a changelog pasted in). */
export const MAX_VERSION_LENGTH = 128;

/** Why a version (or release reference) cannot be used; undefined when it can. */
export function versionProblem(value: string): string | undefined {
  if (value.trim() === '') return 'a version such as 1.4.2, not an empty one';
  if (value.length > MAX_VERSION_LENGTH) return `a version of at most ${MAX_VERSION_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/u.test(value)) {
    return 'a version of printable characters (no newlines, tabs, escape sequences or direction marks)';
  }
  if (value !== value.trim()) return 'a version without leading or trailing spaces';
  return undefined;
}

/** A release version: printable, no control characters, at most 128 characters. */
export function version(flag: string): (value: string) => string {
  return (value) => {
    const problem = versionProblem(value);
    if (problem) throw usage(flag, problem, value.length > 200 ? `${value.slice(0, 200)}…` : value);
    return value;
  };
}

/** Free text kept in the audit log (reasons, notes): printable, bounded. */
export function text(flag: string, max = 4096): (value: string) => string {
  return (value) => {
    if (value.length > max) throw usage(flag, `at most ${max} characters`, `${value.slice(0, 40)}…`);
    if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(value)) {
      throw usage(flag, 'printable text (no escape sequences or control characters)', value);
    }
    return value;
  };
}

/** A path that must exist (relative to `cwd` when given; the value is returned as typed). */
export function existingPath(flag: string, cwd?: () => string): (value: string) => string {
  return (value) => {
    if (value === '') throw usage(flag, 'a path', value);
    if (value.includes('\0')) throw usage(flag, 'a path without NUL characters', value);
    if (!existsSync(resolve(cwd?.() ?? process.cwd(), value))) {
      throw new AppError('FILE_NOT_FOUND', `${flag}: ${shown(value)} does not exist; check the path`);
    }
    return value;
  };
}

/** A non-empty name (environment, user): printable, no whitespace inside. */
export function name(flag: string, max = 128): (value: string) => string {
  return (value) => {
    if (value === '' || value.length > max || !/^[^\s\p{C}]+$/u.test(value)) {
      throw usage(flag, `a name of up to ${max} printable characters without spaces`, value);
    }
    return value;
  };
}
