/**
 * `slipway rollback ENV [--to RELEASE]`: back to the previous release, never waiting for analysis.
 * A deployment in flight is rolled back (traffic first, then its instances stop). Otherwise, while
 * the previous release is still warm the rollback is a traffic switch; when it is not, it is a
 * quick redeploy of that release.
 */
import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import { startDeployment } from '../../engine/deploy.ts';
import type { Act, Context } from '../context.ts';
import {
  activeDeployment,
  drive,
  driveIfOrphaned,
  engineFor,
  requireEnv,
  requireRelease,
} from '../deployments.ts';
import { remoteControl } from '../remote-commands.ts';

export function registerRollback(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('rollback')
    .description(
      'Return an environment to its previous release now: a traffic switch while the previous instances are warm, a redeploy otherwise.',
    )
    .argument('<env>', 'the environment')
    .option('--to <release>', 'a release other than the previous one')
    .option('--reason <text>', 'why, for the time line and the audit log', 'rollback by hand')
    .action(
      act(async (env: string, opts: { to?: string; reason: string }) => {
        const c = ctx();
        const remote = c.remote();
        if (remote) {
          const { config } = c.config();
          requireEnv(config, env);
          if (opts.to !== undefined)
            throw new AppError(
              'USAGE',
              '--to is not available through a server yet; run it on the server host',
            );
          return remoteControl(c, remote, config.app, env, 'rollback', opts.reason);
        }
        const e = await engineFor(c);
        requireEnv(e.config, env);
        const app = e.config.app;
        const inFlight = await activeDeployment(e.store, app, env);
        if (inFlight && opts.to === undefined) {
          await e.executor.transition(inFlight.id, {
            type: 'rollback',
            at: Date.now(),
            by: c.user,
            reason: opts.reason,
          });
          await e.store.appendAudit({
            actor: c.user,
            action: 'deployment.rollback',
            target: inFlight.id,
            data: { env, reason: opts.reason },
          });
          c.io.out(`rolling back deployment ${inFlight.id} on ${env}`);
          return (await driveIfOrphaned(c, e, inFlight, inFlight.releaseId)) ?? 0;
        }
        if (inFlight)
          throw new AppError(
            'LOCK_HELD',
            `${env} has deployment ${inFlight.id} in flight; roll it back first with \`slipway rollback ${env}\``,
          );
        const state = (await e.store.listEnvironments(app)).find((s) => s.name === env);
        const currentId = state?.releaseId ?? null;
        const targetRef = opts.to ?? state?.previousReleaseId;
        if (!targetRef)
          throw new AppError(
            'RELEASE_NOT_FOUND',
            `${env} has no previous release to roll back to; name one with --to`,
          );
        const target = await requireRelease(e.store, app, targetRef);
        if (target.id === currentId) throw new AppError('USAGE', `${env} already runs ${target.version}`);
        const desired = await e.agent.desired(env);
        const warm = desired?.releases.find((r) => r.release === target.id);
        if (warm && currentId) {
          const t0 = performance.now();
          await e.agent.setWeights(env, { [target.id]: 100, [currentId]: 0 });
          const switchMs = performance.now() - t0;
          // The release rolled away from stops now; the next deploy starts clean.
          const { env: _env, ...rest } = desired as NonNullable<typeof desired>;
          await e.agent.putEnv(env, { ...rest, releases: [{ ...warm, weight: 100, retireAt: undefined }] });
          await e.store.setEnvironmentRelease(app, env, target.id, c.user);
          await e.store.appendAudit({
            actor: c.user,
            action: 'environment.rollback',
            target: `${app}/${env}`,
            data: { to: target.version, from: currentId, switchMs, reason: opts.reason },
          });
          await e.store.appendEvent({
            deploymentId: null,
            app,
            env,
            type: 'rollback',
            at: new Date().toISOString(),
            data: { what: `rolled back to ${target.version} by a traffic switch`, switchMs },
          });
          if (c.io.json) c.io.data({ env, release: target.version, kind: 'switch', switchMs });
          else
            c.io.out(
              `rolled back ${env} to ${target.version} in ${switchMs.toFixed(1)} ms (traffic switch; the previous instances were still warm)`,
            );
          return 0;
        }
        c.io.out(`${target.version} is no longer warm on ${env}: redeploying it`);
        const d = await startDeployment({
          store: e.store,
          agent: e.agent,
          executor: e.executor,
          config: e.config,
          env,
          release: target,
          user: c.user,
          dataDir: c.dataDir(),
          now: Date.now(),
          strategy: { kind: 'blue-green', warmForMs: 0 },
          watchMs: 0,
        });
        return drive(c, e, d, target.version);
      }),
    );
}
