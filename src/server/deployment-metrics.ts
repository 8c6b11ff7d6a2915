/**
 * Recent deployments as Prometheus series, read from the store at each scrape (deployments run by
 * the CLI count too): the newest RECENT deployments of every app and environment.
 * - `slipway_deployment_event_timestamp_seconds{app,env,deployment,release,event}` — when each
 *   started and ended (`event`: started, succeeded, rolled_back, failed, aborted), the value a Unix
 *   time: a Grafana annotation query ("series value as timestamp") draws them on any dashboard.
 * - `slipway_deployment_step_duration_seconds{app,env,deployment,step,kind}` — each step, from its
 *   "began" line on the time line to the next step's (or the end); `step` is its index.
 * - `slipway_analysis_verdicts{app,env,verdict}` — the last analysis verdict (pass, fail,
 *   inconclusive) of each of those deployments, counted.
 * Labels stay bounded: RECENT deployments, a few steps each.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Deployment } from '../domain/types.ts';
import { describeStep } from '../engine/machine.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';
import type { Store } from '../store/contract.ts';

export const RECENT = 50;

const seconds = (iso: string) => Date.parse(iso) / 1000;

/** Step index → seconds it took, from the time line (steps that never began are left out). */
export function stepDurations(d: Deployment): { step: number; kind: string; seconds: number }[] {
  const state = storedStateOrUndefined(d);
  if (!state) return [];
  const { plan, timeline } = state.engine;
  const began = plan.map((step) => timeline.find((e) => e.what === `began: ${describeStep(step)}`)?.at);
  const end = d.finishedAt ? Date.parse(d.finishedAt) : null;
  const out: { step: number; kind: string; seconds: number }[] = [];
  plan.forEach((step, i) => {
    const from = began[i];
    if (from === undefined) return;
    const to = began.slice(i + 1).find((x) => x !== undefined) ?? end;
    if (to !== null) out.push({ step: i, kind: step.kind, seconds: Math.max(0, (to - from) / 1000) });
  });
  return out;
}

export function registerDeploymentMetrics(registry: Registry, store: Store): void {
  // One read per scrape, shared by the three gauges.
  let recent: Promise<readonly Deployment[]> | null = null;
  const read = () => {
    recent ??= store.listDeployments({ limit: RECENT }).finally(() => setTimeout(() => (recent = null), 0));
    return recent;
  };
  new Gauge({
    name: 'slipway_deployment_event_timestamp_seconds',
    help: `When each of the newest ${RECENT} deployments started and ended (Unix time; for Grafana annotations)`,
    labelNames: ['app', 'env', 'deployment', 'release', 'event'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const d of await read()) {
        const base = { app: d.app, env: d.env, deployment: d.id, release: d.releaseId };
        this.set({ ...base, event: 'started' }, seconds(d.createdAt));
        if (d.finishedAt) this.set({ ...base, event: d.status }, seconds(d.finishedAt));
      }
    },
  });
  new Gauge({
    name: 'slipway_deployment_step_duration_seconds',
    help: `How long each step of the newest ${RECENT} deployments took (to the next step or the end)`,
    labelNames: ['app', 'env', 'deployment', 'step', 'kind'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const d of await read())
        for (const s of stepDurations(d))
          this.set(
            { app: d.app, env: d.env, deployment: d.id, step: String(s.step), kind: s.kind },
            s.seconds,
          );
    },
  });
  new Gauge({
    name: 'slipway_analysis_verdicts',
    help: `The last analysis verdict of each of the newest ${RECENT} deployments, counted by app, environment and verdict`,
    labelNames: ['app', 'env', 'verdict'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const counts = new Map<string, { app: string; env: string; verdict: string; n: number }>();
      for (const d of await read()) {
        const verdict = storedStateOrUndefined(d)?.guard?.verdict;
        if (!verdict) continue;
        const key = `${d.app}\u0000${d.env}\u0000${verdict}`;
        const c = counts.get(key) ?? { app: d.app, env: d.env, verdict, n: 0 };
        c.n++;
        counts.set(key, c);
      }
      for (const c of counts.values()) this.set({ app: c.app, env: c.env, verdict: c.verdict }, c.n);
    },
  });
}
