/**
 * The project's pinned SSH host keys: `.slipway/known_hosts`, in OpenSSH's format (so `ssh -o
 * UserKnownHostsFile=.slipway/known_hosts` reads it too). `slipway hosts trust` writes it; every
 * other connection only compares against it, so a host whose key changed is refused.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** OpenSSH's name for a host: `addr` on port 22, `[addr]:port` otherwise. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** `SHA256:…` as `ssh-keygen -l` prints it, from the raw key blob the server sent. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`…). */
export function keyType(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('ascii');
}

export interface PinnedKey {
  readonly type: string;
  readonly blob: Buffer;
}

export class KnownHosts {
  private readonly file: string;
  constructor(file: string) {
    this.file = file;
  }

  /** The pinned keys of every host; a missing file is an empty list. */
  read(): Map<string, PinnedKey> {
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const pins = new Map<string, PinnedKey>();
    for (const line of text.split('\n')) {
      const [names, type, base64] = line.trim().split(/\s+/);
      if (!names || names.startsWith('#') || !type || !base64) continue;
      for (const name of names.split(',')) pins.set(name, { type, blob: Buffer.from(base64, 'base64') });
    }
    return pins;
  }

  get(address: string, port: number): PinnedKey | undefined {
    return this.read().get(knownHostName(address, port));
  }

  /** Pins `blob` for the host, replacing nothing else; written atomically. */
  pin(address: string, port: number, blob: Buffer): void {
    const pins = this.read();
    pins.set(knownHostName(address, port), { type: keyType(blob), blob });
    const lines = [...pins].map(([name, key]) => `${name} ${key.type} ${key.blob.toString('base64')}`);
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${lines.join('\n')}\n`, { mode: 0o644 });
    renameSync(temp, this.file);
  }
}
