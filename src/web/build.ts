/**
 * Builds the dashboard with Vite when its output is missing or older than its sources, so that
 * `npm install` stays fast and `npm run demo` / `npm test` on a fresh clone need no manual step:
 * `slipway server` calls `ensureDashboard()` on start. The build goes to a temporary folder that is
 * renamed into place, so two servers starting at once never serve a half-written build. An
 * installed package has no sources and no Vite: it serves the dist/web built when it was packed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
export const WEB_SOURCE = join(here, 'app');
export const WEB_DIST = join(here, '..', '..', 'dist', 'web');
const VITE = join(here, '..', '..', 'node_modules', 'vite', 'bin', 'vite.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

export function dashboardIsCurrent(dist = WEB_DIST): boolean {
  const index = join(dist, 'index.html');
  return existsSync(index) && statSync(index).mtimeMs >= newestSource(WEB_SOURCE);
}

/** The folder to serve: built now if needed; null when Vite is not installed and no build exists. */
export async function ensureDashboard(log?: (line: string) => void): Promise<string | null> {
  const prebuilt = existsSync(join(WEB_DIST, 'index.html')) ? WEB_DIST : null;
  if (!existsSync(WEB_SOURCE)) return prebuilt;
  if (dashboardIsCurrent()) return WEB_DIST;
  if (!existsSync(VITE)) return prebuilt;
  const tmp = `${WEB_DIST}.tmp-${process.pid}-${Date.now()}`;
  log?.('building the dashboard (vite) ...');
  const config = join(here, 'vite.config.ts');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [VITE, 'build', '--config', config, '--outDir', tmp, '--logLevel', 'warn'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`vite build failed (${code}): ${err}`)),
    );
  });
  mkdirSync(join(WEB_DIST, '..'), { recursive: true });
  if (dashboardIsCurrent()) rmSync(tmp, { recursive: true, force: true });
  else {
    rmSync(WEB_DIST, { recursive: true, force: true });
    try {
      renameSync(tmp, WEB_DIST);
    } catch {
      // Another process renamed its build into place first; theirs is as good as ours.
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return WEB_DIST;
}
