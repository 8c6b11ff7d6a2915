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
  /** Cancels the attempt in flight (the client went away). */
  cancel: (() => void) | null;
}

/**
 * One attempt's upstream call. It streams the response to the client and records it; when the
 * backend gave no response at all it calls `failed(connectFailed)` and leaves the client alone,
 * so the caller may retry.
 */
export type Send = (
  ctx: Attempt,
  slot: ReleaseSlot,
  backend: BackendState,
  failed: (connectFailed: boolean) => void,
) => void;
