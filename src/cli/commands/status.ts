import type { Command } from 'commander';
import { connectAgent } from '../../app/engine.ts';
import { environmentTruth } from '../../engine/truth.ts';
import { withFleets } from '../../fleet/routing.ts';
import { servedAddresses } from '../addresses.ts';
import type { Act, Context } from '../context.ts';
import { requireEnv } from '../deployments.ts';
import { table } from '../io.ts';

export function registerStatus(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('status')
    .description(
      'Show each environment of the lifecycle: the release it runs, what the agent actually serves (drift when they differ), and any deployment in flight.',
    )
    .argument('[env]', 'only this environment')
    .action(
      act(async (only: string | undefined) => {
        const c = ctx();
        const { config, lifecycle } = c.config();
        if (only !== undefined) requireEnv(config, only);
        const store = await c.store();
        // An environment with `hosts:` is what its hosts' agents serve, not this machine's agent.
        const agent = withFleets(connectAgent(c.dataDir()), config, c.projectDir(), c.dataDir(), () =>
          c.secrets(),
        );
        const states = new Map((await store.listEnvironments(config.app)).map((e) => [e.name, e]));
        const names = only === undefined ? lifecycle : [only];
        const truths = await Promise.all(
          names.map((name) => environmentTruth(store, agent, config.app, name)),
        );
        const resolved = await Promise.all(
          truths.map(async (t) => ({
            t,
            state: states.get(t.env),
            release: t.release ? await store.findRelease(config.app, t.release.id) : undefined,
          })),
        );
        const addresses = await servedAddresses(c.dataDir());
        if (c.io.json) {
          c.io.data({
            app: config.app,
            environments: resolved.map(({ t, state, release }) => ({
              env: t.env,
              release: release?.version ?? null,
              digest: release?.digest ?? null,
              since: state?.updatedAt ?? null,
              by: state?.updatedBy ?? null,
              served: t.served,
              drift: t.drift,
              deployment: t.deployment,
              address: addresses.get(t.env) ?? null,
              url: config.environments[t.env]?.url ?? null,
            })),
          });
          return 0;
        }
        c.io.out(`${config.app}: ${lifecycle.join(' → ')}`);
        c.io.out(
          table([
            ['ENVIRONMENT', 'RELEASE', 'SERVED NOW', 'SINCE', 'BY'],
            ...resolved.map(({ t, state, release }) => [
              t.env,
              release?.version ?? '(nothing deployed)',
              t.served.line,
              state?.updatedAt?.slice(0, 16).replace('T', ' ') ?? '-',
              state?.updatedBy ?? '-',
            ]),
          ]),
        );
        for (const { t } of resolved) {
          const address = addresses.get(t.env);
          // The public address people open (slipway.yaml `url`), and where the router listens.
          const url = config.environments[t.env]?.url;
          if (url) c.io.out(`${t.env} → ${url}${address ? ` (router ${address})` : ''}`);
          else if (address) c.io.out(`${t.env} → ${address}`);
          if (t.drift) c.io.out(c.io.style('red', `${t.env}: drift — ${t.drift}`));
          if (t.deployment)
            c.io.out(`${t.env}: deployment ${t.deployment.id} ${t.deployment.line}; ${t.deployment.next}`);
        }
        return 0;
      }),
    );
}
