/**
 * The contract phase's go/no-go through the server (the dashboard and `curl`): an approver of the
 * environment records the go, and the contract migrations its live release held back run, audited
 * as `migrations.contract.approved` then `migrations.applied`. See src/migrations/contract.ts.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { migrationDeps } from '../../app/migrations.ts';
import { AppError } from '../../domain/errors.ts';
import { approveContract } from '../../migrations/contract.ts';
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
