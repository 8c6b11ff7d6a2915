/** What the agent reports about an environment: per release its weight, instances and health. */
import type { Instance } from '../runtime/contract.ts';
import type { EnvRecord } from './state.ts';

export interface ReleaseStatus {
  readonly release: string;
  readonly weight: number;
  readonly app: string;
  readonly command: string;
  /** Names only: values are config and secrets. */
  readonly vars: readonly string[];
  readonly instances: readonly Instance[];
  readonly healthy: boolean;
}

export interface EnvStatus {
  readonly env: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly releases: readonly ReleaseStatus[];
  readonly healthy: boolean;
  readonly updatedAt: string;
  /** Set when restoring this environment after a restart failed; cleared by the next successful apply. */
  readonly error?: string;
}

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
    listen: record.desired.listen,
    releases,
    healthy: releases.every((r) => r.healthy || r.weight === 0),
    updatedAt: record.updatedAt,
    ...(error === undefined ? {} : { error }),
  };
}
