/**
 * Packing and installing slipway as a user gets it: `npm pack` of this clone (its prepack script
 * builds lib/ and dist/web), then `npm install -g --prefix` of the tarball. Shared by the package
 * and container-image tests, which may run at the same time: packing rewrites lib/, so one pack
 * runs at a time (a lock folder), and the second test reuses the first one's tarball.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';
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

/** The newest modification time of the files a pack is made from. */
function newestInput(): number {
  const inputs = ['src', 'bin', 'scripts/build.ts', 'package.json', 'tsconfig.build.json', 'README.md'];
  let newest = 0;
  for (const input of inputs) {
    const path = join(repoRoot, input);
    const files = statSync(path).isDirectory() ? filesUnder(path).map((f) => join(path, f)) : [path];
    for (const f of files) newest = Math.max(newest, statSync(f).mtimeMs);
  }
  return newest;
}

/**
 * `npm pack` of this clone; returns the path of a copy of the tarball in `dest`. A tarball packed
 * earlier (test-artifacts/pack/) is reused while no file it was made from has changed since.
 */
export function packTarball(dest: string): Promise<string> {
  return withPackLock(async () => {
    const cache = join(repoRoot, 'test-artifacts', 'pack');
    const made = existsSync(cache) ? readdirSync(cache).find((f) => f.endsWith('.tgz')) : undefined;
    let tarball = made ? join(cache, made) : undefined;
    if (!tarball || statSync(tarball).mtimeMs <= newestInput()) {
      rmSync(cache, { recursive: true, force: true });
      mkdirSync(cache, { recursive: true });
      const packed = await run('npm', ['pack', '--pack-destination', cache, '--json'], { env: cleanEnv() });
      if (packed.code !== 0) throw new Error(`npm pack failed (${packed.code}):\n${packed.stderr}`);
      // The prepack script's lines come first; npm's JSON report is the last thing printed.
      const start = packed.stdout.search(/^\[$/m);
      const [info] = JSON.parse(packed.stdout.slice(Math.max(start, 0))) as { filename: string }[];
      if (!info) throw new Error(`npm pack printed no file:\n${packed.stdout}`);
      tarball = join(cache, info.filename);
    }
    const copy = join(dest, basename(tarball));
    copyFileSync(tarball, copy);
    return copy;
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
