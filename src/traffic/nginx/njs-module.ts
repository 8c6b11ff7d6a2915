/**
 * Where nginx's njs module is: the driver's per-request split runs in njs (route.js). Debian and
 * Ubuntu ship it as the package libnginx-mod-http-js, a dynamic module in nginx's modules folder
 * (`--modules-path` in `nginx -V`); an nginx built with njs compiled in needs no load_module.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../domain/errors.ts';

export const NJS_PACKAGE = 'libnginx-mod-http-js';
const FILE = 'ngx_http_js_module.so';

/**
 * The module to load for `nginx -V` output `version`: a path, or null when njs is compiled in.
 * Throws naming the package when it is missing.
 */
export function njsModuleFrom(
  version: string,
  exists: (path: string) => boolean = existsSync,
): string | null {
  if (/--add-module=\S*njs\S*/.test(version)) return null;
  const dirs = [
    /--modules-path=(\S+)/.exec(version)?.[1],
    // nginx's default modules folder is <prefix>/modules.
    (/--prefix=(\S+)/.exec(version)?.[1] ?? '/usr/local/nginx') + '/modules',
  ].filter((d): d is string => d !== undefined);
  for (const dir of dirs) {
    const path = join(dir, FILE);
    if (exists(path)) return path;
  }
  throw new AppError(
    'TRAFFIC_DRIVER_FAILED',
    `the nginx driver needs nginx's njs module (${FILE}), not found in ${dirs.join(' or ')}; install it (apt-get install ${NJS_PACKAGE}) or set the nginx driver's jsModule path`,
  );
}

/** `nginx -V` of `binary`, then njsModuleFrom. */
export function findNjsModule(binary: string): string | null {
  const r = spawnSync(binary, ['-V'], { encoding: 'utf8' });
  if (r.error) {
    throw new AppError(
      'TRAFFIC_DRIVER_FAILED',
      `cannot run nginx "${binary}" (${r.error.message}); install it (apt-get install nginx ${NJS_PACKAGE}) or set the binary path`,
    );
  }
  return njsModuleFrom(`${r.stdout}\n${r.stderr}`);
}
