/**
 * The fingerprint label of a container (labels.ts `slipway.fingerprint`): what tells a new runtime
 * whether a running container still matches its spec, secrets included (a rotated secret must not
 * be adopted). Labels are public to anyone with engine access (`docker inspect`, `docker ps`), and
 * a plain hash of the spec would let them check a guessed secret value offline: so it is keyed
 * (HMAC-SHA-256) with a random key kept in the runtime's state folder, readable by its user only.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceSpec } from '../contract.ts';
import { specFingerprint } from '../process/spec.ts';

const KEY_FILE = 'fingerprint.key';

/** The key in `stateDir`, made on first use; the same for every runtime of that folder (adoption). */
function fingerprintKey(stateDir: string): Buffer {
  const path = join(stateDir, KEY_FILE);
  try {
    const key = readFileSync(path);
    if (key.length >= 32) return key;
  } catch {
    // not made yet
  }
  try {
    // `wx`: of two runtimes starting at once on the same folder, the second reads the first's key.
    writeFileSync(path, randomBytes(32), { mode: 0o600, flag: 'wx' });
  } catch {
    // made meanwhile
  }
  return readFileSync(path);
}

/** Keyed fingerprints of specs for the runtime whose state folder is `stateDir` (the key is made at the first). */
export function fingerprinter(stateDir: string): (spec: InstanceSpec) => string {
  let key: Buffer | undefined;
  return (spec) => {
    key ??= fingerprintKey(stateDir);
    return createHmac('sha256', key)
      .update(`${specFingerprint(spec)}\u0000${spec.image ?? ''}`)
      .digest('hex')
      .slice(0, 16);
  };
}
