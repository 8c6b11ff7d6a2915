/** `slipway pause|resume|abort ENV`: commands to the deployment in flight, from any terminal. */
import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import type { Deployment } from '../../domain/types.ts';
import { requirePremise } from '../../engine/premise.ts';
import type { Act, Context } from '../context.ts';
import { activeDeployment, driveIfOrphaned, type Engine, engineFor, requireEnv } from '../deployments.ts';
import { remoteControl } from '../remote-commands.ts';

type Verb = 'pause' | 'resume' | 'abort';

const HELP: Record<Verb, string> = {
  pause: 'Hold the deployment in flight where it is; traffic stays as it is now.',
  resume: 'Continue a paused deployment (or one whose driving process stopped).',
  abort: 'Stop the deployment in flight: traffic goes back to the stable release, new instances stop.',
};

export function registerControl(program: Command, ctx: () => Context, act: Act): void {
  for (const verb of ['pause', 'resume', 'abort'] as const) {
    const command = program.command(verb).description(HELP[verb]).argument('<env>', 'the environment');
    if (verb === 'abort')
      command
        .option('--reason <text>', 'why, for the time line and the audit log', 'aborted by hand')
        .option(
          '--record-only',
          'close the deployment record without touching the data plane (when it no longer matches what the agent serves)',
        );
    command.action(
      act(async (env: string, opts: { reason?: string; recordOnly?: boolean }) => {
        const c = ctx();
        const remote = c.remote();
        if (remote) {
          const { config } = c.config();
          requireEnv(config, env);
          return remoteControl(c, remote, config.app, env, verb, opts.reason);
        }
        const e = await engineFor(c);
        requireEnv(e.config, env);
        const d = await activeDeployment(e.store, e.config.app, env);
        if (!d)
          throw new AppError(
            'DEPLOYMENT_NOT_FOUND',
            `no deployment in flight on ${env}; \`slipway history --env ${env}\` shows past ones`,
          );
        if (opts.recordOnly) return closeRecord(c, e, d, opts.reason ?? 'aborted by hand');
        // Pausing changes no traffic; resuming and aborting do, so they first ask the agent.
        if (verb !== 'pause') await requirePremise(e.store, e.agent, d, verb);
        const at = Date.now();
        const event =
          verb === 'abort'
            ? { type: verb, at, by: c.user, reason: opts.reason ?? 'aborted by hand' }
            : { type: verb, at, by: c.user };
        await e.executor.transition(d.id, event);
        await e.store.appendAudit({
          actor: c.user,
          action: `deployment.${verb}`,
          target: d.id,
          data: { env, ...(opts.reason && { reason: opts.reason }) },
        });
        c.io.out(`${verb === 'abort' ? 'aborting' : `${verb}d`} deployment ${d.id} on ${env}`);
        if (verb === 'pause') return 0;
        const release = await e.store.findRelease(e.config.app, d.releaseId);
        return (await driveIfOrphaned(c, e, d, release?.version ?? d.releaseId)) ?? 0;
      }),
    );
  }
}

/** `abort --record-only`: end a deployment nobody drives, leaving the data plane as it is. */
async function closeRecord(c: Context, e: Engine, d: Deployment, reason: string): Promise<number> {
  await e.executor.lock(d);
  await e.executor.transition(d.id, { type: 'close', at: Date.now(), by: c.user, reason });
  await e.store.appendAudit({
    actor: c.user,
    action: 'deployment.close',
    target: d.id,
    data: { env: d.env, reason, recordOnly: true },
  });
  c.io.out(
    `closed deployment ${d.id} on ${d.env}; the data plane was left as it is (\`slipway status\` shows what it serves)`,
  );
  return 0;
}
