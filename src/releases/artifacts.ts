/**
 * The release content store: every registered release is copied (or unpacked) into
 * `.slipway/releases/<digest>/`, so a deployment runs exactly what was registered even when the
 * source folder changes later. Written to a temp folder and renamed: never half a release.
 */
import { cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import * as tar from 'tar';
import { IGNORED, isArchive } from './digest.ts';

export function artifactPath(dataDir: string, digest: string): string {
  return join(dataDir, 'releases', digest.replace(':', '-'));
}

export async function storeArtifact(dataDir: string, digest: string, source: string): Promise<string> {
  const target = artifactPath(dataDir, digest);
  if (
    await stat(target).then(
      () => true,
      () => false,
    )
  )
    return target;
  const temp = `${target}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(temp, { recursive: true });
  try {
    if (isArchive(source)) {
      await tar.x({
        file: source,
        cwd: temp,
        filter: (path) => !IGNORED.has(path.replace(/^\.\//, '').split('/')[0] ?? ''),
      });
    } else {
      await cp(source, temp, {
        recursive: true,
        verbatimSymlinks: true,
        filter: (src) =>
          !relative(source, src)
            .split(sep)
            .some((part) => IGNORED.has(part)),
      });
    }
    await rename(temp, target).catch(async (error: NodeJS.ErrnoException) => {
      // Another process stored the same digest first: same content, keep theirs.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      await rm(temp, { recursive: true, force: true });
    });
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return target;
}
