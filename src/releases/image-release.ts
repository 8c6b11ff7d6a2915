/**
 * An image release in the content store: its folder `.slipway/releases/sha256-<image digest>/`
 * holds one file, `.slipway/image.json` (a name no release of files can hold: `.slipway` is never
 * copied into one), naming the image by digest (what the container runtime pulls), its
 * platform and OCI labels. The release's digest *is* the image's: a tag moved later changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Staged } from './artifacts.ts';
import type { ResolvedImage } from './registry.ts';

export const IMAGE_FILE = '.slipway/image.json';

export interface ImageRecord {
  /** `registry/name@sha256:…`. */
  readonly image: string;
  readonly platform: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly bytes: number;
}

/** Stages image.json for `placeRelease`; the staged digest is the image digest. */
export async function stageImageRelease(dataDir: string, resolved: ResolvedImage): Promise<Staged> {
  const root = join(dataDir, 'releases');
  await mkdir(root, { recursive: true });
  const dir = join(root, `.staging-${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(join(dir, '.slipway'), { recursive: true });
  const record: ImageRecord = {
    image: resolved.image,
    platform: resolved.platform,
    labels: resolved.labels,
    bytes: resolved.bytes,
  };
  await writeFile(join(dir, IMAGE_FILE), `${JSON.stringify(record, null, 2)}\n`);
  return {
    dir,
    digested: { digest: resolved.digest, files: resolved.layers, bytes: resolved.bytes },
    discard: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The image of the release whose folder is `dir`; undefined for a release of files. */
export function readImageRecord(dir: string): ImageRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, IMAGE_FILE), 'utf8')) as ImageRecord;
  } catch {
    return undefined;
  }
}

/** The OCI labels that fill a release's version and commit when they are not given. */
export const OCI_VERSION = 'org.opencontainers.image.version';
export const OCI_REVISION = 'org.opencontainers.image.revision';
export const OCI_CREATED = 'org.opencontainers.image.created';
