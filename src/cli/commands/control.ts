/** `slipway pause|resume|abort ENV`: commands to the deployment in flight, from any terminal. */
import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import { text } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { activeDeployment, driveIfOrphaned, engineFor, requireEnv } from '../deployments.ts';
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
      command.option(
        '--reason <text>',
        'why, for the time line and the audit log',
        text('--reason'),
        'aborted by hand',
      );
    command.action(
      act(async (env: string, opts: { reason?: string }) => {
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
