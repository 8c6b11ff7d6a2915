/**
 * The secrets port of the executor over a SecretStore: values of pinned versions, read right
 * before each apply, and a redactor that knows every value read so far. Values are kept in memory
 * only, for redaction; nothing here is written anywhere.
 */
import type { SecretStore } from '../secrets/contract.ts';
import { readPinnedSecrets } from '../secrets/pins.ts';
import { Redactor } from '../secrets/redact.ts';
import type { SecretsPort } from './ports.ts';

export class StoreSecrets implements SecretsPort {
  readonly #store: SecretStore;
  /** Label → value; a label is `KEY`, or `KEY#n` when another value of KEY is already known. */
  readonly #known = new Map<string, string>();
  #redactor = new Redactor({});

  readonly #plain: ((env: string) => Promise<Readonly<Record<string, string>>>) | undefined;

  /** `plain`: the current plain config values of an environment (for credential-named plain keys). */
  constructor(store: SecretStore, plain?: (env: string) => Promise<Readonly<Record<string, string>>>) {
    this.#store = store;
    this.#plain = plain;
  }

  async values(
    env: string,
    pins: Readonly<Record<string, number>>,
    sensitiveKeys: readonly string[] = [],
  ): Promise<Record<string, string>> {
    const values: Record<string, string> = {};
    if (sensitiveKeys.length > 0 && this.#plain) {
      const plain = await this.#plain(env);
      for (const key of sensitiveKeys) if (plain[key] !== undefined) values[key] = plain[key];
    }
    Object.assign(values, await readPinnedSecrets(this.#store, env, pins));
    this.remember(values);
    return values;
  }

  /** Teach the redactor more values (e.g. the latest ones the preflight read). */
  remember(values: Readonly<Record<string, string>>): void {
    const have = new Set(this.#known.values());
    let added = false;
    for (const [key, value] of Object.entries(values)) {
      if (have.has(value)) continue;
      let label = key;
      for (let n = 2; this.#known.has(label); n++) label = `${key}#${n}`;
      this.#known.set(label, value);
      have.add(value);
      added = true;
    }
    if (added) this.#redactor = new Redactor(this.#known);
  }

  redact(text: string): string {
    return this.#redactor.redact(text);
  }
}
