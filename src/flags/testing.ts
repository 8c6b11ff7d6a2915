/**
 * What `npm install slipway @openfeature/server-sdk` gives an app's project, for the demo and the
 * tests that run the example shop with flags: `<project>/node_modules` with the OpenFeature SDK and a
 * `slipway/flags/provider` that points at this checkout's source (an installed slipway has it built).
 * The shop's instances (under `<project>/.slipway/releases/`) find them by Node's walk up the folders.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../testing.ts';

export function linkProvider(projectDir: string): void {
  const modules = join(projectDir, 'node_modules');
  mkdirSync(join(modules, 'slipway'), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules', '@openfeature'), join(modules, '@openfeature'), 'dir');
  writeFileSync(
    join(modules, 'slipway', 'package.json'),
    JSON.stringify({ name: 'slipway', type: 'module', exports: { './flags/provider': './provider.js' } }),
  );
  writeFileSync(
    join(modules, 'slipway', 'provider.js'),
    `export * from ${JSON.stringify(pathToFileURL(join(repoRoot, 'src/flags/provider.ts')).href)};\n`,
  );
}

/** PATH with this Node (24) first: the provider's TypeScript source needs it, whatever `node` is first. */
export const PATH_WITH_THIS_NODE = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
