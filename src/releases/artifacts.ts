/**
 * The release content store: every registered release is copied (or unpacked) into
 * `.slipway/releases/<digest>/`, so a deployment runs exactly what was registered even when the
 * source folder changes later. Content is staged in a folder beside the releases (same file
 * system, so the final rename is atomic), digested as it landed, and only then renamed into
 * place: never half a release, and never a release of slipway's own folder.
 */
import { randomBytes } from 'node:crypto';
import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  symlink,
} from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar';
import { AppError } from '../domain/errors.ts';
import {
  ARCHIVE_TYPES,
  archivePath,
  combine,
  type Digested,
  folderEntries,
  IGNORED,
  isArchive,
  isIgnored,
  refusedEntry,
} from './digest.ts';

export function artifactPath(dataDir: string, digest: string): string {
  return join(dataDir, 'releases', digest.replace(':', '-'));
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Remove `<prefix><pid>-…` folders in `dir` left by a process that died mid-copy (kill -9, power
 * loss): they were never renamed into place, so nothing refers to them.
 */
export async function sweepStale(dir: string, prefix: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = name.startsWith(prefix) ? Number(name.slice(prefix.length).split('-')[0]) : Number.NaN;
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid))
      await rm(join(dir, name), { recursive: true, force: true });
  }
}

/** A release's content in its staging folder, digested as it landed. */
export interface Staged {
  readonly dir: string;
  readonly digested: Digested;
  /** Remove the staging folder (after a failure, or when the content was already in place). */
  discard(): Promise<void>;
}

/** Copy a folder without following links; IGNORED names are left out at every depth. */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const item of await readdir(from, { withFileTypes: true })) {
    if (IGNORED.has(item.name)) continue;
    const src = join(from, item.name);
    const dst = join(to, item.name);
    if (item.isDirectory()) await copyTree(src, dst);
    else if (item.isSymbolicLink()) await symlink(await readlink(src), dst);
    else if (item.isFile()) {
      await copyFile(src, dst);
      await chmod(dst, (await lstat(src)).mode & 0o777);
    }
  }
}

/**
 * Copy (folder) or unpack (.tar, .tar.gz, .tgz) `source` into a fresh staging folder under
 * `<dataDir>/releases/` and digest what landed there. A source with no files is refused.
 */
export async function stageRelease(dataDir: string, source: string): Promise<Staged> {
  const root = join(dataDir, 'releases');
  await mkdir(root, { recursive: true });
  await sweepStale(root, '.staging-');
  const dir = join(root, `.staging-${process.pid}-${randomBytes(6).toString('hex')}`);
  const discard = () => rm(dir, { recursive: true, force: true });
  try {
    await mkdir(dir);
    const info = await lstat(source);
    if (info.isDirectory()) await copyTree(source, dir);
    else {
      if (info.size === 0)
        throw new AppError(
          'RELEASE_SOURCE_INVALID',
          `${source} is empty (0 bytes); give the .tar.gz of the build, or its folder`,
        );
      let refused: AppError | undefined;
      await tar.x({
        file: source,
        cwd: dir,
        strict: true,
        filter: (path, entry) => {
          const type = (entry as { type?: string }).type ?? 'File';
          if (!ARCHIVE_TYPES.has(type)) {
            refused ??= refusedEntry(source, archivePath(path), type);
            return false;
          }
          return !isIgnored(archivePath(path));
        },
      });
      if (refused) throw refused;
    }
    const digested = combine(await folderEntries(dir));
    if (digested.files === 0)
      throw new AppError(
        'RELEASE_SOURCE_INVALID',
        `${source} holds no files${isArchive(source) ? '' : ` (besides ${[...IGNORED].join(', ')}, which are never part of a release)`}; give the folder or archive of the build`,
      );
    return { dir, digested, discard };
  } catch (error) {
    await discard();
    if (error instanceof AppError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      throw new AppError(
        'RELEASE_SOURCE_INVALID',
        `cannot read ${(error as NodeJS.ErrnoException).path ?? source}: ${code}; make it readable by this user or leave it out of the build`,
        { cause: error },
      );
    if (isArchive(source))
      throw new AppError(
        'RELEASE_SOURCE_INVALID',
        `${source} is not a readable tar archive (${(error as Error).message}); give a .tar, .tar.gz or .tgz made by tar`,
        { cause: error },
      );
    throw error;
  }
}

/**
 * Move staged content to its content-addressed place. Returns false when that digest was already
 * in place (the staging folder is discarded: same content).
 */
export async function placeRelease(dataDir: string, staged: Staged): Promise<boolean> {
  const target = artifactPath(dataDir, staged.digested.digest);
  if (await exists(target)) {
    await staged.discard();
    return false;
  }
  try {
    await rename(staged.dir, target);
    return true;
  } catch (error) {
    await staged.discard();
    // Another process placed the same digest first: same content, keep theirs.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
}

/** Remove a release's content (when no registration uses its digest any more). */
export async function removeArtifact(dataDir: string, digest: string): Promise<void> {
  await rm(artifactPath(dataDir, digest), { recursive: true, force: true });
}

/** Stage, verify against `digest` and place: for callers that digested the source themselves. */
export async function storeArtifact(dataDir: string, digest: string, source: string): Promise<string> {
  const staged = await stageRelease(dataDir, source);
  if (staged.digested.digest !== digest) {
    await staged.discard();
    throw new AppError(
      'RELEASE_DIGEST_MISMATCH',
      `${source} changed while it was registered (digest ${digest} before, ${staged.digested.digest} as copied); register it again`,
    );
  }
  await placeRelease(dataDir, staged);
  return artifactPath(dataDir, digest);
}
