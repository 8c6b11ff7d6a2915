/**
 * The API's shapes, as zod schemas: the same objects validate requests and generate
 * /openapi.json. Request objects are strict, so an unknown field is a 400 naming the field.
 */
import { z } from '@hono/zod-openapi';
import { ROLES } from '../domain/auth.ts';
import { CI_RESULTS, DEPLOYMENT_STATUSES } from '../domain/types.ts';

const name = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'letters, digits, . _ @ - only');
const envName = name;
const reason = z.string().max(1000);

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'REQUEST_INVALID' }),
      message: z.string(),
      details: z.array(z.string()),
    }),
  })
  .openapi('Error');

export const OverviewQuery = z.strictObject({
  app: name.optional(),
  after: name.optional().openapi({ description: 'apps after this name (paging)' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ description: 'apps per page' }),
});

export const ReleaseRef = z
  .object({ id: z.string(), version: z.string(), digest: z.string() })
  .nullable()
  .openapi('ReleaseRef');

export const EnvironmentRow = z
  .object({
    app: z.string(),
    env: z.string(),
    release: ReleaseRef,
    previousReleaseId: z.string().nullable(),
    since: z.string().nullable(),
    by: z.string().nullable(),
    active: z
      .object({
        id: z.string(),
        status: z.string(),
        releaseId: z.string(),
        /** running, paused, waiting, or interrupted (no live process drives it). */
        state: z.string().optional(),
        line: z.string().optional(),
      })
      .nullable(),
    served: z
      .object({
        reachable: z.boolean(),
        line: z.string(),
        error: z.string().optional(),
        releases: z.array(
          z.object({ release: z.string(), weight: z.number(), healthy: z.number(), instances: z.number() }),
        ),
      })
      .nullable()
      .optional()
      .openapi({
        description:
          'What the agent actually serves (null: this server has no agent for the app); reachable false when it cannot be asked',
      }),
    drift: z.string().nullable().optional().openapi({
      description: 'How what the agent serves differs from the record, in words; null when they agree',
    }),
  })
  .openapi('EnvironmentRow');

export const Overview = z
  .object({ environments: z.array(EnvironmentRow), nextAfter: z.string().nullable() })
  .openapi('Overview');

const IdParamShape = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.-]+$/);

export const HistoryQuery = z.strictObject({
  app: name.optional(),
  env: envName.optional(),
  status: z.enum(DEPLOYMENT_STATUSES).optional(),
  by: name.optional(),
  before: z.iso.datetime().optional().openapi({ description: 'deployments created before this time' }),
  beforeId: IdParamShape.optional().openapi({ description: 'with before: the last id of the previous page' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const PerformanceQuery = z.strictObject({
  app: name.optional(),
  env: envName,
  limit: z.coerce.number().int().min(1).max(500).default(20),
});

const PerfFigures = z.object({
  p50: z.number(),
  p95: z.number(),
  p99: z.number(),
  errorRate: z.number().openapi({ description: '0 to 1' }),
  requests: z.number(),
  rate: z.number().openapi({ description: 'requests per second actually sent' }),
});

/** One release's figures from the performance step (src/domain/performance.ts). */
export const PerfRecord = z
  .object({
    deploymentId: z.string(),
    app: z.string(),
    env: z.string(),
    releaseId: z.string(),
    version: z.string(),
    measuredAt: z.string(),
    figures: PerfFigures.openapi({ description: 'latencies in ms' }),
    baseline: z
      .object({
        releaseId: z.string(),
        version: z.string(),
        how: z.enum(['side-by-side', 'recorded']),
        figures: PerfFigures,
        paired: z
          .object({ p50: z.number(), p95: z.number(), p99: z.number(), slices: z.number() })
          .optional(),
      })
      .nullable()
      .openapi({ description: 'the previous release it was compared with; null for the first' }),
    verdict: z.enum(['pass', 'fail', 'first', 'unjudged']),
    summary: z.string(),
  })
  .openapi('PerfRecord');

export const DeploymentSummary = z
  .object({
    id: z.string(),
    app: z.string(),
    env: z.string(),
    releaseId: z.string(),
    fromReleaseId: z.string().nullable(),
    strategy: z.string(),
    status: z.string(),
    reason: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().nullable(),
    rollback: z.object({ kind: z.string(), reason: z.string(), by: z.string() }).nullable().openapi({
      description: 'set when the deployment is a rollback: how (switch, redeploy, manual, automatic) and why',
    }),
  })
  .openapi('DeploymentSummary');

export const History = z
  .object({
    deployments: z.array(DeploymentSummary),
    nextBefore: z.string().nullable(),
    nextBeforeId: z.string().nullable(),
  })
  .openapi('History');

export const DeploymentDetail = z
  .object({
    deployment: DeploymentSummary,
    release: ReleaseRef,
    progress: z.object({
      status: z.string(),
      step: z.number(),
      weight: z.number(),
      plan: z.array(
        z.object({
          kind: z.string(),
          description: z.string(),
          /** shift, scale: the share of traffic; pause, analysis, watch: how long (null: until resumed). */
          weight: z.number().optional(),
          durationMs: z.number().nullable().optional(),
        }),
      ),
      outcome: z.unknown().nullable(),
    }),
    timeline: z.array(z.object({ at: z.string(), what: z.string() })),
    analysis: z
      .unknown()
      .nullable()
      .openapi({ description: 'the latest guard measurement with its numbers' }),
    steps: z.array(
      z.object({
        index: z.number(),
        kind: z.string(),
        name: z.string(),
        status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']),
        startedAt: z.string().nullable(),
        endedAt: z.string().nullable(),
        weight: z.number().openapi({ description: "the new release's traffic weight once the step is done" }),
      }),
    ),
    approvals: z.array(
      z.object({ user: z.string(), decision: z.string(), reason: z.string().nullable(), at: z.string() }),
    ),
  })
  .openapi('DeploymentDetail');

export const IdParam = z.strictObject({ id: IdParamShape });
export const AppQuery = z.strictObject({ app: name.optional() });
export const ReleasesQuery = z.strictObject({
  app: name.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** A release's CI test report (src/ci/junit.ts), in the API and in the upload's `ciReport`. */
export const TestReport = z
  .strictObject({
    tests: z.number().int().min(0),
    failures: z.number().int().min(0),
    errors: z.number().int().min(0),
    skipped: z.number().int().min(0),
    failed: z.array(z.string().max(200)).max(20),
  })
  .openapi('TestReport');

export const Release = z
  .object({
    id: z.string(),
    app: z.string(),
    version: z.string(),
    digest: z.string(),
    commit: z.string().nullable(),
    ci: z.string(),
    createdAt: z.string(),
    createdBy: z.string(),
    notes: z.string().nullable(),
    report: TestReport.nullable().optional(),
  })
  .openapi('Release');

export const ReleaseUploadQuery = z
  .strictObject({
    // Checked by the application (src/app/releases.ts), so the API and the CLI say the same.
    version: z.string().min(1).max(1000).openapi({ description: 'the version, e.g. 1.4.2' }),
    ci: z.enum(CI_RESULTS).default('unknown'),
    ciReport: z.string().max(8000).optional().openapi({
      description:
        'the CI test report as JSON (TestReport: counts and failing test names), read from JUnit XML by the client',
    }),
    commit: z.string().min(1).max(200).optional(),
    notes: z.string().max(10_000).optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'the sha256 of the archive: 64 lowercase hex digits')
      .optional()
      .openapi({ description: 'sha256 of the uploaded archive bytes; a mismatch is a 400' }),
    digest: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/, 'the content digest: sha256: and 64 lowercase hex digits')
      .optional()
      .openapi({ description: "the release's content digest (`slipway release create` computes it)" }),
  })
  .openapi('ReleaseUploadQuery');

export const ReleaseCreated = z
  .object({ created: z.boolean(), release: Release.extend({ files: z.number(), bytes: z.number() }) })
  .openapi('ReleaseCreated');
export const ReleaseParam = z.strictObject({ ref: z.string().min(1).max(200) });
export const ReleaseRemoved = z.object({ removed: Release }).openapi('ReleaseRemoved');

export const Project = z
  .object({
    app: z.string(),
    lifecycle: z.array(z.string()).openapi({ description: 'environments in promotion order' }),
    urls: z
      .record(z.string(), z.string())
      .optional()
      .openapi({ description: "each environment's public address, where slipway.yaml sets `url`" }),
  })
  .openapi('Project');

export const DeployBody = z
  .strictObject({
    env: envName,
    release: z.string().min(1).max(200).openapi({ description: 'version, id or digest (prefix)' }),
  })
  .openapi('DeployRequest');

export const RollbackParam = z.strictObject({ env: envName });
export const RollbackBody = z
  .strictObject({
    to: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: 'a release other than the previous one' }),
    reason: reason.optional(),
  })
  .openapi('RollbackRequest');
export const RollbackResult = z
  .object({
    kind: z.enum(['in-flight', 'switch', 'redeploy']),
    release: z.string().nullable(),
    switchMs: z.number().nullable().openapi({ description: 'measured time of the traffic switch' }),
    deployment: DeploymentSummary.nullable(),
  })
  .openapi('RollbackResult');

export const ActionBody = z.strictObject({ reason: reason.optional() }).openapi('ActionRequest');
export const ACTIONS = ['pause', 'resume', 'abort', 'rollback', 'approve', 'reject'] as const;
export const ActionParam = z.strictObject({
  id: IdParam.shape.id,
  action: z.enum(ACTIONS),
});

export const SessionBody = z.strictObject({ token: z.string().min(1).max(200) }).openapi('SessionRequest');
export const Grant = z.object({ user: z.string(), env: z.string(), role: z.enum(ROLES) }).openapi('Grant');
export const Me = z
  .object({
    user: z.string(),
    grants: z.array(Grant),
    via: z.enum(['token', 'session']),
    csrfToken: z.string().nullable(),
    expiresAt: z.string().nullable(),
  })
  .openapi('Me');

export const TokenBody = z
  .strictObject({
    user: name,
    name: name,
    expiresInDays: z.number().int().min(1).max(3650).default(90),
  })
  .openapi('TokenRequest');
export const Token = z
  .object({
    id: z.string(),
    user: z.string(),
    name: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('Token');
export const UserBody = z
  .strictObject({
    name,
    grants: z
      .array(z.strictObject({ env: z.union([envName, z.literal('*')]), role: z.enum(ROLES) }))
      .max(50)
      .default([]),
  })
  .openapi('UserRequest');
export const User = z
  .object({ name: z.string(), createdAt: z.string(), createdBy: z.string(), grants: z.array(Grant) })
  .openapi('User');
export const AuditQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
