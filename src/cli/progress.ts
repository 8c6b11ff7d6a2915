/**
 * The live progress view of a deployment in the terminal: every timeline entry as it happens,
 * the traffic weight, and the latest numbers of the new release against its baseline.
 */
import type { Deployment } from '../domain/types.ts';
import type { GuardResult } from '../engine/ports.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';
import type { Store } from '../store/contract.ts';
import type { Io } from './io.ts';

const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`;
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${Math.round(v)} ms`);

export function numbersLine(g: GuardResult | undefined): string | undefined {
  const n = g?.numbers;
  if (!n) return undefined;
  return `errors ${pct(n.errorRate)} (baseline ${pct(n.baselineErrorRate)}) · p95 ${ms(n.p95)} (baseline ${ms(n.baselineP95)})`;
}

/** Prints the deployment's new timeline entries every `everyMs` until `stop` aborts. */
export function watchProgress(
  store: Store,
  io: Io,
  deploymentId: string,
  stop: AbortSignal,
  everyMs = 250,
): Promise<void> {
  let afterId = 0;
  let lastNumbers = '';
  let lastWeight = -1;
  let lastNumbersAt = 0;
  const start = Date.now();
  const tick = async () => {
    for (const e of await store.listEvents(deploymentId, afterId)) {
      afterId = e.id;
      const data = e.data as { what?: string; weight?: number };
      // Instant steps show when done; only steps that last show when they begin.
      if (
        !data.what ||
        (data.what.startsWith('began: ') && !/^began: (pause|analysis|watch)/.test(data.what))
      )
        continue;
      const t = `${((Date.parse(e.at) - start) / 1000).toFixed(1).padStart(6)}s`;
      const weight =
        data.weight !== undefined && data.weight !== lastWeight
          ? io.style('cyan', `  → new release has ${data.weight}% of traffic`)
          : '';
      if (data.weight !== undefined) lastWeight = data.weight;
      io.out(`${io.style('dim', t)}  ${data.what.replace(/^done: /, '✓ ')}${weight}`);
    }
    const d = await store.getDeployment(deploymentId);
    const line = numbersLine(d && storedStateOrUndefined(d)?.guard);
    // Numbers change every measurement; show them every few seconds, not every time.
    if (line && line !== lastNumbers && Date.now() - lastNumbersAt >= 2000) {
      lastNumbers = line;
      lastNumbersAt = Date.now();
      io.out(io.style('dim', `         ${line}`));
    }
  };
  return (async () => {
    while (!stop.aborted) {
      await tick().catch(() => undefined);
      await new Promise((r) => setTimeout(r, everyMs));
    }
    await tick().catch(() => undefined);
  })();
}

/** One line on how a deployment ended. */
export function outcomeLine(d: Deployment, version: string, io: Io): string {
  const state = storedStateOrUndefined(d);
  const o = state?.engine?.outcome;
  const took = d.finishedAt
    ? ` in ${((Date.parse(d.finishedAt) - Date.parse(d.createdAt)) / 1000).toFixed(1)}s`
    : '';
  switch (d.status) {
    case 'succeeded':
      return io.style('green', `✓ ${d.app} ${version} is live on ${d.env}${took}`);
    case 'rolled_back':
      return io.style(
        'red',
        `✗ ${d.app} ${version} was rolled back on ${d.env}${took}: ${o?.reason ?? d.reason ?? 'no reason recorded'}${o?.rule ? ` (rule ${o.rule})` : ''}`,
      );
    case 'aborted':
      return io.style(
        'yellow',
        `✗ deployment ${d.id} was aborted${o?.by ? ` by ${o.by}` : ''}: ${o?.reason ?? d.reason ?? ''}`,
      );
    case 'failed':
      return io.style(
        'red',
        `✗ ${d.app} ${version} failed on ${d.env}, nothing changed for users: ${d.reason ?? 'no reason recorded'}`,
      );
    default:
      return `deployment ${d.id} is ${d.status}; \`slipway resume ${d.env}\` drives it on, \`slipway rollback ${d.env}\` undoes it`;
  }
}
