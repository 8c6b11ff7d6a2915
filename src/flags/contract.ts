/**
 * What the store keeps of feature flags: every version of every flag per app and environment, each
 * with who changed it, why, and how (set, rollout, kill…). The newest version is the flag; a version
 * whose definition is null removed it. Both SQL backends implement it (src/store/sql/flag-queries.ts).
 */
import type { FlagDefinition } from './definition.ts';

export const FLAG_ACTIONS = ['set', 'rollout', 'kill', 'import', 'remove'] as const;
export type FlagAction = (typeof FLAG_ACTIONS)[number];

export interface StoredFlag {
  readonly app: string;
  readonly env: string;
  readonly key: string;
  /** 1 for the first version of the flag in the environment, then +1 per change. */
  readonly version: number;
  /** null: the flag was removed in this version. */
  readonly definition: FlagDefinition | null;
  readonly action: FlagAction;
  readonly by: string;
  readonly reason: string | null;
  readonly at: string;
  /** The store-wide change number (grows with every change of any flag): ETags and change streams. */
  readonly seq: number;
}

export interface FlagChange {
  readonly app: string;
  readonly env: string;
  readonly key: string;
  readonly definition: FlagDefinition | null;
  readonly action: FlagAction;
  readonly by: string;
  readonly reason: string | null;
  /** Refuse (FLAG_CONFLICT) unless the flag's current version is this one (0: it must not exist). */
  readonly ifVersion?: number;
}

export interface FlagStore {
  /**
   * Apply changes in one transaction, each with its audit entry (`flag.<action>`, target
   * `<app>/<env>/flag/<key>`): all of them or none. Returns the new versions.
   */
  putFlags(changes: readonly FlagChange[]): Promise<readonly StoredFlag[]>;
  /** The current version of a flag (removed ones included, with definition null). */
  getFlag(app: string, env: string, key: string): Promise<StoredFlag | undefined>;
  /** The current, not removed, flags of an environment, by key. */
  listFlags(app: string, env: string): Promise<readonly StoredFlag[]>;
  /** Versions of one flag, newest first. */
  flagHistory(app: string, env: string, key: string, limit?: number): Promise<readonly StoredFlag[]>;
  /** The highest change number of the environment's flags (0: none yet). */
  flagRevision(app: string, env: string): Promise<number>;
}
