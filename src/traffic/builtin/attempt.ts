/** The state of one proxied request across its attempts (see proxy.ts). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BackendState } from './backend-state.ts';
import type { EnvRoute, ReleaseSlot } from './env-route.ts';

export interface Attempt {
  readonly route: EnvRoute;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly headers: string[];
  readonly requestId: string;
  readonly started: number;
  readonly body: boolean;
  excluded: Set<BackendState> | null;
  avoided: Set<BackendState> | null;
  clientGone: boolean;
  /** Number of the attempt in flight (1 for the first). */
  n: number;
  /** The attempt in flight, to cancel when the client goes away. */
  call: { cancel(): void } | null;
  /** proxy.ts's answer to an attempt that got no response: retry elsewhere or answer 502. */
  readonly failed: Failed;
}

/** The backend gave no response at all; `connectFailed` when no connection was made. */
export type Failed = (ctx: Attempt, slot: ReleaseSlot, backend: BackendState, connectFailed: boolean) => void;

/**
 * One attempt's upstream call. It streams the response to the client and records it; when the
 * backend gave no response at all it calls `ctx.failed()` and leaves the client alone, so the
 * request may be retried. (A function and a context object rather than closures: this runs for
 * every request.)
 */
export type Send = (ctx: Attempt, slot: ReleaseSlot, backend: BackendState) => void;
