/**
 * The FlagService over a slipway server's API (SLIPWAY_URL + SLIPWAY_TOKEN): the CLI's flag commands
 * run the same code against it as against the local store.
 */
import type { JsonClient } from '../http/json-client.ts';
import type { StoredFlag } from './contract.ts';
import type { FlagDrift } from './diff.ts';
import type { FlagService, FlagSnapshot, ImportResult } from './service.ts';

const part = encodeURIComponent;

export function remoteFlagService(http: JsonClient): FlagService {
  const base = (env: string) => `/api/flags/${part(env)}`;
  const one = (env: string, key: string) => `${base(env)}/${part(key)}`;
  return {
    list: async (env) => (await http.json<{ flags: StoredFlag[] }>('GET', base(env))).flags,
    get: (env, key) => http.json('GET', one(env, key)),
    history: (env, key, limit) =>
      http.json('GET', `${one(env, key)}/history${limit ? `?limit=${limit}` : ''}`),
    set: (env, key, definition, who, ifVersion) =>
      http.json('PUT', one(env, key), {
        definition,
        reason: who.reason,
        ...(ifVersion !== undefined && { ifVersion }),
      }),
    rollout: (env, key, o, who) =>
      http.json('POST', `${one(env, key)}/rollout`, { ...o, reason: who.reason }),
    kill: (env, key, who, variant) =>
      http.json('POST', `${one(env, key)}/kill`, {
        reason: who.reason,
        ...(variant !== undefined && { variant }),
      }),
    import: (env, text, source, who): Promise<ImportResult> =>
      http.json('POST', `${base(env)}/import`, { text, source, reason: who.reason }),
    diff: (a, b): Promise<readonly FlagDrift[]> =>
      http.json('GET', `/api/flags-diff?a=${part(a)}&b=${part(b)}`),
    snapshot: (env): Promise<FlagSnapshot> => http.json('GET', `${base(env)}/snapshot`),
    revision: async (env) => (await http.json<FlagSnapshot>('GET', `${base(env)}/snapshot`)).revision,
  };
}
