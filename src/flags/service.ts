/**
 * The flags application service: what `slipway flags …` and the server's flag routes both call.
 * Every write is checked (checkFlag) before it reaches the store and is stored with who and why.
 */

import { isDeepStrictEqual } from 'node:util';
import { requireEnvIn } from '../app/compose.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import type { Store } from '../store/contract.ts';
import { checkFlag } from './check.ts';
import type { FlagAction, FlagChange, StoredFlag } from './contract.ts';
import type { FlagDefinition, FlagSet } from './definition.ts';
import { diffFlags, type FlagDrift } from './diff.ts';
import { invalid, parseFlagSet } from './parse.ts';
import { type RolloutOptions, withKill, withRollout } from './rollout.ts';

export interface Who {
  readonly by: string;
  readonly reason: string | null;
}

/** An environment's flags at one revision: what providers sync and OFREP evaluates. */
export interface FlagSnapshot {
  readonly env: string;
  readonly revision: number;
  readonly set: FlagSet;
}

export interface ImportResult {
  readonly changed: readonly StoredFlag[];
  readonly unchanged: readonly string[];
}

export interface FlagService {
  list(env: string): Promise<readonly StoredFlag[]>;
  /** The current flag, or FLAG_NOT_FOUND. */
  get(env: string, key: string): Promise<StoredFlag>;
  history(env: string, key: string, limit?: number): Promise<readonly StoredFlag[]>;
  /** Create or replace a flag with a flagd definition (checked first). */
  set(env: string, key: string, definition: unknown, who: Who, ifVersion?: number): Promise<StoredFlag>;
  rollout(env: string, key: string, options: RolloutOptions, who: Who): Promise<StoredFlag>;
  /** Everyone gets the off variant (or `variant`) from the next evaluation on. */
  kill(env: string, key: string, who: Who, variant?: string): Promise<StoredFlag>;
  /** Store every flag of a flagd document (text) that differs from the stored one, all or nothing. */
  import(env: string, text: string, source: string, who: Who): Promise<ImportResult>;
  diff(a: string, b: string): Promise<readonly FlagDrift[]>;
  snapshot(env: string): Promise<FlagSnapshot>;
  revision(env: string): Promise<number>;
}

export function createFlagService(deps: { store: Store; config: SlipwayConfig }): FlagService {
  const { store, config } = deps;
  const app = config.app;
  const flags = store.flags;
  const envOk = (env: string): void => requireEnvIn(config, env);

  async function current(env: string, key: string): Promise<StoredFlag> {
    envOk(env);
    const f = await flags.getFlag(app, env, key);
    if (!f || f.definition === null) {
      const names = (await flags.listFlags(app, env)).map((x) => x.key);
      throw new AppError(
        'FLAG_NOT_FOUND',
        `no flag "${key}" in ${env}${names.length ? ` (flags: ${names.slice(0, 20).join(', ')})` : ''}; create it with \`slipway flags set ${key} --env ${env} --file FLAG.json\``,
      );
    }
    return f;
  }

  async function write(
    env: string,
    key: string,
    definition: unknown,
    action: FlagAction,
    who: Who,
    ifVersion?: number,
  ): Promise<StoredFlag> {
    const checked = checkFlag(key, definition);
    if (!checked.ok) throw invalid(`flag "${key}"`, checked.problems);
    const change: FlagChange = {
      app,
      env,
      key,
      definition: checked.value,
      action,
      by: who.by,
      reason: who.reason,
      ...(ifVersion !== undefined && { ifVersion }),
    };
    const [stored] = await flags.putFlags([change]);
    return stored as StoredFlag;
  }

  async function snapshot(env: string): Promise<FlagSnapshot> {
    envOk(env);
    // The revision first: a change landing between the two reads shows up as a newer revision next time.
    const revision = await flags.flagRevision(app, env);
    const list = await flags.listFlags(app, env);
    const set: Record<string, FlagDefinition> = {};
    for (const f of list) if (f.definition) set[f.key] = f.definition;
    return { env, revision: Math.max(revision, ...list.map((f) => f.seq)), set: { flags: set } };
  }

  return {
    async list(env) {
      envOk(env);
      return flags.listFlags(app, env);
    },
    get: current,
    async history(env, key, limit) {
      envOk(env);
      const rows = await flags.flagHistory(app, env, key, limit);
      if (rows.length === 0) await current(env, key);
      return rows;
    },
    async set(env, key, definition, who, ifVersion) {
      envOk(env);
      return write(env, key, definition, 'set', who, ifVersion);
    },
    async rollout(env, key, options, who) {
      const f = await current(env, key);
      return write(env, key, withRollout(f.definition as FlagDefinition, options), 'rollout', who, f.version);
    },
    async kill(env, key, who, variant) {
      const f = await current(env, key);
      return write(env, key, withKill(f.definition as FlagDefinition, variant), 'kill', who, f.version);
    },
    async import(env, text, source, who) {
      envOk(env);
      const set = parseFlagSet(text, source);
      const changes: FlagChange[] = [];
      const unchanged: string[] = [];
      for (const [key, definition] of Object.entries(set.flags)) {
        const now = await flags.getFlag(app, env, key);
        if (now?.definition && isDeepStrictEqual(now.definition, definition)) unchanged.push(key);
        else
          changes.push({
            app,
            env,
            key,
            definition,
            action: 'import',
            by: who.by,
            reason: who.reason,
            ifVersion: now?.version ?? 0,
          });
      }
      const changed = changes.length > 0 ? await flags.putFlags(changes) : [];
      return { changed, unchanged };
    },
    async diff(a, b) {
      envOk(a);
      envOk(b);
      const [x, y] = await Promise.all([snapshot(a), snapshot(b)]);
      return diffFlags(a, new Map(Object.entries(x.set.flags)), b, new Map(Object.entries(y.set.flags)));
    },
    snapshot,
    async revision(env) {
      envOk(env);
      return flags.flagRevision(app, env);
    },
  };
}
