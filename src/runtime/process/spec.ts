/** Checks on an InstanceSpec before anything is started, and its fingerprint for adoption. */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { AppError } from '../../domain/errors.ts';
import type { InstanceSpec } from '../contract.ts';

/** What decides whether a running instance can be adopted: the same command, folder and config. */
export function specFingerprint(spec: InstanceSpec): string {
  const vars = Object.entries(spec.vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const body = JSON.stringify([spec.app, spec.command, spec.cwd, vars, spec.health.path]);
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

export function checkSpec(spec: InstanceSpec): void {
  const where = `release ${spec.release} of ${spec.app} in ${spec.env}`;
  if (!Number.isInteger(spec.count) || spec.count < 1) {
    throw new AppError(
      'USAGE',
      `${where}: instances must be a whole number of at least 1, got ${spec.count}`,
    );
  }
  let isDir = false;
  try {
    isDir = statSync(spec.cwd).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new AppError(
      'INSTANCE_START_FAILED',
      `${where}: release folder ${spec.cwd} does not exist or is not a folder`,
    );
  }
  if (spec.command.trim() === '')
    throw new AppError('USAGE', `${where}: run.command is empty; set the command to start`);
}
