/**
 * An OpenFeature server provider (`@openfeature/server-sdk`) for slipway: it keeps a copy of one
 * environment's flags, synced from the server's change stream (`GET /api/flags/<env>/stream`), and
 * evaluates in-process with the same evaluator as the server. When the server is away it keeps the
 * last flags it had (optionally also across restarts, in `cacheFile`) and reconnects.
 *
 * @example
 * await OpenFeature.setProviderAndWait(new SlipwayProvider({ url, token, env: 'production' }));
 * const on = await OpenFeature.getClient().getBooleanValue('new-checkout', false, { targetingKey: userId });
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  type ErrorCode,
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { checkFlagSet } from './check.ts';
import type { FlagType } from './definition.ts';
import { CompiledFlags } from './evaluate.ts';
import { parseSse } from './sse.ts';

export interface SlipwayProviderOptions {
  /** The slipway server, e.g. http://127.0.0.1:7070 */
  readonly url: string;
  /** An API token with read on `env` (role viewer is enough). */
  readonly token: string;
  readonly env: string;
  /** Keep the last flags here too, so a restart while the server is away still has them. */
  readonly cacheFile?: string;
  /** How long `initialize` waits for the first flags before it fails (or falls back to the cache). */
  readonly initTimeoutMs?: number;
  /** Longest pause between reconnection attempts (they start at 100 ms and double). */
  readonly maxRetryMs?: number;
  readonly fetch?: typeof fetch;
}

interface Snapshot {
  readonly revision: number;
  readonly set: unknown;
}

export class SlipwayProvider implements Provider {
  readonly metadata = { name: 'slipway' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  readonly #o: SlipwayProviderOptions;
  readonly #stop = new AbortController();
  #flags: CompiledFlags | undefined;
  #revision = -1;
  #connected = false;
  /** Stale (the stream broke) or not ready (initialize gave up): the next flags announce Ready. */
  #degraded = false;
  #first: (() => void) | undefined;

  constructor(options: SlipwayProviderOptions) {
    this.#o = options;
  }

  /** The revision of the flags in use (-1: none yet). */
  get revision(): number {
    return this.#revision;
  }

  async initialize(): Promise<void> {
    const first = new Promise<void>((resolve) => {
      this.#first = resolve;
    });
    void this.#sync();
    const timeout = this.#o.initTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise<void>((r) => (timer = setTimeout(r, timeout)))]);
    clearTimeout(timer);
    if (this.#flags) return;
    const cached = this.#readCache();
    this.#degraded = true;
    if (cached) {
      this.#apply(cached, false);
      return;
    }
    throw new Error(
      `slipway: no flags from ${this.#o.url} for ${this.#o.env} within ${timeout} ms and no cache file`,
    );
  }

  async onClose(): Promise<void> {
    this.#stop.abort();
  }

  resolveBooleanEvaluation(
    key: string,
    dflt: boolean,
    ctx: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(this.#resolve(key, 'boolean', dflt, ctx));
  }
  resolveStringEvaluation(
    key: string,
    dflt: string,
    ctx: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return Promise.resolve(this.#resolve(key, 'string', dflt, ctx));
  }
  resolveNumberEvaluation(
    key: string,
    dflt: number,
    ctx: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return Promise.resolve(this.#resolve(key, 'number', dflt, ctx));
  }
  resolveObjectEvaluation<T extends JsonValue>(
    key: string,
    dflt: T,
    ctx: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return Promise.resolve(this.#resolve(key, 'object', dflt, ctx));
  }

  #resolve<T>(key: string, type: FlagType, dflt: T, ctx: EvaluationContext): ResolutionDetails<T> {
    if (!this.#flags) return { value: dflt, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' as ErrorCode };
    const r = this.#flags.evaluate(key, type, dflt, ctx);
    return {
      value: r.value,
      reason: r.reason,
      ...(r.variant !== undefined && { variant: r.variant }),
      ...(r.errorCode !== undefined && { errorCode: r.errorCode as ErrorCode }),
      ...(r.errorMessage !== undefined && { errorMessage: r.errorMessage }),
      ...(r.flagMetadata !== undefined && { flagMetadata: r.flagMetadata }),
    };
  }

  /** Follow the change stream until closed, reconnecting with backoff; flags stay as they were meanwhile. */
  async #sync(): Promise<void> {
    const doFetch = this.#o.fetch ?? fetch;
    const url = `${this.#o.url.replace(/\/+$/, '')}/api/flags/${encodeURIComponent(this.#o.env)}/stream`;
    let wait = 100;
    while (!this.#stop.signal.aborted) {
      try {
        const res = await doFetch(url, {
          headers: { authorization: `Bearer ${this.#o.token}`, accept: 'text/event-stream' },
          signal: this.#stop.signal,
        });
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        this.#connected = true;
        for await (const e of parseSse(res.body)) {
          if (e.event !== 'flags') continue;
          this.#apply(JSON.parse(e.data) as Snapshot, true);
          wait = 100;
        }
      } catch {
        // The server is away or the stream broke: keep the flags we have and try again.
      }
      if (this.#stop.signal.aborted) return;
      if (this.#connected && this.#flags) {
        this.#degraded = true;
        this.events.emit(ProviderEvents.Stale, {
          message: 'slipway server unreachable; using the last flags',
        });
      }
      this.#connected = false;
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, this.#o.maxRetryMs ?? 5000);
    }
  }

  #apply(snapshot: Snapshot, fresh: boolean): void {
    if (snapshot.revision === this.#revision) {
      if (fresh) this.#recovered();
      return;
    }
    const checked = checkFlagSet(snapshot.set);
    if (!checked.ok) return; // never replace good flags with ones this version cannot read
    const before = this.#flags;
    this.#flags = new CompiledFlags(checked.value);
    this.#revision = snapshot.revision;
    if (fresh && this.#o.cacheFile) this.#writeCache(snapshot);
    this.#first?.();
    this.#first = undefined;
    if (before)
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: this.#flags.keys() as string[] });
    if (fresh) this.#recovered();
  }

  /** Flags from the server again after being stale or not ready: say so (status READY). */
  #recovered(): void {
    if (!this.#degraded) return;
    this.#degraded = false;
    this.events.emit(ProviderEvents.Ready);
  }

  #readCache(): Snapshot | undefined {
    if (!this.#o.cacheFile) return undefined;
    try {
      return JSON.parse(readFileSync(this.#o.cacheFile, 'utf8')) as Snapshot;
    } catch {
      return undefined;
    }
  }

  #writeCache(snapshot: Snapshot): void {
    const file = this.#o.cacheFile as string;
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(snapshot));
      renameSync(`${file}.tmp`, file);
    } catch {
      // A cache that cannot be written only matters after a restart without the server.
    }
  }
}
