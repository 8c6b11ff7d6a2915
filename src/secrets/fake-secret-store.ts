/**
 * An in-memory SecretStore for tests of the code that uses secrets. It passes the same contract
 * suite as the real stores, so it cannot drift from them.
 */
import {
  assertSecretName,
  assertSecretValue,
  assertVersion,
  type SecretListing,
  type SecretStore,
  type SecretVersion,
} from './contract.ts';

interface Entry {
  version: number;
  createdAt: string;
  /** undefined: a tombstone left by `remove`. */
  value: string | undefined;
}

const live = (entries: readonly Entry[]) =>
  entries.slice(entries.findLastIndex((e) => e.value === undefined) + 1);

export class FakeSecretStore implements SecretStore {
  readonly name = 'fake';
  readonly readOnly = false;
  readonly #data = new Map<string, Entry[]>();
  readonly #now: () => Date;

  constructor(options: { now?: () => Date } = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  async get(env: string, key: string, version?: number): Promise<string | undefined> {
    assertSecretName(env, key);
    assertVersion(env, key, version);
    const entries = this.#data.get(`${env}/${key}`);
    if (!entries) return undefined;
    const entry = version === undefined ? entries.at(-1) : entries.find((e) => e.version === version);
    return entry?.value;
  }

  async set(env: string, key: string, value: string): Promise<number> {
    assertSecretName(env, key);
    assertSecretValue(env, key, value);
    const entries = this.#data.get(`${env}/${key}`) ?? [];
    const version = (entries.at(-1)?.version ?? 0) + 1;
    entries.push({ version, createdAt: this.#now().toISOString(), value });
    this.#data.set(`${env}/${key}`, entries);
    return version;
  }

  async list(env: string): Promise<readonly SecretListing[]> {
    assertSecretName(env, 'X');
    const out: SecretListing[] = [];
    for (const [id, entries] of this.#data) {
      const [e, key] = id.split('/') as [string, string];
      const kept = live(entries);
      if (e !== env || kept.length === 0) continue;
      out.push({ key, versions: kept.map((x) => x.version), latest: kept.at(-1)!.version });
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  async remove(env: string, key: string): Promise<void> {
    assertSecretName(env, key);
    const entries = this.#data.get(`${env}/${key}`) ?? [];
    if (live(entries).length === 0) return;
    entries.push({
      version: entries.at(-1)!.version + 1,
      createdAt: this.#now().toISOString(),
      value: undefined,
    });
  }

  async versions(env: string, key: string): Promise<readonly SecretVersion[]> {
    assertSecretName(env, key);
    return live(this.#data.get(`${env}/${key}`) ?? []).map(({ version, createdAt }) => ({
      version,
      createdAt,
    }));
  }

  async close(): Promise<void> {}
}
