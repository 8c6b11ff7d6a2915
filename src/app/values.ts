/**
 * An environment's config values and secrets, resolved once per deployment: the new deployment's
 * context, its preflight and the executor's reads of credential-named plain values all ask here,
 * and a new deployment of the environment starts from a fresh resolution.
 */
import type { SlipwayConfig } from '../config/schema.ts';
import type { PreparedConfig } from '../config/values/prepare.ts';
import { prepareEnvironment } from '../config/values/project.ts';
import type { SecretStore } from '../secrets/contract.ts';

type Pins = Readonly<Record<string, number>>;

export interface EnvValuesDeps {
  readonly config: SlipwayConfig;
  readonly projectDir: string;
  readonly dataDir: string;
  readonly secrets: SecretStore;
  readonly processEnv?: Readonly<Record<string, string | undefined>>;
}

const keyOf = (env: string, pins?: Pins) =>
  `${env}\0${pins ? JSON.stringify(Object.entries(pins).sort(([a], [b]) => a.localeCompare(b))) : 'latest'}`;

export class EnvValues {
  readonly #deps: EnvValuesDeps;
  readonly #cache = new Map<string, Promise<PreparedConfig>>();
  /** How many times an environment's values were actually resolved (for tests of "once"). */
  resolutions = 0;

  constructor(deps: EnvValuesDeps) {
    this.#deps = deps;
  }

  /** The values of `env` (at `pins`, or the latest), resolved on first ask. */
  prepare(env: string, pins?: Pins): Promise<PreparedConfig> {
    const key = keyOf(env, pins);
    let hit = this.#cache.get(key);
    if (!hit) {
      this.resolutions++;
      hit = prepareEnvironment({
        ...this.#deps,
        env,
        store: this.#deps.secrets,
        ...(pins && { pins }),
      });
      // A failed resolution is not kept: the next ask (a retry after the fix) resolves again.
      hit.catch(() => this.#cache.delete(key));
      this.#cache.set(key, hit);
      if (!pins) {
        // The latest values are also the values at the pins they resolved to (what the preflight asks).
        hit
          .then((p) => this.#cache.set(keyOf(env, p.secretPins), hit as Promise<PreparedConfig>))
          .catch(() => {});
      }
    }
    return hit;
  }

  /** Forget what `env` resolved to: a new deployment reads the files and stores again. */
  fresh(env: string): void {
    for (const key of [...this.#cache.keys()]) if (key.startsWith(`${env}\0`)) this.#cache.delete(key);
  }
}
