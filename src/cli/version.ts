/**
 * slipway's version, read from package.json: the one place it is written. The path holds both in a
 * clone (src/cli/) and in the installed package (lib/cli/), which sit at the same depth.
 */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const VERSION: string = pkg.version;
