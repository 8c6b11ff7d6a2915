/**
 * Listening sockets held by a supervisor process (`slipway agent --supervise`, src/agent/supervisor.ts).
 * Under a supervisor the agent does not bind its listeners itself: it asks the parent over Node's
 * IPC channel for the handle of (host, port) and listens on that. The parent keeps its own copy of
 * the socket, so when the agent dies the kernel keeps queueing connections until the next agent
 * accepts them: an agent restart refuses no connection. Outside a supervisor every function here
 * says so (undefined / no-op) and the router binds as usual.
 */

/** Set by the supervisor in its child's environment. */
export const SUPERVISED_ENV = 'SLIPWAY_SUPERVISED';
/** Set for a spare agent: load everything, then wait for the supervisor's word (awaitTurn). */
export const STANDBY_ENV = 'SLIPWAY_STANDBY';

/** A listening handle received from the parent; `net.Server#listen` accepts it as is. */
export type HeldHandle = object;

/**
 * How a router in a worker thread (router-thread.ts) reaches the supervisor: only the main thread
 * has the IPC channel, so the worker asks it and listens on the descriptor it gets back.
 */
export interface ListenerRelay {
  readonly supervised: boolean;
  listen(host: string, port: number, key: string): Promise<{ fd: number }>;
  release(key: string): void;
}

let relay: ListenerRelay | undefined;

/** Called once in a router worker thread: every function here then goes through the main thread. */
export function useListenerRelay(r: ListenerRelay): void {
  relay = r;
}

interface Reply {
  readonly slipway: 'listener';
  readonly id: number;
  readonly error?: string;
}

let nextId = 1;
const waiting = new Map<number, { resolve(h: HeldHandle): void; reject(e: Error): void }>();
let wired = false;

/** True when this process runs under the supervisor and can ask it for listeners. */
export function supervised(): boolean {
  if (relay) return relay.supervised;
  return process.env[SUPERVISED_ENV] === '1' && typeof process.send === 'function' && process.connected;
}

function wire(): void {
  if (wired) return;
  wired = true;
  process.on('message', (message: unknown, handle: unknown) => {
    const reply = message as Partial<Reply> | null;
    if (reply?.slipway !== 'listener' || typeof reply.id !== 'number') return;
    const pending = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (waiting.size === 0) channel()?.unref?.();
    if (reply.error !== undefined || handle === undefined) {
      pending?.reject(new Error(reply.error ?? 'the supervisor sent no listener'));
    } else pending?.resolve(handle as HeldHandle);
  });
}

/** The IPC channel is held (ref) only while a reply is awaited: it must not keep a stopped agent alive. */
function channel(): { ref?(): void; unref?(): void } | undefined {
  return process.channel as { ref?(): void; unref?(): void } | undefined;
}

/** The key the supervisor holds a listener under. */
export function listenerKey(host: string, port: number): string {
  return `${host}:${port}`;
}

/**
 * The supervisor's listening handle for host:port (bound by it on first request, the same one on
 * every later request, also from the next agent), or undefined when there is no supervisor or the
 * port is 0 (an ephemeral port is this process's own).
 */
export function heldListener(host: string, port: number, key = listenerKey(host, port)) {
  if (!supervised() || (port === 0 && key === listenerKey(host, port))) return undefined;
  if (relay) return relay.listen(host, port, key);
  wire();
  const id = nextId++;
  return new Promise<HeldHandle>((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    channel()?.ref?.();
    process.send!({ slipway: 'listen', id, key, host, port }, undefined, {}, (error) => {
      if (!error) return;
      waiting.delete(id);
      if (waiting.size === 0) channel()?.unref?.();
      reject(error);
    });
  });
}

/** Tells the supervisor a listener is no longer wanted (an environment removed or moved): it closes its copy. */
export function releaseListener(key: string): void {
  if (!supervised()) return;
  if (relay) relay.release(key);
  else process.send!({ slipway: 'release', key }, undefined, {}, () => {});
}

/**
 * A spare agent started with SLIPWAY_STANDBY=1 waits here, its modules loaded, until the supervisor
 * makes it the agent (`go`); it says it is waiting (`standby`) so the supervisor never counts on a
 * spare that could miss the word. It exits when the supervisor goes away. Others return at once.
 */
export function awaitTurn(): Promise<void> {
  if (process.env[STANDBY_ENV] !== '1' || !supervised()) return Promise.resolve();
  delete process.env[STANDBY_ENV];
  return new Promise((resolve) => {
    const gone = () => process.exit(0);
    const onMessage = (message: unknown) => {
      if ((message as { slipway?: string } | null)?.slipway !== 'go') return;
      process.off('message', onMessage);
      process.off('disconnect', gone);
      channel()?.unref?.();
      resolve();
    };
    process.on('message', onMessage);
    process.once('disconnect', gone);
    process.send!({ slipway: 'standby' });
  });
}
