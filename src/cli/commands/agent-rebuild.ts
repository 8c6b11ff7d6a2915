import { resolve } from 'node:path';
import type { Command } from 'commander';
import { connectLocalAgent } from '../../agent/client.ts';
import { prepareEnvironment } from '../../config/values/project.ts';
import { rebuildAgentState } from '../../engine/rebuild.ts';
import { StoreSecrets } from '../../engine/secrets.ts';
import type { Act, Context } from '../context.ts';

/** `slipway agent rebuild`: the agent's lost desired state made again from the store (src/engine/rebuild.ts). */
export function registerAgentRebuild(agent: Command, ctx: () => Context, act: Act): void {
  agent
    .command('rebuild')
    .description(
      "Rebuild the agent's desired state from the store after its state file was lost or corrupt: each environment's current release is routed again, adopting the instances that kept running (same pids). Environments the agent holds are left alone.",
    )
    .option(
      '--state-dir <dir>',
      'where the agent keeps its state (default: .slipway/agent beside the config)',
    )
    .action(
      act(async (opts: { stateDir?: string }) => {
        const c = ctx();
        const { config, lifecycle } = c.config();
        const stateDir = opts.stateDir ? resolve(c.cwd, opts.stateDir) : resolve(c.dataDir(), 'agent');
        const secretStore = c.secrets();
        const secrets = new StoreSecrets(secretStore, async (env) => {
          const prepared = await prepareEnvironment({
            config,
            env,
            projectDir: c.projectDir(),
            dataDir: c.dataDir(),
            store: secretStore,
          });
          return prepared.vars;
        });
        const outcomes = await rebuildAgentState(
          { store: await c.store(), agent: connectLocalAgent(stateDir), app: config.app, secrets },
          lifecycle,
        );
        if (c.io.json) {
          c.io.data({ environments: outcomes });
          return 0;
        }
        for (const o of outcomes) {
          if (o.outcome === 'kept') c.io.out(`${o.env} → ${o.address} (the agent holds it; left alone)`);
          else if (o.outcome === 'nothing-deployed') c.io.out(`${o.env}: nothing deployed`);
          else if (o.outcome === 'no-record')
            c.io.out(`${o.env}: runs ${o.releaseId} but no deployment of it is recorded; deploy it again`);
          else
            c.io.out(`${o.env} → ${o.address} (rebuilt: ${o.releaseId}, instance pids ${o.pids.join(', ')})`);
        }
        return outcomes.some((o) => o.outcome === 'no-record') ? 1 : 0;
      }),
    );
}
