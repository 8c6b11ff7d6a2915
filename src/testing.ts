/**
 * Helpers shared by tests. A suite that needs a system service calls `needService`: without the
 * service it is skipped with a one-line reason, except under CI=true, where nothing may skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const inCI = process.env.CI === 'true';

/** Returns false (skip) or true (run); under CI a missing service is a failure, not a skip. */
export function serviceSkip(name: string, available: boolean, fix: string): string | false {
  if (available) return false;
  const reason = `${name} is not available here (${fix})`;
  if (inCI) throw new Error(`CI=true forbids skipping: ${reason}`);
  return reason;
}

/** True when something accepts TCP connections on host:port within the timeout. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when the named executable is on PATH. */
export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = 'slipway-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** The repo's root folder. */
export const repoRoot = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
