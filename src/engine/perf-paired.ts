/**
 * The side-by-side load as one run of interleaved requests: every connection alternates a request
 * pinned to the new release with one pinned to the previous, so the two releases are measured
 * request by request at the same moments and a stall of the machine lands on both alike (two
 * separate runs overlapped only second by second, and a stall could spoil one side's slice).
 * Each answer, error and timeout is told apart by the request it belongs to (the preview header
 * of the connection's request in flight). Each release gets the step's rate and connections.
 */
import autocannon from 'autocannon';
import { END_MARGIN_MS, figuresOf, type LoadResult, type LoadSpec, sliceMs, warmupMs } from './perf-load.ts';

/** What autocannon's connection exposes that this needs (its request in flight). */
interface ClientLike {
  on(event: 'response', listener: (status: number, bytes: number, ms: number) => void): void;
  on(event: 'timeout' | 'connError', listener: () => void): void;
  readonly requestIterator: { readonly currentRequest: { readonly headers?: Record<string, string> } };
}

interface Side {
  latencies: number[];
  slices: number[][];
  errors: number;
}

/**
 * `spec` without the preview header; `header` is its name, `mine`/`theirs` the two release ids.
 * Resolves with each release's figures and slices, as `runLoad` gives them for one.
 */
export function runPairedLoad(
  spec: Omit<LoadSpec, 'headers'>,
  header: string,
  mine: string,
  theirs: string,
): Promise<{ mine: LoadResult; theirs: LoadResult }> {
  const warm = warmupMs(spec.durationMs);
  const slice = sliceMs(spec.durationMs);
  const sides = new Map<string, Side>([
    [mine, { latencies: [], slices: [], errors: 0 }],
    [theirs, { latencies: [], slices: [], errors: 0 }],
  ]);
  let counting = false;
  let countFrom = 0;
  const sideOf = (client: ClientLike) =>
    sides.get(client.requestIterator.currentRequest.headers?.[header] ?? '');
  const setupClient = (client: ClientLike) => {
    // With one request in flight per connection (no pipelining), the current request is the one
    // this answer, timeout or connection error belongs to.
    client.on('response', (status, _bytes, ms) => {
      const side = sideOf(client);
      if (!counting || !side) return;
      if (status >= 200 && status < 400) {
        side.latencies.push(ms);
        const at = Math.floor((performance.now() - countFrom) / slice);
        side.slices[at] ??= [];
        side.slices[at].push(ms);
      } else side.errors++;
    });
    const failed = () => {
      const side = sideOf(client);
      if (counting && side) side.errors++;
    };
    client.on('timeout', failed);
    client.on('connError', failed);
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.origin,
        connections: spec.connections * 2,
        overallRate: spec.rate * 2,
        duration: spec.durationMs / 1000,
        timeout: 10,
        pipelining: 1,
        requests: spec.paths.flatMap((path) => [
          { method: 'GET', path, headers: { [header]: mine } },
          { method: 'GET', path, headers: { [header]: theirs } },
        ]),
        setupClient: setupClient as never,
      },
      (error) => {
        clearTimeout(warmTimer);
        clearTimeout(endTimer);
        spec.signal?.removeEventListener('abort', onAbort);
        if (error) return reject(error);
        if (spec.signal?.aborted) return reject(new Error('aborted'));
        const seconds = (spec.durationMs - END_MARGIN_MS - warm) / 1000;
        const result = (id: string): LoadResult => {
          const s = sides.get(id) as Side;
          return { figures: figuresOf(s.latencies, s.errors, seconds), slices: s.slices };
        };
        resolve({ mine: result(mine), theirs: result(theirs) });
      },
    );
    const warmTimer = setTimeout(() => {
      counting = true;
      countFrom = performance.now();
    }, warm);
    const endTimer = setTimeout(() => {
      counting = false;
    }, spec.durationMs - END_MARGIN_MS);
    const onAbort = () => instance.stop();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
