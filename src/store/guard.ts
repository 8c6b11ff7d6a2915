/**
 * A store that cannot vanish silently. The guard compares what the store says it is with the
 * project marker (`marker.ts`) before anything is written: a store the project used that is now
 * missing, empty or another one is refused (exit 4) with the way back, where a store never seen
 * is a first run. It also asks SQLite for a quick integrity check when the file changed outside
 * slipway, backs the store up before a schema migration, and keeps the audit anchor moving.
 */
import { statSync } from 'node:fs';
import { AppError } from '../domain/errors.ts';
import type { AuditEntry } from '../domain/types.ts';
import { advanceAnchor } from './anchor.ts';
import { backupDir, newestBackup, preMigrationBackupName, pruneBackups } from './backup-files.ts';
import { type MarkedStore, markedStore, markerPath, markStore } from './marker.ts';
import type { StoreIdentity } from './sql/sql-store.ts';

/** How many automatic pre-migration backups to keep per store. */
export const KEEP_AUTO_BACKUPS = 5;

export interface GuardTarget {
  readonly dataDir: string;
  /** The marker's key for this store (`storeKey`). */
  readonly key: string;
  readonly dialect: 'sqlite' | 'postgres';
  /** How messages name the store: a path, or a URL without its password. */
  readonly shown: string;
  /** The current schema version this slipway migrates to. */
  readonly latest: number;
}

export class StoreGuard {
  readonly #t: GuardTarget;
  readonly #marked: MarkedStore | undefined;
  #storeId: string | undefined;

  constructor(target: GuardTarget) {
    this.#t = target;
    this.#marked = markedStore(target.dataDir, target.key);
  }

  /**
   * SQLite, before the file is opened (opening creates it): refuse a marked store whose file is
   * gone or empty. Returns whether the file changed since slipway last closed it.
   */
  checkFile(file: string): { changed: boolean } {
    let size: number | undefined;
    let mtimeMs = 0;
    try {
      const st = statSync(file);
      size = st.size;
      mtimeMs = st.mtimeMs;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new AppError(
          'STORE_UNAVAILABLE',
          `cannot read the SQLite store ${file}: ${(error as Error).message}; check the path and its permissions`,
          { cause: error },
        );
      }
    }
    if (this.#marked && (size === undefined || size === 0))
      throw this.#missing(size === undefined ? 'missing' : 'empty');
    const last = this.#marked?.file;
    return { changed: size !== undefined && (!last || last.size !== size || last.mtimeMs !== mtimeMs) };
  }

  /** Before migrations: compare the store's own identity with the marker; back up before a migration. */
  async preflight(
    identity: StoreIdentity | undefined,
    backup: (dest: string) => Promise<void>,
  ): Promise<void> {
    if (!identity) {
      if (this.#marked) throw this.#missing('empty');
      return;
    }
    // A store without an id cannot be the marked one either: the marker's id was read from it.
    if (this.#marked && identity.storeId !== this.#marked.storeId) {
      throw new AppError(
        'STORE_REPLACED',
        `the store ${this.#t.shown} is not the one this project used: it is ${identity.storeId ?? 'a store without an id'}, but ${markerPath(this.#t.dataDir)} records ${this.#marked.storeId} (last used ${this.#marked.updatedAt}); nothing was written. Point --store at the right one, or restore a backup of it: \`slipway store restore BACKUP\`${this.#newest()}`,
      );
    }
    if (identity.schemaVersion > 0 && identity.schemaVersion < this.#t.latest) {
      const dir = backupDir(this.#t.dataDir);
      await backup(`${dir}/${preMigrationBackupName(this.#t.dialect, identity.schemaVersion)}`);
      pruneBackups(dir, 'pre-migration-', KEEP_AUTO_BACKUPS);
    }
  }

  /** After a successful open: the marker names this store from now on. */
  opened(storeId: string): void {
    this.#storeId = storeId;
    const m = this.#marked;
    if (m && m.storeId === storeId && m.schemaVersion === this.#t.latest) return;
    markStore(this.#t.dataDir, this.#t.key, {
      storeId,
      schemaVersion: this.#t.latest,
      dialect: this.#t.dialect,
      ...(m?.file && { file: m.file }),
      updatedAt: new Date().toISOString(),
    });
  }

  /** After each audit append: move the anchor. Never fails the command (the entry is committed). */
  audited(entry: AuditEntry): void {
    if (this.#storeId === undefined) return;
    try {
      advanceAnchor(this.#t.dataDir, this.#t.key, this.#storeId, entry);
    } catch {
      // A lagging anchor is still a valid lower bound; `slipway doctor` shows how far it lags.
    }
  }

  /** SQLite, after the connection closed: record the file as slipway left it. */
  closed(file: string): void {
    if (this.#storeId === undefined) return;
    try {
      const st = statSync(file);
      markStore(this.#t.dataDir, this.#t.key, {
        storeId: this.#storeId,
        schemaVersion: this.#t.latest,
        dialect: this.#t.dialect,
        file: { size: st.size, mtimeMs: st.mtimeMs },
        updatedAt: new Date().toISOString(),
      });
    } catch {
      // Stale or missing figures only mean one more integrity check on the next open.
    }
  }

  #newest(): string {
    const newest = newestBackup(backupDir(this.#t.dataDir), this.#t.dialect);
    return newest ? ` (newest backup: ${newest})` : ` (backups are kept in ${backupDir(this.#t.dataDir)})`;
  }

  /** STORE_MISSING when the marker names this store (a dropped database), else undefined. */
  missingIfMarked(): AppError | undefined {
    return this.#marked ? this.#missing('missing') : undefined;
  }

  #missing(how: 'missing' | 'empty'): AppError {
    const m = this.#marked as MarkedStore;
    const what = how === 'missing' ? 'is missing' : 'is empty (no slipway tables)';
    return new AppError(
      'STORE_MISSING',
      `the store ${this.#t.shown} ${what}, but this project used it: ${markerPath(this.#t.dataDir)} records store ${m.storeId} at schema ${m.schemaVersion}, last used ${m.updatedAt}. Its releases, deployments and audit log are not there, so nothing was done. Restore it with \`slipway store restore BACKUP\`${this.#newest()}; only to start over with an empty store, delete ${markerPath(this.#t.dataDir)}`,
    );
  }
}
