import { readFileSync } from 'node:fs';
import { AppError } from '../../domain/errors.ts';
import { writeJsonFileAtomic } from '../atomic-file.ts';

/** Writes JSON atomically (see `writeFileAtomic`): the old file or the new one, never a torn one. */
export function writeJsonAtomic(path: string, value: unknown, mode = 0o600): void {
  writeJsonFileAtomic(path, value, { mode });
}

/**
 * Reads a JSON file; a missing file is the normal "no prior state" and gives `fallback`. (The
 * agent's own state file is recovered differently: see AgentStateFile.)
 */
export function readJson<T>(path: string, fallback: T): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new AppError('RUNTIME_STATE_INVALID', `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new AppError(
      'RUNTIME_STATE_INVALID',
      `${path} is not valid JSON (${(error as Error).message}); fix it by hand or restore it from a backup. Do not remove it while slipway's processes run: what it tracks would no longer be supervised`,
    );
  }
}

/**
 * For files that only point at a process (its pid and address, rewritten at each start): one that
 * cannot be parsed is treated as absent, since it records nothing that the process does not
 * rewrite when it starts again.
 */
export function readPointerJson<T>(path: string, fallback: T): T {
  try {
    return readJson(path, fallback);
  } catch {
    return fallback;
  }
}
