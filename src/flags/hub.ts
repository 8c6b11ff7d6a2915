/**
 * The server's live view of each environment's flags: one compiled copy per revision (OFREP
 * evaluates against it) and one shared watcher per environment that tells every stream subscriber
 * of a new revision. Changes made through this server are announced at once (`poke`); changes
 * made elsewhere (a CLI on the store directly) are found by polling the revision, every `pollMs`.
 */
import { CompiledFlags } from './evaluate.ts';
import type { FlagService, FlagSnapshot } from './service.ts';

export interface LiveFlags {
  readonly snapshot: FlagSnapshot;
  readonly flags: CompiledFlags;
}

type Listener = (live: LiveFlags) => void;

interface Watch {
  readonly listeners: Set<Listener>;
  timer: NodeJS.Timeout | undefined;
  busy: boolean;
  /** The revision last announced to this watch's listeners (each also filters what it already has). */
  revision: number;
}

export class FlagHub {
  readonly #service: FlagService;
  readonly #pollMs: number;
  readonly #live = new Map<string, LiveFlags>();
  readonly #watches = new Map<string, Watch>();

  constructor(service: FlagService, pollMs = 200) {
    this.#service = service;
    this.#pollMs = pollMs;
  }

  /** The environment's flags at their current revision (rebuilt only when the revision moved). */
  async current(env: string): Promise<LiveFlags> {
    const revision = await this.#service.revision(env);
    const cached = this.#live.get(env);
    if (cached && cached.snapshot.revision === revision) return cached;
    const snapshot = await this.#service.snapshot(env);
    const live = { snapshot, flags: new CompiledFlags(snapshot.set) };
    const now = this.#live.get(env);
    if (!now || now.snapshot.revision <= snapshot.revision) this.#live.set(env, live);
    return this.#live.get(env) as LiveFlags;
  }

  /**
   * Call `listener` with each new revision of `env` (and the current one at the first poll; listeners
   * skip revisions they already have) until the returned function is called.
   */
  subscribe(env: string, listener: Listener): () => void {
    let w = this.#watches.get(env);
    if (!w) {
      w = { listeners: new Set(), timer: undefined, busy: false, revision: -1 };
      this.#watches.set(env, w);
      const watch = w;
      watch.timer = setInterval(() => void this.#check(env, watch), this.#pollMs);
      watch.timer.unref();
    }
    w.listeners.add(listener);
    return () => {
      const watch = this.#watches.get(env);
      if (!watch) return;
      watch.listeners.delete(listener);
      if (watch.listeners.size === 0) {
        clearInterval(watch.timer);
        this.#watches.delete(env);
      }
    };
  }

  /** A change was just made through this server: tell the subscribers now, not at the next poll. */
  poke(env: string): void {
    const w = this.#watches.get(env);
    if (w) void this.#check(env, w);
  }

  /** Stop every watcher (server shutdown). */
  close(): void {
    for (const w of this.#watches.values()) clearInterval(w.timer);
    this.#watches.clear();
  }

  async #check(env: string, w: Watch): Promise<void> {
    if (w.busy) return;
    w.busy = true;
    try {
      const live = await this.current(env);
      if (live.snapshot.revision !== w.revision) {
        w.revision = live.snapshot.revision;
        for (const l of w.listeners) l(live);
      }
    } catch {
      // The store is briefly unavailable: the next poll tries again; subscribers keep what they have.
    } finally {
      w.busy = false;
    }
  }
}
