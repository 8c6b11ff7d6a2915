/**
 * Instance health as a metric, from the Runtime: `unhealthy_instances` is the share of a
 * release's instances failing health checks (state `unhealthy` or `crashloop`) among those not
 * stopped; `instances` is their number. Feeds the seed's "more than 30% of instances failing
 * health checks" trigger.
 */
import type { Instance, InstanceState, Runtime } from '../../../runtime/contract.ts';
import type { MetricProvider } from '../../contract.ts';

export const RUNTIME_METRICS = ['unhealthy_instances', 'instances'] as const;

// Typed as InstanceState so a renamed state in the runtime contract fails the typecheck here.
const FAILING: ReadonlySet<InstanceState> = new Set<InstanceState>(['unhealthy', 'crashloop']);
const GONE: ReadonlySet<InstanceState> = new Set<InstanceState>(['stopping', 'stopped']);

export interface RuntimeProviderConfig {
  readonly runtime: Pick<Runtime, 'name' | 'list'>;
}

export function createRuntimeProvider(config: RuntimeProviderConfig): MetricProvider {
  const { runtime } = config;
  return {
    name: 'runtime',
    async query(q) {
      if (!(RUNTIME_METRICS as readonly string[]).includes(q.metric)) {
        return {
          phase: 'error',
          message: `the runtime provider has no metric "${q.metric}"; it knows ${RUNTIME_METRICS.join(', ')}`,
        };
      }
      let all: readonly Instance[];
      try {
        all = await runtime.list(q.env);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return {
          phase: 'error',
          message: `runtime ${runtime.name} could not list instances of ${q.env}: ${message}`,
        };
      }
      const live = all.filter((i) => i.release === q.release && !GONE.has(i.state));
      if (q.metric === 'instances') return { phase: 'ok', value: live.length, count: live.length };
      if (live.length === 0) {
        return { phase: 'nodata', reason: `release ${q.release} has no running instances in ${q.env}` };
      }
      const failing = live.filter((i) => FAILING.has(i.state)).length;
      return { phase: 'ok', value: failing / live.length, count: live.length };
    },
  };
}
