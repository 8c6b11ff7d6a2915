/**
 * The built-in router as the agent runs it: a BuiltinRouter in a worker thread of its own
 * (router-thread.ts). The agent's main thread keeps its API, its reconciliation and its timers; the
 * router thread keeps the sockets. Under load the main thread's loop would otherwise take a command
 * only after the batch of client sockets ready before it, which put milliseconds between "the agent
 * was told to switch" and "the next request goes to the new side". Now the main thread writes the
 * weights to memory shared with the router thread, which reads them at its next request.
 *
 * Same contract as BuiltinRouter (src/traffic/contract.ts); an error keeps its code across the
 * threads. The listeners a supervisor holds reach the thread as descriptors (held-listeners.ts).
 * A crash of the router thread crashes the agent, as a crash of an in-process router did, so a
 * supervisor starts a new one on the same listeners.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ReleaseMetrics, RouterCapabilities, RouteState, TrafficRouter } from '../contract.ts';
import { validateRouteState, withWeights } from '../validate.ts';
import { BUILTIN_CAPABILITIES } from './capabilities.ts';
import type { ClientLimits } from './client-conn.ts';
import { heldListener, releaseListener, supervised } from './held-listeners.ts';
import { SharedWeights } from './shared-weights.ts';
import {
  fromWire,
  type HeldAsk,
  type HeldRelease,
  type RouterAnswer,
  type RouterOp,
  type RouterThreadData,
} from './thread-messages.ts';

const here = fileURLToPath(import.meta.url);
const ENTRY = fileURLToPath(new URL(`./router-thread${extname(here)}`, import.meta.url));

/**
 * Handles received from the supervisor whose descriptors a router thread listens on. Kept for the
 * life of the process: closing (or collecting) one would close a descriptor the thread owns.
 */
const passedHandles: object[] = [];

/** A thread started ahead of need by prestartRouterThread(), taken by the first router with default limits. */
let spare: Worker | undefined;

function startThread(limits: Partial<ClientLimits>): Worker {
  const data: RouterThreadData = { supervised: supervised(), limits };
  const worker = new Worker(ENTRY, { workerData: data, stdout: false, stderr: false });
  // The agent's own server keeps the process alive; a forgotten router must not.
  worker.unref();
  return worker;
}

/**
 * Starts the router thread (its module loading) ahead of need: a supervisor's spare agent does it
 * before its turn, so a restart does not wait for it.
 */
export function prestartRouterThread(): void {
  spare ??= startThread({});
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class ThreadedRouter implements TrafficRouter {
  readonly name = 'builtin';
  readonly capabilities: RouterCapabilities = BUILTIN_CAPABILITIES;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Each environment's state as last applied, and the buffer its weights are written to. */
  private readonly applied = new Map<string, { state: RouteState; shared: SharedWeights }>();
  private gone: Error | undefined;

  constructor(limits: Partial<ClientLimits> = {}) {
    if (spare && Object.keys(limits).length === 0) {
      this.worker = spare;
      spare = undefined;
    } else this.worker = startThread(limits);
    this.worker.on('message', (message: RouterAnswer | HeldAsk | HeldRelease) => this.onMessage(message));
    this.worker.on('error', (error) => {
      this.end(error);
      // As an exception in an in-process router would have: the agent stops, its supervisor restarts it.
      throw error;
    });
    this.worker.on('exit', (code) => {
      if (this.gone) return;
      const error = new Error(`the builtin router thread exited (code ${code})`);
      this.end(error);
      // Not asked to (close() sets gone first): nothing would serve the environments any more.
      throw error;
    });
  }

  async apply(state: RouteState): Promise<void> {
    validateRouteState(state);
    const shared = new SharedWeights(state.releases.length);
    await this.call('apply', [state, shared.buffer]);
    this.applied.set(state.env, { state, shared });
  }

  /**
   * Writes the weights where the router thread reads them at its next request (shared-weights.ts),
   * so the switch does not wait for that thread to take a message; resolves once the thread has
   * them in its state too. Refused here, with the in-process router's errors, if it cannot apply.
   */
  async setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<void> {
    const applied = this.applied.get(env);
    const releases = withWeights(applied?.state, env, weights);
    applied!.shared.write(releases.map((r) => r.weight));
    applied!.state = { ...applied!.state, releases };
    await this.call('setWeights', [env, weights]);
  }

  metrics(env: string, release: string, windowMs: number): Promise<ReleaseMetrics> {
    return this.call('metrics', [env, release, windowMs]) as Promise<ReleaseMetrics>;
  }

  /** Every environment's metrics in the Prometheus text format, for a /metrics endpoint. */
  prometheus(): Promise<string> {
    return this.call('prometheus', []) as Promise<string>;
  }

  async remove(env: string, release = true): Promise<void> {
    this.applied.delete(env);
    await this.call('remove', [env, release]);
  }

  /** Stops serving (held listeners stay held for the next agent) and ends the thread. */
  async close(): Promise<void> {
    if (this.gone) return;
    await this.call('close', []);
    this.end(new Error('the builtin router was closed'));
    await this.worker.terminate();
  }

  private call(op: RouterOp, args: readonly unknown[]): Promise<unknown> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // A call awaited keeps the process alive (the thread alone does not: see startThread).
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  private onMessage(message: RouterAnswer | HeldAsk | HeldRelease): void {
    if ('held' in message) {
      void this.relayHeld(message);
      return;
    }
    if ('release' in message) {
      releaseListener(message.release);
      return;
    }
    const pending = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker.unref();
    if (message.error) pending?.reject(fromWire(message.error));
    else pending?.resolve(message.value);
  }

  /** Asks the supervisor for the listener the thread wants and passes on its descriptor. */
  private async relayHeld(ask: HeldAsk): Promise<void> {
    try {
      const handle = await heldListener(ask.host, ask.port, ask.key);
      const fd = (handle as { fd?: number } | undefined)?.fd;
      if (handle === undefined || typeof fd !== 'number' || fd < 0)
        throw new Error('the supervisor sent no listener');
      passedHandles.push(handle);
      this.worker.postMessage({ held: ask.held, fd });
    } catch (error) {
      this.worker.postMessage({ held: ask.held, error: (error as Error).message });
    }
  }

  private end(error: Error): void {
    this.gone ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
