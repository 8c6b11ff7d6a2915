/**
 * The API shapes the dashboard reads: the server's own zod schemas (type-only, nothing of the
 * server is bundled), narrowed where the schema leaves a field open (the analysis numbers).
 */
import type { z } from '@hono/zod-openapi';
import type {
  ClientDeployment as ClientDeploymentSchema,
  ClientEnvironment as ClientEnvironmentSchema,
  ClientHistory,
} from '../../server/routes/client.ts';
import type { DoraBody } from '../../server/routes/metrics.ts';
import type {
  DeploymentDetail,
  DeploymentSummary,
  EnvironmentRow,
  Release as ReleaseSchema,
} from '../../server/schemas.ts';

export type EnvRow = z.infer<typeof EnvironmentRow>;
export type DoraReport = z.infer<typeof DoraBody>;
export type Deployment = z.infer<typeof DeploymentSummary>;
export type Release = z.infer<typeof ReleaseSchema>;
export interface Numbers {
  errorRate?: number | null;
  p95?: number | null;
  baselineErrorRate?: number | null;
  baselineP95?: number | null;
}
export interface Analysis {
  verdict: 'pass' | 'fail' | 'inconclusive';
  reason: string;
  rule?: string;
  observed?: number | null;
  threshold?: number | null;
  numbers?: Numbers;
}
export interface Progress {
  status: string;
  step: number;
  weight: number;
  plan: { kind: string; description: string; weight?: number; durationMs?: number | null }[];
  outcome: string | null;
}
export type Detail = Omit<z.infer<typeof DeploymentDetail>, 'progress' | 'analysis'> & {
  progress: Progress;
  analysis: Analysis | null;
};
export interface RestoreSpeed {
  env: string | null;
  totalMs: number | null;
  rows: number | null;
  at: string | null;
}
export interface RollbackSpeed {
  env: string | null;
  switchMs: number | null;
  at: string | null;
}
export type ClientEnvironment = z.infer<typeof ClientEnvironmentSchema>;
export type ClientDeployment = z.infer<typeof ClientDeploymentSchema>;
export type ClientHistoryRow = z.infer<typeof ClientHistory>['rows'][number];
