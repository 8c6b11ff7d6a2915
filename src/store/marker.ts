/**
 * The project marker, `.slipway/project.json`: which stores this project has used, kept outside
 * the store itself. A store the marker names that is now missing, empty or another one is refused
 * instead of being silently recreated empty; a store it does not name is a first run.
 *
 * @example
 * { "format": 1, "stores": { "sqlite:.slipway/slipway.db": { "storeId": "store-…", "schemaVersion": 6,
 *   "dialect": "sqlite", "file": { "size": 4096, "mtimeMs": 1733460000000 }, "updatedAt": "…" } } }
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { AppError, isAppError } from '../domain/errors.ts';
import { writeJsonFileAtomic } from '../runtime/atomic-file.ts';

export const MARKER_FILE = 'project.json';

export interface MarkedStore {
  readonly storeId: string;
  readonly schemaVersion: number;
  readonly dialect: 'sqlite' | 'postgres';
  /** SQLite: the file as slipway left it at its last close; a difference means it changed outside slipway. */
  readonly file?: { readonly size: number; readonly mtimeMs: number };
  readonly updatedAt: string;
}

interface MarkerFile {
  readonly format: 1;
  readonly stores: Readonly<Record<string, MarkedStore>>;
}

export const markerPath = (dataDir: string): string => join(dataDir, MARKER_FILE);

/**
 * The marker's key for a store: a SQLite file relative to the project folder (so a moved project
 * keeps its marker), a PostgreSQL URL without its password or options.
 */
export function storeKey(target: { sqlite: string } | { postgres: string }, projectDir: string): string {
  if ('sqlite' in target) {
    const rel = relative(projectDir, target.sqlite);
    return `sqlite:${rel.startsWith('..') || isAbsolute(rel) ? target.sqlite : rel}`;
  }
  try {
    const url = new URL(target.postgres);
    return `postgres://${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.host}${url.pathname}`;
  } catch {
    return `postgres:${target.postgres.replace(/:[^:@/]*@/, ':***@')}`;
  }
}

export function readMarker(dataDir: string): MarkerFile {
  const path = markerPath(dataDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { format: 1, stores: {} };
    throw new AppError(
      'STORE_UNAVAILABLE',
      `cannot read the project marker ${path}: ${(error as Error).message}`,
    );
  }
  try {
    const parsed = JSON.parse(text) as MarkerFile;
    if (parsed?.format !== 1 || typeof parsed.stores !== 'object' || parsed.stores === null)
      throw new Error('not a marker');
    return parsed;
  } catch {
    throw new AppError(
      'STORE_UNAVAILABLE',
      `the project marker ${path} is not valid (expected {"format":1,"stores":{…}}); restore it from a backup of the project, or delete it to let slipway adopt the store as it is now`,
    );
  }
}

export function markedStore(dataDir: string, key: string): MarkedStore | undefined {
  return readMarker(dataDir).stores[key];
}

/** Record (or update) one store in the marker, leaving the others as they are. */
export function markStore(dataDir: string, key: string, entry: MarkedStore): void {
  const marker = readMarker(dataDir);
  writeMarker(dataDir, { format: 1, stores: { ...marker.stores, [key]: entry } });
}

/** Forget one store (a restore puts another in its place; the next open records it). */
export function unmarkStore(dataDir: string, key: string): void {
  const marker = readMarker(dataDir);
  if (!(key in marker.stores)) return;
  const { [key]: _gone, ...rest } = marker.stores;
  writeMarker(dataDir, { format: 1, stores: rest });
}

function writeMarker(dataDir: string, marker: MarkerFile): void {
  try {
    writeJsonFileAtomic(markerPath(dataDir), marker);
  } catch (error) {
    if (isAppError(error)) throw error;
    throw new AppError(
      'STORE_UNAVAILABLE',
      `cannot write the project marker ${markerPath(dataDir)}: ${(error as Error).message}; check that the folder is writable by this user`,
      { cause: error },
    );
  }
}
