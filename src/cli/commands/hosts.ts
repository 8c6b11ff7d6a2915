/**
 * `slipway hosts trust|bootstrap|status|deploy|stop ENV`: an environment that runs on other machines over SSH
 * (slipway.yaml `environments.ENV.hosts`), behind a load balancer on this machine (src/fleet/).
 */
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { SlipwayConfig } from '../../config/schema.ts';
import { AppError, EXIT } from '../../domain/errors.ts';
import { lockName } from '../../engine/executor.ts';
import { bootstrapHosts } from '../../fleet/bootstrap.ts';
import { deployToHosts } from '../../fleet/deploy.ts';
import { hostVars } from '../../fleet/host-vars.ts';
import { fleetOf, withSecretKeys } from '../../fleet/hosts.ts';
import { createFleetPlane, desiredFile } from '../../fleet/plane.ts';
import { runtimeBundle } from '../../fleet/runtime-bundle.ts';
import { fleetStatus } from '../../fleet/status.ts';
import { stopFleet } from '../../fleet/stop.ts';
import { trustHosts } from '../../fleet/trust.ts';
import { artifactPath } from '../../releases/artifacts.ts';
import { version } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { table } from '../io.ts';

/** How long the deploy lock lasts unless renewed (renewed every third of it while the deployment runs). */
const LOCK_TTL_MS = 60_000;

const fleetFor = (c: Context, env: string) =>
  withSecretKeys(fleetOf(c.config().config, env, c.projectDir(), c.dataDir()), () => c.secrets());

export function registerHosts(program: Command, ctx: () => Context, act: Act): void {
  const hosts = program
    .command('hosts')
    .description(
      "An environment's hosts (slipway.yaml environments.ENV.hosts): pin their SSH keys, see their state, deploy across them.",
    );

  hosts
    .command('trust')
    .description(
      "Pin each host's SSH key into .slipway/known_hosts (first contact). A host whose key changed since is refused, its fingerprint shown; nothing else connects to an unpinned host.",
    )
    .argument('<env>', 'the environment')
    .action(
      act(async (env: string) => {
        const c = ctx();
        const outcomes = await trustHosts(await fleetFor(c, env));
        if (c.io.json) c.io.data({ env, hosts: outcomes });
        else
          for (const o of outcomes)
            c.io.out(
              o.status === 'refused'
                ? `refused  ${o.error}`
                : `${o.status.padEnd(15)} ${o.address}:${o.port}  ${o.fingerprint}`,
            );
        const refused = outcomes.filter((o) => o.status === 'refused');
        if (refused.length === 0) return EXIT.ok;
        throw new AppError(
          refused.some((o) => /SSH key/.test(o.error ?? '')) ? 'HOST_KEY_REFUSED' : 'HOST_UNREACHABLE',
          `${refused.length} of ${outcomes.length} hosts not pinned: ${refused.map((o) => o.address).join(', ')}`,
        );
      }),
    );

  hosts
    .command('bootstrap')
    .description(
      "Install on each host of ENV what it needs, idempotently: Node 24 and this slipway (packed once, sent over SSH, its SHA-256 checked on the host), a launcher DIR/bin/slipway, the supervised agent as a service (a systemd unit where systemd is the host's init, else the plain start script) and the agent running under it. A second run changes nothing and says so.",
    )
    .argument('<env>', 'the environment')
    .action(
      act(async (env: string) => {
        const c = ctx();
        const fleet = await fleetFor(c, env);
        const bundle = await runtimeBundle(join(c.dataDir(), 'fleet', 'runtime'));
        const outcomes = await bootstrapHosts(fleet, c.config().config, bundle);
        if (c.io.json) c.io.data({ env, runtime: bundle.digest, hosts: outcomes });
        else
          for (const o of outcomes) {
            if (o.status === 'failed') c.io.out(`${o.address}: failed: ${o.error}`);
            else if (o.status === 'unchanged')
              c.io.out(`${o.address}: nothing to change (${o.steps.map((s) => s.note).join('; ')})`);
            else for (const step of o.steps) c.io.out(`${o.address}: ${step.note}`);
          }
        const failed = outcomes.filter((o) => o.status === 'failed');
        if (failed.length === 0) return EXIT.ok;
        if (c.io.json) return EXIT.unavailable;
        throw new AppError(
          failed.some((o) => /SSH key/.test(o.error ?? '')) ? 'HOST_KEY_REFUSED' : 'HOST_UNREACHABLE',
          `${failed.length} of ${outcomes.length} hosts not bootstrapped: ${failed.map((o) => o.address).join(', ')}; fix what is named above and run \`slipway hosts bootstrap ${env}\` again (done steps are skipped)`,
        );
      }),
    );

  hosts
    .command('status')
    .description(
      "Each host of ENV: reachable over SSH, the release its agent serves, its health, the load balancer's view of it, and when it was last reached.",
    )
    .argument('<env>', 'the environment')
    .option(
      '--reconcile',
      "first give every reachable host that serves something else the environment's desired state (the last one a deployment applied)",
    )
    .action(
      act(async (env: string, opts: { reconcile?: boolean }) => {
        const c = ctx();
        const { config } = c.config();
        if (opts.reconcile) {
          const plane = createFleetPlane({ config, fleet: await fleetFor(c, env), dataDir: c.dataDir() });
          try {
            const lines = await plane.reconcile();
            if (!c.io.json) for (const line of lines) c.io.out(line);
          } finally {
            await plane.close();
          }
        }
        const store = await c.store();
        const statuses = await fleetStatus(
          await fleetFor(c, env),
          async (name) => (await store.findRelease(config.app, name))?.version ?? name,
        );
        if (c.io.json) {
          c.io.data({ env, hosts: statuses });
        } else {
          c.io.out(
            table([
              ['HOST', 'ROLES', 'REACHABLE', 'RELEASE', 'HEALTH', 'BALANCER', 'LAST CONTACT'],
              ...statuses.map((s) => [
                s.address,
                s.roles.join(',') || '-',
                s.reachable ? 'yes' : 'no',
                s.release ?? '-',
                s.healthy === null ? '-' : s.healthy ? 'healthy' : 'unhealthy',
                s.balancer ?? '-',
                s.lastContact ?? 'never',
              ]),
            ]),
          );
          for (const s of statuses) if (s.error) c.io.out(`${s.address}: ${s.error}`);
        }
        return statuses.every((s) => s.reachable && s.healthy !== false) ? EXIT.ok : EXIT.failed;
      }),
    );

  hosts
    .command('deploy')
    .description(
      'Ship a release to every host of ENV (verified by digest, kept for rollback) and roll it across them, strategy.rolling.bootLimit hosts at a time, each drained at the load balancer first and healthy there before the next batch.',
    )
    .argument('<release>', 'version, id or digest of a registered release', version('<release>'))
    .requiredOption('--env <name>', 'the environment')
    .action(
      act(async (ref: string, opts: { env: string }) => {
        const c = ctx();
        const { config } = c.config();
        // The plain path applies no gate: an environment guarded by one is deployed through the engine.
        const guarded = gatesOf(config, opts.env);
        if (guarded.length > 0)
          throw new AppError(
            'USAGE',
            `hosts deploy applies none of ${opts.env}'s gates (${guarded.join(', ')}); run \`slipway deploy ${ref} --env ${opts.env}\`, which applies them`,
          );
        const fleet = await fleetFor(c, opts.env);
        const store = await c.store();
        const release = await store.findRelease(config.app, ref);
        if (release === undefined)
          throw new AppError(
            'RELEASE_NOT_FOUND',
            `no release ${ref} of ${config.app}; see \`slipway releases\``,
          );
        // Every deployment across hosts is in the audit log, failed ones too (with the host that stopped it).
        const audit = (data: Record<string, unknown>) =>
          store.appendAudit({
            actor: c.user,
            action: 'hosts.deploy',
            target: `${config.app}/${opts.env}`,
            data: { release: release.version, digest: release.digest, ...data },
          });
        // Secrets reach each host's agent only inside its API call, through the SSH tunnel.
        const vars = await hostVars({
          config,
          env: opts.env,
          projectDir: c.projectDir(),
          dataDir: c.dataDir(),
          secrets: () => c.secrets(),
        });
        // The environment's deploy lock (the one `slipway deploy` takes): one deployment at a time.
        const lock = lockName(config.app, opts.env);
        const owner = { id: `hosts-deploy@${process.pid}`, pid: process.pid, host: hostname() };
        const held = await store.acquireLock(lock, owner, LOCK_TTL_MS);
        if (!held.acquired)
          throw new AppError(
            'LOCK_HELD',
            `${opts.env} is busy: ${held.holder.id.split('@')[0]} is driven by process ${held.holder.pid} on ${held.holder.host}; wait for it to end`,
          );
        const renew = setInterval(() => void store.renewLock(lock, owner, LOCK_TTL_MS), LOCK_TTL_MS / 3);
        // The desired state the last `slipway deploy` left is no longer what the hosts should serve:
        // without it, no reconciler (the server's, `hosts status --reconcile`) puts it back on them.
        rmSync(desiredFile(c.dataDir(), opts.env), { force: true });
        const outcomes = await deployToHosts({
          config,
          fleet,
          release: {
            id: release.id,
            version: release.version,
            digest: release.digest,
            folder: artifactPath(c.dataDir(), release.digest),
          },
          vars,
          log: (line) => (c.io.json ? undefined : c.io.out(line)),
        })
          .catch(async (error: unknown) => {
            await audit({ outcome: 'failed', error: (error as Error).message });
            throw error;
          })
          .finally(async () => {
            clearInterval(renew);
            await store.releaseLock(lock, owner);
          });
        await audit({ outcome: 'succeeded', hosts: outcomes.map((o) => o.address) });
        // `slipway status` and the dashboard read the environment's release from the store.
        await store.setEnvironmentRelease(config.app, opts.env, release.id, c.user);
        if (c.io.json) c.io.data({ env: opts.env, release: release.version, hosts: outcomes });
        else c.io.out(`${release.version} runs on ${outcomes.length} hosts of ${opts.env}`);
        return EXIT.ok;
      }),
    );

  hosts
    .command('stop')
    .description(
      "Stop serving ENV: stop its load balancer, and have each host's agent drop the environment (its instances stop). The agents keep running; shipped releases stay on the hosts.",
    )
    .argument('<env>', 'the environment')
    .action(
      act(async (env: string) => {
        const c = ctx();
        const result = await stopFleet(await fleetFor(c, env));
        if (c.io.json) c.io.data({ env, ...result });
        else {
          c.io.out(`load balancer: ${result.balancer ? 'stopped' : 'not running'}`);
          for (const h of result.hosts)
            c.io.out(`${h.address}: ${h.status}${h.error ? ` (${h.error})` : ''}`);
        }
        const failed = result.hosts.filter((h) => h.status === 'failed');
        if (failed.length === 0) return EXIT.ok;
        // JSON already says which hosts failed and why: one document on stdout, the exit code tells.
        if (c.io.json) return EXIT.unavailable;
        throw new AppError(
          'HOST_UNREACHABLE',
          `${failed.length} of ${result.hosts.length} hosts could not be stopped: ${failed.map((h) => h.address).join(', ')}; run \`slipway hosts stop ${env}\` again when they answer`,
        );
      }),
    );
}

/** The gates `slipway deploy` applies to an environment and `hosts deploy` does not. */
function gatesOf(config: SlipwayConfig, env: string): string[] {
  const e = config.environments[env];
  if (!e) return [];
  return [
    ...(e.after !== undefined ? [`after: ${e.after}`] : []),
    ...(e.approval !== undefined ? ['approval'] : []),
    ...(e.windows !== undefined ? ['windows'] : []),
    ...(e.checklist !== undefined ? ['checklist'] : []),
  ];
}
