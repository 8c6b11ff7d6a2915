/**
 * The side-by-side load as one run of interleaved requests: every connection alternates a request
 * pinned to the new release with one pinned to the previous, so the two releases are measured
 * request by request at the same moments and a stall of the machine lands on both alike (two
 * separate runs overlapped only second by second, and a stall could spoil one side's slice).
 * Each answer, error and timeout is told apart by the request it belongs to (the preview header
 * of the connection's request in flight). Each release gets the step's rate and connections.
 */
import type autocannon from 'autocannon';
import {
  CountedAnswers,
  CountingWindow,
  type LoadResult,
  type LoadSpec,
  loadAutocannon,
  settleRun,
} from './perf-load.ts';

/** What autocannon's connection exposes that this needs (its request in flight). */
interface ClientLike {
  on(event: 'response', listener: (status: number, bytes: number, ms: number) => void): void;
  on(event: 'timeout' | 'connError', listener: () => void): void;
  readonly requestIterator: { readonly currentRequest: { readonly headers?: Record<string, string> } };
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
  return new Promise((resolve, reject) => {
    const window = new CountingWindow(spec.durationMs);
    const sides = new Map([
      [mine, new CountedAnswers(window)],
      [theirs, new CountedAnswers(window)],
    ]);
    const sideOf = (client: ClientLike) =>
      sides.get(client.requestIterator.currentRequest.headers?.[header] ?? '');
    const setupClient = (client: ClientLike) => {
      // With one request in flight per connection (no pipelining), the current request is the one
      // this answer, timeout or connection error belongs to.
      client.on('response', (status, _bytes, ms) => sideOf(client)?.answer(status, ms));
      const failed = () => sideOf(client)?.failed();
      client.on('timeout', failed);
      client.on('connError', failed);
    };
    const result = () => ({
      mine: (sides.get(mine) as CountedAnswers).result(),
      theirs: (sides.get(theirs) as CountedAnswers).result(),
    });
    let instance: autocannon.Instance | undefined;
    const done = settleRun(window, spec.signal, () => instance?.stop(), result, resolve, reject);
    instance = loadAutocannon()(
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
      done,
    );
  });
}
