/**
 * The contract phase's go/no-go through the server (the dashboard and `curl`): an approver of the
 * environment records the go, and the contract migrations its live release held back run, audited
 * as `migrations.contract.approved` then `migrations.applied`. See src/migrations/contract.ts.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { migrationDeps } from '../../app/migrations.ts';
import { AppError } from '../../domain/errors.ts';
import { approveContract, pendingContract } from '../../migrations/contract.ts';
import { refuseContract } from '../../migrations/deploy.ts';
import { authorize } from '../auth/middleware.ts';
import type { Services } from '../services.ts';
import { type Api, bearer, errors, json } from './common.ts';

const EnvParam = z.object({ env: z.string().min(1).max(100) });
const ContractBody = z
  .strictObject({ reason: z.string().min(1).max(1000).optional() })
  .openapi('ContractApproval');
const ContractResult = z
  .object({
    env: z.string(),
    release: z.string(),
    applied: z.array(z.string()),
    backup: z.string().nullable(),
    summary: z.string(),
  })
  .openapi('ContractResult');

const PendingResult = z
  .object({
    env: z.string(),
    release: z.string().nullable(),
    pending: z.array(z.string()),
    mayRun: z.boolean(),
    why: z.string().nullable().openapi({ description: 'why the contract phase cannot run now, if so' }),
  })
  .openapi('ContractPending');

const show = createRoute({
  method: 'get',
  path: '/api/environments/{env}/migrations/contract',
  summary: "The contract migrations the environment's live release holds back, and whether they may run now",
  security: bearer,
  request: { params: EnvParam },
  responses: { 200: json(PendingResult, 'The pending contract phase (empty when none)'), ...errors },
});

const route = createRoute({
  method: 'post',
  path: '/api/environments/{env}/migrations/contract',
  summary:
    "Approve the contract phase of the environment's live release (an approver there): run the contract migrations its deployment held back",
  security: bearer,
  request: {
    params: EnvParam,
    body: { content: { 'application/json': { schema: ContractBody } }, required: false },
  },
  responses: { 200: json(ContractResult, 'What the contract phase applied'), ...errors },
});

export function registerMigrationContract(app: Api, s: Services): void {
  app.openapi(show, async (c) => {
    const { env } = c.req.valid('param');
    authorize(c, 'read', env);
    const none = { env, release: null, pending: [], mayRun: false, why: null };
    if (!s.dataDir || !s.config?.migrations || !s.config.environments[env]) return c.json(none, 200);
    const deps = { ...migrationDeps(s.runner.app), dataDir: s.dataDir };
    try {
      const { live, contract } = await pendingContract(deps, env);
      let why: string | null = null;
      await refuseContract(deps.store, deps.config.app, env, contract).catch((e: Error) => {
        why = e.message;
      });
      const pending = contract.map((f) => f.file);
      return c.json({ env, release: live.version, pending, mayRun: pending.length > 0 && !why, why }, 200);
    } catch (error) {
      // No live release, a deployment in flight, an unreachable database: nothing to approve now.
      return c.json({ ...none, why: (error as Error).message }, 200);
    }
  });

  app.openapi(route, async (c) => {
    const { env } = c.req.valid('param');
    const body = c.req.valid('json') ?? {};
    const principal = authorize(c, 'approve', env);
    if (!s.dataDir)
      throw new AppError('USAGE', 'this server has no project: it holds no releases to contract');
    const r = await approveContract({ ...migrationDeps(s.runner.app), dataDir: s.dataDir }, env, {
      user: principal.user,
      via: principal.via,
      checkRole: false,
      ...(body.reason !== undefined && { reason: body.reason }),
    });
    return c.json(
      {
        env,
        release: r.release,
        applied: r.applied.map((a) => a.name),
        backup: r.backup?.id ?? null,
        summary: r.summary,
      },
      200,
    );
  });
}
