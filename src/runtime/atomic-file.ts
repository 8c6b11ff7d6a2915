/**
 * The one way slipway replaces a file: write a temp file beside it, fsync it, rename it over the
 * target, fsync the folder. A crash at any moment leaves the old file or the new one, never a torn
 * one; a failed write (a full disk) removes its temp file and says which path could not be written.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../domain/errors.ts';

export interface AtomicWriteOptions {
  /** File mode of the new file; default 0600 (state files may hold tokens or sealed secrets). */
  readonly mode?: number;
  /** Fail with this error instead of replacing an existing file (O_EXCL on the final rename's target). */
  readonly exclusive?: () => Error;
  /** Called after the temp file is durable and before the rename; tests use it to simulate a crash. */
  readonly beforeRename?: (tempPath: string) => void;
  /** Skip fsync (for files rebuilt on every start, where speed matters more than surviving a crash). */
  readonly durable?: boolean;
}

/** Replace `path` with `content` atomically. Throws DISK_FULL (exit 4) when the disk is full. */
export function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const durable = options.durable ?? true;
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(temp, 'wx', options.mode ?? 0o600);
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    options.beforeRename?.(temp);
    if (options.exclusive) {
      // A hard link fails when the target exists, so an existing file is never replaced.
      linkExclusive(temp, path, options.exclusive);
      removeQuietly(temp);
    } else renameSync(temp, path);
  } catch (error) {
    removeQuietly(temp);
    throw diskError(error, path);
  }
  if (durable) fsyncDir(dirname(path));
}

/**
 * `writeFileAtomic`'s steps and guarantees (temp file, fsync, rename, fsync of the folder; DISK_FULL
 * naming the path; no temp file left on failure) on libuv's thread pool, for a process that serves
 * traffic on its event loop and must not stop answering for the length of an fsync. Two calls for
 * the same path must not overlap (the last rename would win): callers order them (OrderedWriter).
 */
export async function writeFileAtomicAsync(
  path: string,
  content: string | Uint8Array,
  mode = 0o600,
): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    const file = await open(temp, 'wx', mode);
    try {
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    removeQuietly(temp);
    throw diskError(error, path);
  }
  let dir: Awaited<ReturnType<typeof open>> | undefined;
  try {
    dir = await open(dirname(path), 'r');
    await dir.sync();
  } catch {
    // Some filesystems refuse fsync on a folder; the rename itself already happened.
  } finally {
    await dir?.close().catch(() => undefined);
  }
}

/** JSON, pretty-printed, with a final newline, written atomically. */
export function writeJsonFileAtomic(path: string, value: unknown, options: AtomicWriteOptions = {}): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, options);
}

/** Remove a temp file if it is there; never throws (the error being reported matters more). */
export function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // A path under a non-folder, or a vanished folder: there is nothing to remove.
  }
}

/** Make a rename or a new file in `dir` durable. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a folder; the rename itself already happened.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * A full disk (or quota) becomes DISK_FULL naming the path; other errors pass through unchanged.
 * @example throw diskError(error, '/srv/app/.slipway/project.json');
 */
export function diskError(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new AppError(
      'DISK_FULL',
      `disk full at ${path}: nothing was written (the previous file is unchanged); free space on that filesystem and run the command again`,
      { cause: error },
    );
  }
  return error;
}

function linkExclusive(temp: string, path: string, exists: () => Error): void {
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
    throw error;
  }
}
