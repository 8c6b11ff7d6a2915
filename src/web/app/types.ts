/** The API shapes the dashboard reads (see /openapi.json). */
export interface EnvRow {
  app: string;
  env: string;
  release: { id: string; version: string; digest: string } | null;
  previousReleaseId: string | null;
  since: string | null;
  by: string | null;
  active: { id: string; status: string; releaseId: string; state?: string; line?: string } | null;
  /** What the agent serves now; null when the server has no agent for this app. */
  served?: {
    reachable: boolean;
    line: string;
    releases: { release: string; weight: number; healthy: number; instances: number }[];
  } | null;
  /** How the data plane differs from the record; null when they agree. */
  drift?: string | null;
}
export interface Deployment {
  id: string;
  app: string;
  env: string;
  releaseId: string;
  fromReleaseId: string | null;
  strategy: string;
  status: string;
  reason: string | null;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
}
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
  plan: { kind: string; description: string }[];
  outcome: string | null;
}
export interface Detail {
  deployment: Deployment;
  release: { id: string; version: string; digest: string } | null;
  progress: Progress;
  timeline: { at: string; what: string }[];
  analysis: Analysis | null;
  approvals: { user: string; decision: string; reason: string | null; at: string }[];
}
export interface Release {
  id: string;
  version: string;
  notes: string | null;
}
export interface RollbackSpeed {
  env: string | null;
  switchMs: number | null;
  at: string | null;
}
