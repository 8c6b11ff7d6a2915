/**
 * The vault secret store: HashiCorp Vault's KV version 2 engine over its HTTP API (fetch, token
 * auth). Secret KEY of environment ENV lives at `<mount>/data/<prefix>/<ENV>/<KEY>` as `{ value }`;
 * Vault's own versions are the store's versions.
 *
 * Endpoints used (all under /v1, header X-Vault-Token, optional X-Vault-Namespace):
 *   GET    <mount>/data/<path>[?version=N]   read latest or one version
 *   POST   <mount>/data/<path>               write a new version   → data.version
 *   GET    <mount>/metadata/<path>           versions and their state
 *   GET    <mount>/metadata/<prefix>/<env>/?list=true   keys of an environment (Vault's LIST;
 *                                            the GET form passes proxies that reject unknown methods)
 *   DELETE <mount>/metadata/<path>           delete a key with all versions
 * Vault keeps `max_versions` versions per key (10 unless configured); raise it on the mount
 * (`vault write <mount>/config max_versions=...`) if releases must roll back further than that.
 * Needed policy: create/read/update on <mount>/data/<prefix>/*, read/list/delete on <mount>/metadata/<prefix>/*.
 */
import { AppError } from '../../domain/errors.ts';
import {
  assertSecretName,
  assertSecretValue,
  assertVersion,
  type SecretListing,
  type SecretStore,
  type SecretVersion,
} from '../contract.ts';

export interface VaultSecretStoreOptions {
  /** e.g. https://vault.internal:8200 */
  readonly address: string;
  readonly token: string;
  /** KV v2 mount path; default `secret`. */
  readonly mount?: string;
  /** Folder under the mount; default `slipway`. Use one per app, e.g. `slipway/shop`. */
  readonly prefix?: string;
  /** Vault Enterprise / HCP namespace. */
  readonly namespace?: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

interface VersionMeta {
  readonly created_time: string;
  readonly deletion_time: string;
  readonly destroyed: boolean;
}

/** Vault's JSON answers, read defensively: every field is checked where it is used. */
// biome-ignore lint/suspicious/noExplicitAny: untyped wire data, each field checked at its use
type Json = any;

const trimSlashes = (s: string) => s.replace(/^\/+|\/+$/g, '');

/** The field of the version `remove` writes; it has no value. */
const TOMBSTONE = 'slipway_removed';

export class VaultSecretStore implements SecretStore {
  readonly name = 'vault';
  readonly readOnly = false;
  readonly #address: string;
  readonly #token: string;
  readonly #mount: string;
  readonly #prefix: string;
  readonly #namespace: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: VaultSecretStoreOptions) {
    if (!options.token) {
      throw new AppError('SECRET_STORE_UNAVAILABLE', 'the vault secret store needs a token; set VAULT_TOKEN');
    }
    if (!/^https?:\/\/[^/]/.test(options.address) || !URL.canParse(options.address)) {
      throw new AppError(
        'USAGE',
        `vault address ${JSON.stringify(options.address)} is not a URL; use e.g. https://vault.internal:8200`,
      );
    }
    this.#address = options.address.replace(/\/+$/, '');
    this.#token = options.token;
    this.#mount = trimSlashes(options.mount ?? 'secret');
    this.#prefix = trimSlashes(options.prefix ?? 'slipway');
    this.#namespace = options.namespace;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#fetch = options.fetch ?? fetch;
  }

  #path(env: string, key?: string): string {
    return [this.#prefix, env, key].filter((p) => p !== undefined && p !== '').join('/');
  }

  /** One request; 404 → undefined; anything but 2xx/404 → an AppError that names the path, never the token. */
  async #request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Json } | undefined> {
    const url = `${this.#address}/v1/${this.#mount}/${path}`;
    const headers: Record<string, string> = { 'X-Vault-Token': this.#token };
    if (this.#namespace) headers['X-Vault-Namespace'] = this.#namespace;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      const cause = (err as Error).cause as Error | undefined;
      throw new AppError(
        'SECRET_STORE_UNAVAILABLE',
        `cannot reach Vault at ${this.#address} (${cause?.message ?? (err as Error).message}); check VAULT_ADDR and that Vault is up and unsealed`,
        { cause: err },
      );
    }
    const text = await res.text();
    if (res.status === 404) return undefined;
    let json: Json;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = {};
    }
    if (res.status >= 200 && res.status < 300) return { status: res.status, json };
    const errors = Array.isArray(json.errors) ? json.errors.join('; ') : text.slice(0, 200);
    const where = `${method} ${this.#mount}/${path}`;
    if (res.status === 403) {
      throw new AppError(
        'SECRET_STORE_UNAVAILABLE',
        `Vault refused ${where} (403 ${errors}); check that VAULT_TOKEN is valid and its policy allows ${this.#mount}/data/${this.#prefix}/* and ${this.#mount}/metadata/${this.#prefix}/*`,
      );
    }
    throw new AppError(
      'SECRET_STORE_UNAVAILABLE',
      `Vault answered ${res.status} to ${where}: ${errors || 'no details'}${res.status === 503 ? '; is Vault sealed?' : ''}`,
    );
  }

  async get(env: string, key: string, version?: number): Promise<string | undefined> {
    assertSecretName(env, key);
    assertVersion(env, key, version);
    const query = version === undefined ? '' : `?version=${version}`;
    const res = await this.#request('GET', `data/${this.#path(env, key)}${query}`);
    const data = res?.json?.data?.data;
    if (data === null || data === undefined) return undefined; // absent, deleted or destroyed
    if (data[TOMBSTONE] === true) return undefined; // withdrawn by `secret rm`
    if (typeof data.value !== 'string') {
      throw new AppError(
        'SECRET_STORE_UNAVAILABLE',
        `Vault secret ${this.#mount}/${this.#path(env, key)} has no string field "value"; it was not written by slipway — write it with \`slipway secret set\``,
      );
    }
    return data.value;
  }

  async set(env: string, key: string, value: string): Promise<number> {
    assertSecretName(env, key);
    assertSecretValue(env, key, value);
    const res = await this.#request('POST', `data/${this.#path(env, key)}`, { data: { value } });
    const version = res?.json?.data?.version;
    if (!Number.isSafeInteger(version)) {
      throw new AppError(
        'SECRET_STORE_UNAVAILABLE',
        `Vault did not return a version for ${this.#mount}/${this.#path(env, key)}; is ${this.#mount} a KV version 2 mount?`,
      );
    }
    return version;
  }

  /** The versions since the last tombstone (read back from the newest until one is found). */
  async #metadata(env: string, key: string): Promise<SecretVersion[]> {
    const res = await this.#request('GET', `metadata/${this.#path(env, key)}`);
    const versions: Record<string, VersionMeta> = res?.json?.data?.versions ?? {};
    const stored = Object.entries(versions)
      .filter(([, m]) => !m.destroyed && (m.deletion_time ?? '') === '')
      .map(([v, m]) => ({ version: Number(v), createdAt: m.created_time }))
      .sort((a, b) => a.version - b.version);
    for (let i = stored.length - 1; i >= 0; i--) {
      const at = await this.#request('GET', `data/${this.#path(env, key)}?version=${stored[i]!.version}`);
      if (at?.json?.data?.data?.[TOMBSTONE] === true) return stored.slice(i + 1);
    }
    return stored;
  }

  async versions(env: string, key: string): Promise<readonly SecretVersion[]> {
    assertSecretName(env, key);
    return this.#metadata(env, key);
  }

  async list(env: string): Promise<readonly SecretListing[]> {
    assertSecretName(env, 'X');
    const res = await this.#request('GET', `metadata/${this.#path(env)}/?list=true`);
    const keys: string[] = (res?.json?.data?.keys ?? []).filter(
      (k: unknown) => typeof k === 'string' && !k.endsWith('/'),
    );
    const out: SecretListing[] = [];
    for (const key of keys.sort()) {
      const versions = (await this.#metadata(env, key)).map((v) => v.version);
      if (versions.length > 0) out.push({ key, versions, latest: versions.at(-1)! });
    }
    return out;
  }

  async remove(env: string, key: string): Promise<void> {
    assertSecretName(env, key);
    if ((await this.#metadata(env, key)).length === 0) return;
    // A tombstone version, not a metadata delete (which would restart the numbering at 1): older
    // versions stay readable by number for pinned deployments and rollbacks.
    await this.#request('POST', `data/${this.#path(env, key)}`, { data: { [TOMBSTONE]: true } });
  }

  async close(): Promise<void> {}
}
