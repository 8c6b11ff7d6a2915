/**
 * Packing and installing slipway as a user gets it: `npm pack` of this clone (its prepack script
 * builds lib/ and dist/web), then `npm install -g --prefix` of the tarball. Shared by the package
 * and container-image tests, which may run at the same time: packing rewrites lib/, so one pack
 * runs at a time (a lock folder), and each test gets its own tarball.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { repoRoot } from '../src/testing.ts';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end, with its output collected (and a limit, so a hang fails the test). */
export function run(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd ?? repoRoot,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 180_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** The environment without the outer `npm test`'s npm_* settings (they would steer the inner npm). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/**
 * PATH as a user has it: without this clone's node_modules/.bin (so the installed package must find
 * Node 24 itself); the Node running the tests comes last, for a machine with no other `node`.
 */
export function userPath(...first: string[]): string {
  const own = join(repoRoot, 'node_modules');
  const rest = (process.env.PATH ?? '').split(delimiter).filter((p) => p && !p.startsWith(own));
  return [...first, ...rest, dirname(process.execPath)].join(delimiter);
}

async function withPackLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(repoRoot, 'test-artifacts', 'pack.lock');
  mkdirSync(dirname(lock), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than any pack takes was left by a killed run.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 10 * 60_000) rmdirSync(lock);
      else if (i > 600) throw new Error(`another test holds ${lock} for too long`);
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmdirSync(lock);
  }
}

/** `npm pack` of this clone into `dest`; returns the tarball's path. */
export function packTarball(dest: string): Promise<string> {
  return withPackLock(async () => {
    const packed = await run('npm', ['pack', '--pack-destination', dest, '--json'], {
      env: cleanEnv(),
    });
    if (packed.code !== 0) throw new Error(`npm pack failed (${packed.code}):\n${packed.stderr}`);
    // The prepack script's lines come first; npm's JSON report is the last thing printed.
    const start = packed.stdout.search(/^\[$/m);
    const [info] = JSON.parse(packed.stdout.slice(Math.max(start, 0))) as { filename: string }[];
    if (!info) throw new Error(`npm pack printed no file:\n${packed.stdout}`);
    return join(dest, info.filename);
  });
}

/**
 * `npm install -g --prefix PREFIX tarball`. Dependencies come from the npm cache that this clone's
 * own `npm install` filled (--prefer-offline); only what is missing there is asked of the registry.
 */
export async function installTarball(tarball: string, prefix: string): Promise<Run> {
  return run(
    'npm',
    ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball],
    { env: cleanEnv({ PATH: userPath() }) },
  );
}

/** Every file under `dir`, as paths relative to it. */
export function filesUnder(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, join(base, e.name)) : [join(base, e.name)],
  );
}
