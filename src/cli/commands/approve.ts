/** `slipway approve` and `slipway reject`: the go/no-go of a deployment waiting for approval. */
import type { Command } from 'commander';
import { text } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { appFor, driveIfOrphaned } from '../deployments.ts';

async function record(
  c: Context,
  id: string,
  decision: 'approve' | 'reject',
  reason: string | null,
): Promise<number> {
  const app = await appFor(c);
  const request =
    decision === 'approve'
      ? { action: decision, ...(reason !== null && { reason }) }
      : { action: decision, reason: reason ?? '' };
  const { deployment: after, approval } = await app.act(id, request, c.user, c.identity().via);
  if (c.io.json) c.io.data(approval);
  else
    c.io.out(
      `${decision === 'approve' ? 'approved' : 'rejected'} ${id} as ${c.user}${reason ? `: ${reason}` : ''}${after.status === 'failed' ? ' (the deployment ended: failed)' : ''}`,
    );
  // A rejection after traffic moved rolls back: drive that here if no process drives the deployment.
  if (decision === 'reject' && after.status === 'running')
    await driveIfOrphaned(c, app, after, after.releaseId).catch((error: Error) =>
      c.io.err(
        `the rollback goes on when the deployment is driven (\`slipway resume ${after.env}\`): ${error.message}`,
      ),
    );
  return 0;
}

export function registerApprove(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('approve')
    .description(
      'Approve (go) a deployment waiting for approval, as the current user (through the server with SLIPWAY_TOKEN when the store has server users).',
    )
    .argument('<deployment>', 'the deployment id, e.g. dep-1a2b3c4d5e6f')
    .option('--reason <text>', 'why it is a go', text('--reason'))
    .action(
      act(async (id: string, opts: { reason?: string }) => record(ctx(), id, 'approve', opts.reason ?? null)),
    );
}

export function registerReject(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('reject')
    .description('Reject (no-go) a deployment; it ends with the reason.')
    .argument('<deployment>', 'the deployment id')
    .requiredOption('--reason <text>', 'why it is a no-go', text('--reason'))
    .action(act(async (id: string, opts: { reason: string }) => record(ctx(), id, 'reject', opts.reason)));
}
