/**
 * Builds what the npm package ships (run by `npm pack` through the prepack script): the sources in
 * src/ compiled to JavaScript in lib/ (same folder depth, so paths relative to a module hold in
 * both), files that are not TypeScript copied beside them, and the dashboard built into dist/web
 * (by Vite, unless the build there is current). The clone does not use lib/: bin/slipway.js runs
 * src/ whenever it is there.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ensureDashboard } from '../src/web/build.ts';

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');
const lib = join(root, 'lib');
// Sources of the dashboard and tests are not shipped; everything else in src/ is.
const NOT_SHIPPED = /(^web\/app\/|\.test\.ts$|\.bench\.ts$)/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

function fail(message: string): never {
  process.stderr.write(`build: ${message}\n`);
  process.exit(1);
}

rmSync(lib, { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);
if (tsc.status !== 0) fail(`tsc exited with ${tsc.status ?? tsc.signal}`);

let copied = 0;
for (const file of files(src)) {
  const rel = relative(src, file);
  if (file.endsWith('.ts') || NOT_SHIPPED.test(rel)) continue;
  mkdirSync(dirname(join(lib, rel)), { recursive: true });
  copyFileSync(file, join(lib, rel));
  copied++;
}
const stray = files(lib).filter((f) => f.endsWith('.ts'));
if (stray.length > 0) fail(`TypeScript files in lib/: ${stray.map((f) => relative(root, f)).join(', ')}`);

// Rebuilt unless the build in dist/web is newer than every dashboard source. It is not removed
// first: a server or test of this clone may be serving it right now.
const web = await ensureDashboard((line) => process.stdout.write(`build: ${line}\n`));
if (!web || !existsSync(join(web, 'index.html'))) fail('the dashboard build produced no index.html');
process.stdout.write(
  `build: lib/ (${files(lib).length} files, ${copied} copied as they are) and dist/web ready\n`,
);
