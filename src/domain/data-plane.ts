/**
 * The data-plane protocol: what the control plane (engine) sends the agent and what the agent
 * answers. Both sides import it from here; the engine depends on the `DataPlaneClient` port, never
 * on the agent's internals (its HTTP client lives in src/agent/client.ts). The body of
 * `PUT /v1/envs/:env` is validated with these schemas on arrival.
 */
import { z } from 'zod';
import { AppError } from './errors.ts';
import { STATUS_RULE, STATUS_RULE_HINT } from './health-status.ts';

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'use letters, digits, dot, dash, underscore');
/** Environment names become parts of file names and URLs. */
export const envNameSchema = name;
const millis = z.number().int().positive().max(3_600_000);

/** The traffic drivers an environment can be routed by (slipway.yaml `router.driver`). */
export const ROUTER_DRIVERS = ['builtin', 'haproxy', 'nginx'] as const;
export type RouterDriver = (typeof ROUTER_DRIVERS)[number];

export const healthSchema = z.object({
  path: z.string().startsWith('/'),
  intervalMs: millis,
  timeoutMs: millis,
  /** Which answers count as healthy (health-status.ts); default 2xx or 3xx. */
  expect: z
    .union([z.number().int().min(100).max(599), z.string().regex(STATUS_RULE, STATUS_RULE_HINT)])
    .optional(),
});

export const releaseSchema = z
  .object({
    release: name,
    weight: z.number().min(0).max(100),
    app: name,
    /** Folder the command runs in (absolute): the release's files, or `run.cwd` inside them. */
    cwd: z.string().startsWith('/', 'must be an absolute path'),
    /** The command line; may be empty for an image (its CMD runs). */
    command: z.string(),
    /** An image by digest: the release runs on the container runtime (src/runtime/container/). */
    image: z
      .string()
      .regex(/^[^\s@]+@sha256:[a-f0-9]{64}$/, 'expected REGISTRY/NAME@sha256:<64 hex>')
      .optional(),
    /** Resource limits of each instance (slipway.yaml run.limits). */
    limits: z
      .object({ memoryBytes: z.number().int().positive().optional(), cpus: z.number().positive().optional() })
      .optional(),
    vars: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a valid variable name'), z.string())
      .default({}),
    /**
     * Names (never values) of the vars that are secrets: the agent hides their values in its log and
     * errors and leaves them out of `GET …/desired`; a secret named here but left out of `vars` keeps
     * the value the release already has.
     */
    secretKeys: z.array(z.string()).optional(),
    count: z.number().int().min(1).max(64),
    health: healthSchema,
    startTimeoutMs: millis,
    stopTimeoutMs: millis,
    /** A release kept warm at weight 0 (e.g. the previous one after a blue-green switch) is stopped at this time. */
    retireAt: z.iso.datetime().optional(),
  })
  .refine((r) => r.command.trim() !== '' || r.image !== undefined, {
    path: ['command'],
    message: 'empty; give the command line, or an image',
  });

export const envBodySchema = z
  .object({
    /** Which traffic driver routes this environment; default builtin. */
    driver: z.enum(ROUTER_DRIVERS, { error: `expected one of ${ROUTER_DRIVERS.join(', ')}` }).optional(),
    listen: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535) }),
    releases: z.array(releaseSchema).min(1),
    stickiness: z.object({ kind: z.enum(['header', 'cookie']), name: z.string().min(1) }).optional(),
    previewHeader: z.string().min(1).optional(),
  })
  .superRefine((body, ctx) => {
    const total = body.releases.reduce((sum, r) => sum + r.weight, 0);
    if (Math.abs(total - 100) > 1e-9) {
      ctx.addIssue({
        code: 'custom',
        path: ['releases'],
        message: `weights must add up to 100, got ${total}`,
      });
    }
    const seen = new Set<string>();
    body.releases.forEach((r, i) => {
      if (seen.has(r.release))
        ctx.addIssue({ code: 'custom', path: ['releases', i, 'release'], message: 'duplicate' });
      seen.add(r.release);
    });
  });

export const weightsBodySchema = z.object({ weights: z.record(name, z.number().min(0).max(100)) });

export type DesiredRelease = z.infer<typeof releaseSchema>;
export type EnvBody = z.infer<typeof envBodySchema>;
/** What a caller writes: defaulted fields (`vars`, `listen.host`) may be left out. */
export type EnvBodyInput = z.input<typeof envBodySchema>;
export type DesiredEnv = EnvBody & { readonly env: string };

/** Parses a request body; a bad one is a 400 that names each wrong field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
  throw new AppError('USAGE', `invalid ${what}: ${details.join('; ')}`, { details });
}

/** One instance as the agent reports it. */
export interface InstanceView {
  readonly id: string;
  readonly release: string;
  readonly env: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number | null;
  readonly state: 'starting' | 'healthy' | 'unhealthy' | 'crashloop' | 'stopping' | 'stopped';
  readonly restarts: number;
  readonly startedAt: string;
}

export interface ReleaseStatus {
  readonly release: string;
  readonly weight: number;
  readonly app: string;
  readonly command: string;
  /** Names only: values are config and secrets. */
  readonly vars: readonly string[];
  readonly instances: readonly InstanceView[];
  readonly healthy: boolean;
}

export interface EnvStatus {
  readonly env: string;
  /** The traffic driver routing the environment. */
  readonly driver: RouterDriver;
  readonly listen: { readonly host: string; readonly port: number };
  readonly releases: readonly ReleaseStatus[];
  readonly healthy: boolean;
  readonly updatedAt: string;
  /** Set when restoring this environment after a restart failed; cleared by the next successful apply. */
  readonly error?: string;
}

/** Per-release request metrics the agent's router keeps (see src/traffic/contract.ts ReleaseMetrics). */
export interface ReleaseMetricsView {
  readonly release: string;
  readonly windowMs: number;
  readonly requests: number;
  readonly status: Readonly<Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>>;
  readonly failures: number;
  readonly latency: { readonly p50: number | null; readonly p95: number | null; readonly p99: number | null };
  readonly latencyBounds?: {
    readonly p50: { readonly low: number; readonly high: number } | null;
    readonly p95: { readonly low: number; readonly high: number } | null;
    readonly p99: { readonly low: number; readonly high: number } | null;
  };
}

/**
 * The port the control plane drives the data plane through (implemented over HTTP by
 * src/agent/client.ts). Errors are AppErrors: the agent's own code, or AGENT_UNAVAILABLE.
 */
export interface DataPlaneClient {
  putEnv(env: string, body: EnvBodyInput): Promise<EnvStatus>;
  setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<EnvStatus>;
  status(env: string): Promise<EnvStatus>;
  /** The desired state as the agent holds it; undefined when it runs no such environment. */
  desired(env: string): Promise<DesiredEnv | undefined>;
  statusAll(): Promise<EnvStatus[]>;
  deleteEnv(env: string): Promise<void>;
  logs(env: string, release: string, lines?: number): Promise<string[]>;
  /** The router's metrics of one release over the last `windowMs`. */
  metrics(env: string, release: string, windowMs: number): Promise<ReleaseMetricsView>;
  /** Yields the tail, then every new log line until `signal` aborts. */
  followLogs(
    env: string,
    release: string,
    options: { lines?: number; signal: AbortSignal },
  ): AsyncIterable<string>;
}
