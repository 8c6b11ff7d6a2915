/**
 * Ships a release folder to a host once: a tar archive through the SSH connection, its SHA-256
 * checked on the host before it is unpacked into `<dir>/releases/<digest>/` (atomic rename), so a
 * host never runs a half-copied or altered release. Shipped releases stay for rollback.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import { sh } from './shell.ts';
import type { SshSession } from './ssh.ts';

/** The folder as a tar archive (system tar: the archive format the host unpacks with its own tar). */
export function tarOf(folder: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-C', folder, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new AppError('RELEASE_SOURCE_INVALID', `cannot pack ${folder}: ${err.trim()}`)),
    );
  });
}

export interface Shipped {
  /** The release folder on the host. */
  readonly path: string;
  /** False when the host had it already. */
  readonly copied: boolean;
}

/** Puts the release `digest` (files in `folder`) under `dir/releases/` on the host, once. */
export async function shipRelease(
  ssh: SshSession,
  dir: string,
  digest: string,
  folder: string,
): Promise<Shipped> {
  const releases = `${dir}/releases`;
  const path = `${releases}/${digest}`;
  const marker = `${path}.shipped`;
  const present = await ssh.exec(`test -f ${sh(marker)} && test -d ${sh(path)}`);
  if (present.code === 0) return { path, copied: false };
  const archive = await tarOf(folder);
  const sum = createHash('sha256').update(archive).digest('hex');
  const incoming = `${releases}/.incoming-${digest}`;
  const remoteSum = (
    await ssh.run(
      `mkdir -p ${sh(releases)} && cat > ${sh(`${incoming}.tar`)} && sha256sum ${sh(`${incoming}.tar`)}`,
      { input: archive },
    )
  ).split(/\s+/)[0];
  if (remoteSum !== sum) {
    await ssh.exec(`rm -f ${sh(`${incoming}.tar`)}`);
    throw new AppError(
      'HOST_DEPLOY_FAILED',
      `host ${ssh.target.address}: the release archive arrived as sha256 ${remoteSum}, sent ${sum}; nothing was unpacked — check the host's disk and try again`,
    );
  }
  await ssh.run(
    [
      `rm -rf ${sh(incoming)}`,
      `mkdir ${sh(incoming)}`,
      `tar -xf ${sh(`${incoming}.tar`)} -C ${sh(incoming)}`,
      `rm -rf ${sh(path)}`,
      `mv ${sh(incoming)} ${sh(path)}`,
      `rm -f ${sh(`${incoming}.tar`)}`,
      `echo ${sh(sum)} > ${sh(marker)}`,
    ].join(' && '),
  );
  return { path, copied: true };
}
