/**
 * Whether the proxy an external traffic driver runs (HAProxy, nginx) is installed. Asked by the
 * control plane before a deployment starts and by the agent before it creates the driver, so a
 * missing binary is one clear error naming slipway.yaml's key and the fix.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { AppError } from '../domain/errors.ts';
import type { RouterOptions } from './factory.ts';

/** The system binary each external driver runs, and the Debian packages that bring it. */
const BINARIES: Readonly<Record<string, { binary: string; install: string }>> = {
  haproxy: { binary: 'haproxy', install: 'apt-get install haproxy' },
  nginx: { binary: 'nginx', install: 'apt-get install nginx libnginx-mod-http-js' },
};

/**
 * Where `binary` is on PATH (or the path itself when it has a slash); undefined when missing.
 * PATH only, as the drivers spawn it by name.
 */
export function findBinary(binary: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = binary.includes('/')
    ? [binary]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, binary));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Refuses a driver whose binary is not installed, naming the slipway.yaml key and the fix.
 * Control plane (before a deployment starts) and agent (before it applies) both ask.
 */
export function checkDriverInstalled(env: string, driver: string, options: RouterOptions = {}): void {
  const need = BINARIES[driver];
  if (need === undefined) return;
  const binary = (driver === 'haproxy' ? options.haproxy?.binary : options.nginx?.binary) ?? need.binary;
  if (findBinary(binary) !== undefined) return;
  throw new AppError(
    'TRAFFIC_DRIVER_FAILED',
    `environments.${env}.router.driver: ${driver} needs the ${binary} binary, which is not installed (not on PATH); install it (${need.install}), add its folder (e.g. /usr/sbin) to PATH, or set router.driver: builtin`,
  );
}
