/**
 * The built-in router's worker thread: a BuiltinRouter with an event loop of its own, so the agent's
 * API never slows the traffic and the traffic never queues the agent's commands. Weights come through
 * shared memory (shared-weights.ts), read at the next request. Started by threaded-router.ts; answers
 * each call with the same id.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RouteState } from '../contract.ts';
import { useListenerRelay } from './held-listeners.ts';
import { BuiltinRouter } from './router.ts';
import { SharedWeights } from './shared-weights.ts';
import {
  type HeldAnswer,
  type RouterAnswer,
  type RouterCall,
  type RouterThreadData,
  toWire,
} from './thread-messages.ts';

const port = parentPort!;
const data = workerData as RouterThreadData;
const router = new BuiltinRouter(data.limits);

let nextHeld = 1;
const held = new Map<number, { resolve(v: { fd: number }): void; reject(e: Error): void }>();

useListenerRelay({
  supervised: data.supervised,
  listen: (host, listenPort, key) =>
    new Promise((resolve, reject) => {
      const id = nextHeld++;
      held.set(id, { resolve, reject });
      port.postMessage({ held: id, host, port: listenPort, key });
    }),
  release: (key) => port.postMessage({ release: key }),
});

/**
 * Applies a state and, once it is served, reads the environment's weights from `buffer` (the main
 * thread writes there from then on). Writes to the previous buffer are for the previous releases:
 * it is let go before the new state applies.
 */
async function applyShared(state: RouteState, buffer: SharedArrayBuffer | undefined): Promise<void> {
  router.shareWeights(state.env, undefined);
  await router.apply(state);
  if (buffer) router.shareWeights(state.env, new SharedWeights(buffer));
}

function answer(id: number, work: () => unknown): void {
  let result: unknown;
  try {
    result = work();
  } catch (error) {
    port.postMessage({ id, error: toWire(error) } satisfies RouterAnswer);
    return;
  }
  Promise.resolve(result).then(
    (value) => port.postMessage({ id, value } satisfies RouterAnswer),
    (error: unknown) => port.postMessage({ id, error: toWire(error) } satisfies RouterAnswer),
  );
}

port.on('message', (message: RouterCall | HeldAnswer) => {
  if ('held' in message) {
    const waiting = held.get(message.held);
    held.delete(message.held);
    if (message.fd !== undefined) waiting?.resolve({ fd: message.fd });
    else waiting?.reject(new Error(message.error ?? 'the supervisor sent no listener'));
    return;
  }
  const [a, b, c] = message.args as [never, never, never];
  switch (message.op) {
    case 'apply':
      return answer(message.id, () => applyShared(a, b));
    case 'setWeights':
      // The main thread wrote the weights to the shared buffer already; a request may have taken
      // them by now. Taking them here keeps the order of the writes (a message may be older than the
      // buffer); without a buffer (not applied through this thread) the message carries them.
      return answer(message.id, () => (router.takeSharedWeights(a) ? undefined : router.setWeights(a, b)));
    case 'metrics':
      return answer(message.id, () => router.metrics(a, b, c));
    case 'prometheus':
      return answer(message.id, () => router.prometheus());
    case 'remove':
      return answer(message.id, () => router.remove(a, b));
    case 'close':
      return answer(message.id, () => router.close());
  }
});
