import type { Command } from 'commander';
import { startDeployment } from '../../engine/deploy.ts';
import { version } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { drive, engineFor, requireEnv, requireRelease } from '../deployments.ts';
import { remoteDeploy } from '../remote-commands.ts';

export function registerDeploy(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('deploy')
    .description(
      "Deploy a release to an environment with the environment's strategy, showing progress live; rolls back on its own when the numbers go bad.",
    )
    .argument('<release>', 'version, id or digest of a registered release', version('<release>'))
    .requiredOption('--env <name>', 'the environment')
    .action(
      act(async (ref: string, opts: { env: string }) => {
        const c = ctx();
        const remote = c.remote();
        if (remote) {
          requireEnv(c.config().config, opts.env);
          return remoteDeploy(c, remote, opts.env, ref);
        }
        const e = await engineFor(c);
        requireEnv(e.config, opts.env);
        const release = await requireRelease(e.store, e.config.app, ref);
        const d = await startDeployment({
          store: e.store,
          agent: e.agent,
          executor: e.executor,
          config: e.config,
          env: opts.env,
          release,
          user: c.user,
          dataDir: c.dataDir(),
          projectDir: c.projectDir(),
          secrets: c.secrets(),
          now: Date.now(),
        });
        if (!c.io.json)
          c.io.out(`deployment ${d.id}: ${e.config.app} ${release.version} → ${opts.env} (${d.strategy})`);
        return drive(c, e, d, release.version);
      }),
    );
}
