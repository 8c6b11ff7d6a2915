/**
 * Ships a release folder to a host once: a tar archive through the SSH connection, its SHA-256
 * checked on the host before it is unpacked into `<dir>/releases/<digest>/` (atomic rename), so a
 * host never runs a half-copied or altered release. Shipped releases stay for rollback.
 */
import { createHash } from 'node:crypto';
import * as tar from 'tar';
import { AppError } from '../domain/errors.ts';
import { sh } from './shell.ts';
import type { SshSession } from './ssh.ts';

/** The folder as a tar archive (the npm tar package here; the host unpacks it with its own tar). */
export async function tarOf(folder: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of tar.create({ cwd: folder, portable: true }, ['.']))
      chunks.push(Buffer.from(chunk as Uint8Array));
  } catch (error) {
    throw new AppError('RELEASE_SOURCE_INVALID', `cannot pack ${folder}: ${(error as Error).message}`);
  }
  return Buffer.concat(chunks);
}

/** Packed archives by release digest: a deployment to many hosts packs the release once. */
const packed = new Map<string, Promise<{ archive: Buffer; sum: string }>>();

function packedOnce(folder: string, digest: string): Promise<{ archive: Buffer; sum: string }> {
  const key = `${digest} ${folder}`;
  let entry = packed.get(key);
  if (entry === undefined) {
    entry = tarOf(folder).then((archive) => ({
      archive,
      sum: createHash('sha256').update(archive).digest('hex'),
    }));
    entry.catch(() => packed.delete(key));
    // One release at a time is kept: the map is for the hosts of one deployment.
    for (const other of packed.keys()) if (other !== key) packed.delete(other);
    packed.set(key, entry);
  }
  return entry;
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
  const { archive, sum } = await packedOnce(folder, digest);
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
