/**
 * Content addressing of releases. The digest covers every file's relative path, executable bit
 * and content (and each symlink's target), in a fixed order — so the same content gives the same
 * digest whether it comes from a folder or an archive, wherever it sits on disk.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import * as tar from 'tar';
import { AppError } from '../domain/errors.ts';

/**
 * Names that are never part of a release, at any depth: slipway's own state folder (a release of
 * the project folder must not contain its releases), version-control metadata, and the desktop
 * litter macOS and Windows leave behind. Everything else is the build, node_modules included.
 */
export const IGNORED: ReadonlySet<string> = new Set([
  '.slipway',
  '.git',
  '.hg',
  '.svn',
  '.DS_Store',
  'Thumbs.db',
  '__MACOSX',
]);

/** True when a relative path (either separator) has an ignored name in it. */
export const isIgnored = (relativePath: string): boolean =>
  relativePath.split(/[\\/]/).some((part) => IGNORED.has(part));

const unreadable = (path: string, error: unknown): AppError =>
  new AppError(
    'RELEASE_SOURCE_INVALID',
    `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; make it readable by this user or leave it out of the build`,
    { cause: error },
  );

export interface Entry {
  readonly path: string;
  readonly kind: 'file' | 'symlink';
  readonly executable: boolean;
  /** sha256 hex of the content (or of the link target). */
  readonly sha256: string;
  readonly size: number;
}

export interface Digested {
  readonly digest: string;
  readonly files: number;
  readonly bytes: number;
}

export function combine(entries: readonly Entry[]): Digested {
  const hash = createHash('sha256');
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const e of sorted) hash.update(`${e.path}\0${e.kind}\0${e.executable ? 'x' : '-'}\0${e.sha256}\n`);
  return {
    digest: `sha256:${hash.digest('hex')}`,
    files: sorted.length,
    bytes: sorted.reduce((n, e) => n + e.size, 0),
  };
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Entries of a folder, recursively, skipping IGNORED names. Sockets, FIFOs and devices are not
 * build output and are skipped (hashing a FIFO would wait forever); an unreadable entry is refused
 * with its path.
 */
export async function folderEntries(root: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const walk = async (dir: string): Promise<void> => {
    const items = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
      throw unreadable(dir, error);
    });
    for (const item of items) {
      if (IGNORED.has(item.name)) continue;
      const full = join(dir, item.name);
      const rel = relative(root, full).split(sep).join('/');
      if (item.isDirectory()) {
        await walk(full);
      } else if (item.isSymbolicLink()) {
        const target = await readlink(full);
        out.push({
          path: rel,
          kind: 'symlink',
          executable: false,
          sha256: createHash('sha256').update(target).digest('hex'),
          size: 0,
        });
      } else if (item.isFile()) {
        const info = await lstat(full);
        out.push({
          path: rel,
          kind: 'file',
          executable: (info.mode & 0o111) !== 0,
          sha256: await hashFile(full).catch((error: unknown) => {
            throw unreadable(full, error);
          }),
          size: info.size,
        });
      }
    }
  };
  await walk(root);
  return out;
}

/** Archive entry types a release may hold; hard links and devices are refused by name. */
export const ARCHIVE_TYPES: ReadonlySet<string> = new Set([
  'File',
  'OldFile',
  'ContiguousFile',
  'Directory',
  'SymbolicLink',
]);

/** An archive path as it lands on disk: no leading `./`, no trailing `/`. */
export const archivePath = (path: string): string => path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');

/**
 * Entries of a .tar, .tar.gz or .tgz archive, read as a stream without unpacking. Strict: a file
 * that is not a tar archive (or is cut short) is an error, not an empty list.
 */
export async function archiveEntries(file: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const pending: Promise<void>[] = [];
  let refused: AppError | undefined;
  await tar.t({
    file,
    strict: true,
    onReadEntry: (entry) => {
      const path = archivePath(entry.path);
      if (!ARCHIVE_TYPES.has(entry.type)) {
        refused ??= refusedEntry(file, path, entry.type);
        return entry.resume();
      }
      if (entry.type === 'Directory' || isIgnored(path) || path === '') return entry.resume();
      if (entry.type === 'SymbolicLink') {
        out.push({
          path,
          kind: 'symlink',
          executable: false,
          sha256: createHash('sha256')
            .update(entry.linkpath ?? '')
            .digest('hex'),
          size: 0,
        });
        return entry.resume();
      }
      const hash = createHash('sha256');
      entry.on('data', (chunk: Buffer) => hash.update(chunk));
      pending.push(
        new Promise((resolve) =>
          entry.on('end', () => {
            out.push({
              path,
              kind: 'file',
              executable: ((entry.mode ?? 0) & 0o111) !== 0,
              sha256: hash.digest('hex'),
              size: entry.size ?? 0,
            });
            resolve();
          }),
        ),
      );
    },
  });
  await Promise.all(pending);
  if (refused) throw refused;
  return out;
}

export const refusedEntry = (file: string, path: string, type: string): AppError =>
  new AppError(
    'RELEASE_SOURCE_INVALID',
    `${file}: ${path} is a ${type} entry; a release holds files, folders and symbolic links only`,
  );

export const isArchive = (path: string): boolean => /\.(tar|tar\.gz|tgz)$/.test(path);

/** The digest of a release folder or archive; a usage error names a path that is neither. */
export async function digestOf(path: string): Promise<Digested> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(path);
  } catch {
    throw new AppError(
      'RELEASE_SOURCE_INVALID',
      `${path} does not exist; give the folder or .tar.gz archive of the build`,
    );
  }
  if (info.isDirectory()) return combine(await folderEntries(path));
  if (info.isFile() && isArchive(path)) {
    if (info.size === 0)
      throw new AppError(
        'RELEASE_SOURCE_INVALID',
        `${path} is empty (0 bytes); give the .tar.gz of the build, or its folder`,
      );
    try {
      return combine(await archiveEntries(path));
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(
        'RELEASE_SOURCE_INVALID',
        `${path} is not a readable tar archive (${(error as Error).message}); give a .tar, .tar.gz or .tgz made by tar`,
      );
    }
  }
  throw new AppError(
    'RELEASE_SOURCE_INVALID',
    `${path} is neither a folder nor a .tar, .tar.gz or .tgz archive`,
  );
}
