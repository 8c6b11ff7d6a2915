/** `slipway pause|resume|abort ENV`: commands to the deployment in flight, from any terminal. */
import type { Command } from 'commander';
import { closeRecord } from '../../app/actions.ts';
import { AppError } from '../../domain/errors.ts';
import { text } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { activeDeployment, appFor, driveIfOrphaned } from '../deployments.ts';

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
        .option(
          '--reason <text>',
          'why, for the time line and the audit log',
          text('--reason'),
          'aborted by hand',
        )
        .option(
          '--record-only',
          'close the deployment record without touching the data plane (when it no longer matches what the agent serves)',
        );
    command.action(
      act(async (env: string, opts: { reason?: string; recordOnly?: boolean }) => {
        const c = ctx();
        const app = await appFor(c);
        const config = app.requireEnv(env);
        const d = await activeDeployment(app.store, config.app, env);
        if (!d)
          throw new AppError(
            'DEPLOYMENT_NOT_FOUND',
            `no deployment in flight on ${env}; \`slipway history --env ${env}\` shows past ones`,
          );
        if (opts.recordOnly) {
          await closeRecord(app, d, c.user, opts.reason ?? 'aborted by hand');
          c.io.out(
            `closed deployment ${d.id} on ${d.env}; the data plane was left as it is (\`slipway status\` shows what it serves)`,
          );
          return 0;
        }
        const request =
          verb === 'abort' ? { action: verb, reason: opts.reason ?? 'aborted by hand' } : { action: verb };
        const { deployment: after } = await app.act(d.id, request, c.user, c.identity().via);
        c.io.out(`${verb === 'abort' ? 'aborting' : `${verb}d`} deployment ${d.id} on ${env}`);
        if (verb === 'pause') return 0;
        const release = await app.store.findRelease(config.app, d.releaseId);
        return (await driveIfOrphaned(c, app, after, release?.version ?? d.releaseId)) ?? 0;
      }),
    );
  }
}
