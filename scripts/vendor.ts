/**
 * Copy a package and its dependencies from this repository's node_modules into a build's, for the
 * demo and the benchmarks: the example shop needs `pg` to read its database, and a release must
 * carry its own node_modules (a link to this checkout would not survive the release store).
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

export function vendor(dir: string, name: string, seen = new Set<string>()): void {
  if (seen.has(name)) return;
  seen.add(name);
  const from = join(root, 'node_modules', name);
  cpSync(from, join(dir, 'node_modules', name), { recursive: true, dereference: true });
  const deps = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')).dependencies ?? {};
  for (const dep of Object.keys(deps)) vendor(dir, dep, seen);
}
