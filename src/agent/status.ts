/** What the agent reports about an environment: per release its weight, instances and health. */
import type { EnvStatus } from '../domain/data-plane.ts';
import type { Instance } from '../runtime/contract.ts';
import type { EnvRecord } from './state.ts';

export type { EnvStatus, ReleaseStatus } from '../domain/data-plane.ts';

/** Status of one environment from its record and the runtime's live instances. Pure. */
export function envStatus(
  record: EnvRecord,
  live: readonly Instance[],
  error: string | undefined,
): EnvStatus {
  const releases = record.desired.releases.map((r) => {
    const instances = live.filter((i) => i.release === r.release);
    return {
      release: r.release,
      weight: r.weight,
      app: r.app,
      command: r.command,
      vars: Object.keys(r.vars).sort(),
      instances,
      healthy: instances.length === r.count && instances.every((i) => i.state === 'healthy'),
    };
  });
  return {
    env: record.desired.env,
    driver: record.desired.driver ?? 'builtin',
    listen: record.desired.listen,
    releases,
    healthy: releases.every((r) => r.healthy || r.weight === 0),
    updatedAt: record.updatedAt,
    ...(error === undefined ? {} : { error }),
  };
}
