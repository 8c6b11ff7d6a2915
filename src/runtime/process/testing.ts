/**
 * Test helpers for the process runtime: a tiny example web service written into a temp release
 * folder, a spec for it, and pid bookkeeping so every test can prove nothing is left running.
 *
 * The example app's behaviour is steered by its environment:
 * - `HEALTHY_AFTER_MS`: /health answers 503 until then; `NEVER_HEALTHY=1`: always 503
 * - `CRASH_AFTER_MS`: exits with code 3 that long after listening
 * - `IGNORE_SIGTERM=1`: keeps running on SIGTERM (needs SIGKILL)
 * - `FAIL_AT_BOOT=1`: prints a few lines and exits with code 2 before listening
 * Routes: /health, /env (its environment as JSON), /slow?ms=N, /crash (exit 1), /pid.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceSpec } from '../contract.ts';
import { isAlive } from './proc.ts';

export const EXAMPLE_SERVER = `
import { createServer } from 'node:http';
const env = process.env;
const born = Date.now();
if (env.FAIL_AT_BOOT === '1') {
  for (let i = 1; i <= 30; i++) console.log('boot line ' + i);
  console.error('fatal: cannot boot');
  process.exit(2);
}
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/health') {
    const ok = env.NEVER_HEALTHY !== '1' && Date.now() - born >= Number(env.HEALTHY_AFTER_MS ?? 0);
    res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'not yet');
  } else if (url.pathname === '/env') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(process.env));
  } else if (url.pathname === '/pid') {
    res.writeHead(200).end(String(process.pid));
  } else if (url.pathname === '/slow') {
    setTimeout(() => res.writeHead(200).end('slow done'), Number(url.searchParams.get('ms') ?? 500));
  } else if (url.pathname === '/crash') {
    res.writeHead(200).end('bye', () => process.exit(1));
  } else {
    res.writeHead(200).end('hello from ' + (env.RELEASE ?? 'app'));
  }
});
server.listen(Number(env.PORT), '127.0.0.1', () => console.log('listening on ' + env.PORT));
if (env.CRASH_AFTER_MS) setTimeout(() => { console.error('crashing on purpose'); process.exit(3); }, Number(env.CRASH_AFTER_MS));
process.on('SIGTERM', () => {
  if (env.IGNORE_SIGTERM === '1') { console.log('ignoring SIGTERM'); return; }
  console.log('SIGTERM: finishing in-flight requests');
  server.close(() => process.exit(0));
});
`;

/** Writes the example app into `dir` (a release folder) and returns the command that starts it. */
export function writeExampleApp(dir: string): string {
  writeFileSync(join(dir, 'server.mjs'), EXAMPLE_SERVER);
  // The Node running the tests, by absolute path: instances get only PATH and HOME from us.
  return `"${process.execPath}" server.mjs`;
}

/** A spec for the example app in `dir`, with test-friendly timings. */
export function exampleSpec(dir: string, overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    app: 'shop',
    env: 'staging',
    release: 'v1',
    cwd: dir,
    command: writeExampleApp(dir),
    vars: {},
    count: 1,
    health: { path: '/health', intervalMs: 100, timeoutMs: 500 },
    startTimeoutMs: 5000,
    stopTimeoutMs: 2000,
    ...overrides,
  };
}

/** Collects pids seen during a test; `leftovers()` lists those still running. */
export class PidTracker {
  private readonly pids = new Set<number>();

  add(...pids: (number | null | undefined)[]): void {
    for (const pid of pids) if (typeof pid === 'number') this.pids.add(pid);
  }

  leftovers(): number[] {
    return [...this.pids].filter((pid) => isAlive(pid));
  }

  /** Last resort so a failing test does not leak processes: SIGKILL every tracked process group. */
  killAll(): void {
    for (const pid of this.leftovers()) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Polls `check` until it returns a value (not undefined) or the time is up; bounded, never a timing assert. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
