import type { Command } from 'commander';
import { deploymentAddress } from '../addresses.ts';
import type { Act, Context } from '../context.ts';
import { appFor, drive, requireEnv } from '../deployments.ts';
import { remoteDeploy } from '../remote-commands.ts';

export function registerDeploy(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('deploy')
    .description(
      "Deploy a release to an environment with the environment's strategy, showing progress live; rolls back on its own when the numbers go bad.",
    )
    .argument('<release>', 'version, id or digest of a registered release')
    .requiredOption('--env <name>', 'the environment')
    .action(
      act(async (ref: string, opts: { env: string }) => {
        const c = ctx();
        const remote = c.remote();
        if (remote) {
          requireEnv(c.config().config, opts.env);
          return remoteDeploy(c, remote, opts.env, ref);
        }
        const app = await appFor(c);
        const { deployment: d, release } = await app.deploy(opts.env, ref, c.user);
        if (!c.io.json)
          c.io.out(
            `deployment ${d.id}: ${d.app} ${release.version} → ${opts.env} (${d.strategy}), served at ${deploymentAddress(d) ?? '(address not known yet)'}`,
          );
        return drive(c, app, d, release.version);
      }),
    );
}
