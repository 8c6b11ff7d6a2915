/**
 * What the engine sees of a fleet: the hosts' answers folded into one, as if one agent served the
 * environment (instances listed from every host, counts summed), and the per-host comparison
 * that names a host worse than its peers. Pure.
 */
import type { EnvStatus, InstanceView, ReleaseMetricsView, ReleaseStatus } from '../domain/data-plane.ts';

export interface HostAnswer<T> {
  readonly address: string;
  readonly value: T;
}

/** One status for the environment: each release's instances from every host (ids prefixed by host). */
export function mergeStatus(env: string, answers: readonly HostAnswer<EnvStatus>[]): EnvStatus {
  const releases = new Map<string, ReleaseStatus & { instances: InstanceView[] }>();
  for (const { address, value } of answers)
    for (const r of value.releases) {
      const into = releases.get(r.release) ?? { ...r, instances: [], healthy: true };
      into.instances.push(...r.instances.map((i) => ({ ...i, id: `${address}/${i.id}`, host: address })));
      releases.set(r.release, { ...into, healthy: into.healthy && r.healthy });
    }
  const first = answers[0]?.value;
  const errors = answers.filter((a) => a.value.error).map((a) => `host ${a.address}: ${a.value.error}`);
  return {
    env,
    driver: 'builtin',
    listen: first?.listen ?? { host: '127.0.0.1', port: 0 },
    releases: [...releases.values()],
    healthy: answers.length > 0 && answers.every((a) => a.value.healthy),
    updatedAt:
      answers
        .map((a) => a.value.updatedAt)
        .sort()
        .at(-1) ?? new Date(0).toISOString(),
    ...(errors.length > 0 && { error: errors.join('; ') }),
  };
}

const weighted = (
  views: readonly ReleaseMetricsView[],
  pick: (v: ReleaseMetricsView) => number | null,
): number | null => {
  const known = views.filter((v) => pick(v) !== null && v.requests > 0);
  const total = known.reduce((sum, v) => sum + v.requests, 0);
  if (total === 0) return null;
  return known.reduce((sum, v) => sum + (pick(v) as number) * v.requests, 0) / total;
};

type Bounds = { readonly low: number; readonly high: number } | null;

/**
 * One release's metrics over the fleet: counts summed; a latency percentile as the request-weighted
 * mean of the hosts' (an estimate), its bounds the lowest low and highest high — the percentile of
 * a mixture always lies between its parts' percentiles, so those bounds hold.
 */
export function mergeMetrics(release: string, views: readonly ReleaseMetricsView[]): ReleaseMetricsView {
  const sum = (pick: (v: ReleaseMetricsView) => number) => views.reduce((s, v) => s + pick(v), 0);
  const status = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  for (const v of views)
    for (const k of Object.keys(status) as (keyof typeof status)[]) status[k] += v.status[k];
  const bound = (q: 'p50' | 'p95' | 'p99'): Bounds => {
    const all = views.map((v) => v.latencyBounds?.[q]).filter((b): b is NonNullable<Bounds> => b != null);
    if (all.length === 0) return null;
    return { low: Math.min(...all.map((b) => b.low)), high: Math.max(...all.map((b) => b.high)) };
  };
  const hasBounds = views.some((v) => v.latencyBounds !== undefined);
  return {
    release,
    windowMs: views[0]?.windowMs ?? 0,
    requests: sum((v) => v.requests),
    status,
    failures: sum((v) => v.failures),
    latency: {
      p50: weighted(views, (v) => v.latency.p50),
      p95: weighted(views, (v) => v.latency.p95),
      p99: weighted(views, (v) => v.latency.p99),
    },
    ...(hasBounds && { latencyBounds: { p50: bound('p50'), p95: bound('p95'), p99: bound('p99') } }),
  };
}

/** Below this many requests a host's failure rate says little. */
const MIN_REQUESTS = 20;

/**
 * Hosts whose failure rate for a release stands out from the other hosts': at least 5%, and above
 * three times the peers' rate plus one point. One line per such host.
 */
export function worseThanPeers(answers: readonly HostAnswer<ReleaseMetricsView>[]): string[] {
  const lines: string[] = [];
  for (const { address, value } of answers) {
    if (value.requests < MIN_REQUESTS) continue;
    const peers = answers.filter((a) => a.address !== address);
    const peerRequests = peers.reduce((s, a) => s + a.value.requests, 0);
    if (peerRequests < MIN_REQUESTS) continue;
    const rate = value.failures / value.requests;
    const peerRate = peers.reduce((s, a) => s + a.value.failures, 0) / peerRequests;
    if (rate >= 0.05 && rate > 3 * peerRate + 0.01)
      lines.push(
        `host ${address} serves ${value.release} worse than its peers: ${pct(rate)} of ${value.requests} requests failed there, ${pct(peerRate)} on the other ${peers.length} hosts`,
      );
  }
  return lines;
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;
