/**
 * The engine's data plane for an environment with hosts: one `DataPlaneClient` that fans each call
 * out to the slipway agent of every host (through its SSH tunnel) and answers as one agent would.
 *
 * - The same desired state and weights go to every host's builtin router; the load balancer in
 *   front spreads requests evenly over the hosts, so a weight is the fleet-wide share of traffic.
 * - A change of instances (putEnv) goes `strategy.rolling.bootLimit` hosts at a time: each host is
 *   drained at the load balancer, changed, and UP there again before the next batch. Weights move
 *   on all hosts at once (nothing stops).
 * - Status and metrics are the sum over the hosts; a host whose failure rate stands out from its
 *   peers' is reported (`hostEvents`) for the deployment's timeline.
 * - A host that cannot be reached is taken out of the load balancer and handled per slipway.yaml
 *   `hostFailure` (see `hostEvents`); when it answers again it is given the environment's desired
 *   state (the last one applied, also kept in `.slipway/fleet/<env>/desired.json`).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SlipwayConfig } from '../config/schema.ts';
import type {
  DataPlaneClient,
  DesiredEnv,
  EnvBodyInput,
  EnvStatus,
  ReleaseMetricsView,
} from '../domain/data-plane.ts';
import { AppError, isAppError } from '../domain/errors.ts';
import type { HostEvent } from '../engine/ports.ts';
import { hostBatches } from './batches.ts';
import { type Front, openFront } from './front.ts';
import { type HostAgent, hostDir, openHostAgent } from './host-agent.ts';
import type { Fleet, FleetHost } from './hosts.ts';
import { touchContact } from './hosts.ts';
import { type HostAnswer, mergeMetrics, mergeStatus, worseThanPeers } from './merge.ts';
import { shipRelease } from './ship.ts';
import { connect, type SshSession } from './ssh.ts';

export type HostFailurePolicy = 'pause' | 'rollback' | 'skip-host';

export interface FleetPlaneOptions {
  readonly config: SlipwayConfig;
  readonly fleet: Fleet;
  /** The control machine's `.slipway/`: release files are under `releases/` there. */
  readonly dataDir: string;
  readonly connectTimeoutMs?: number;
  /** How long a drained host may keep connections before it changes anyway; default 10 s. */
  readonly drainMs?: number;
  /** Adds each host's key from the secret store (`keySecret`); read once, on the first connection. */
  readonly withKeys?: (fleet: Fleet) => Promise<Fleet>;
}

export interface FleetPlane extends DataPlaneClient {
  /** Look at every host now; what the deployment should record or do about them. */
  hostEvents(env: string): Promise<HostEvent[]>;
  /**
   * Gives every reachable host whose agent serves something else the environment's desired state
   * (the last one applied); one line per host changed.
   */
  reconcile(): Promise<string[]>;
  /** Hosts not reached, with why. */
  lostHosts(): { address: string; reason: string }[];
  close(): Promise<void>;
}

interface Session {
  readonly ssh: SshSession;
  readonly agent: HostAgent;
  readonly dir: string;
}

interface Link {
  readonly host: FleetHost;
  session?: Session;
  opening?: Promise<Session> | undefined;
  lost?: { readonly since: number; readonly reason: string };
  readonly shipped: Set<string>;
}

/** A host that did not answer: no SSH, no agent through the tunnel, or no answer in time. */
class HostDown extends Error {
  readonly address: string;
  constructor(address: string, reason: string) {
    super(reason);
    this.address = address;
  }
}

const unreachable = (e: unknown) =>
  e instanceof HostDown ||
  (isAppError(e) && (e.code === 'HOST_UNREACHABLE' || e.code === 'AGENT_UNAVAILABLE'));

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new AppError('AGENT_UNAVAILABLE', `no answer to ${what} within ${Math.round(ms / 1000)} s`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Secret values never reach the disk: the kept desired state names them only. */
function withoutSecrets(body: EnvBodyInput): EnvBodyInput {
  return {
    ...body,
    releases: body.releases.map((r) => {
      const hidden = new Set(r.secretKeys ?? []);
      return { ...r, vars: Object.fromEntries(Object.entries(r.vars ?? {}).filter(([k]) => !hidden.has(k))) };
    }),
  };
}

export function desiredFile(dataDir: string, env: string): string {
  return join(dataDir, 'fleet', env, 'desired.json');
}

export function readDesired(dataDir: string, env: string): EnvBodyInput | undefined {
  try {
    return JSON.parse(readFileSync(desiredFile(dataDir, env), 'utf8')) as EnvBodyInput;
  } catch {
    return undefined;
  }
}

export function createFleetPlane(options: FleetPlaneOptions): FleetPlane {
  const { config, fleet, dataDir } = options;
  const envConfig = config.environments[fleet.env];
  const policy: HostFailurePolicy = envConfig?.hostFailure ?? 'pause';
  const minHealthy = envConfig?.minHealthy ?? 1;
  const baseInstances = envConfig?.instances ?? config.run.instances;
  const port = envConfig?.router?.port ?? 0;
  const bootLimit =
    typeof envConfig?.strategy === 'object' ? envConfig.strategy.rolling?.bootLimit : undefined;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const applyTimeoutMs = config.run.health.startTimeout + config.run.stopTimeout + 30_000;
  const links: Link[] = fleet.hosts.map((host) => ({ host, shipped: new Set() }));
  const queued: HostEvent[] = [];
  const reported = new Set<string>();
  let desired = readDesired(dataDir, fleet.env);
  let front: Front | undefined;
  let probedAt = 0;
  let recovering: Promise<void> | undefined;

  const live = () => links.filter((l) => l.lost === undefined);

  /** One connection per host at a time, however many calls wait for it. */
  function open(link: Link): Promise<Session> {
    if (link.session) return Promise.resolve(link.session);
    link.opening ??= openNow(link).finally(() => {
      link.opening = undefined;
    });
    return link.opening;
  }

  let keyed: Promise<Fleet> | undefined;
  async function openNow(link: Link): Promise<Session> {
    keyed ??= options.withKeys ? options.withKeys(fleet) : Promise.resolve(fleet);
    const host = (await keyed).hosts.find((h) => h.address === link.host.address) ?? link.host;
    const ssh = await connect(host, fleet.knownHosts, 'verify', connectTimeoutMs);
    try {
      touchContact(fleet, link.host.address);
      const dir = await hostDir(ssh, link.host.dir);
      const agent = await openHostAgent(ssh, { dir, agentCommand: link.host.agent });
      link.session = { ssh, agent, dir };
      return link.session;
    } catch (error) {
      ssh.close();
      throw error;
    }
  }

  async function drop(link: Link): Promise<void> {
    const s = link.session;
    link.session = undefined;
    if (!s) return;
    // The SSH connection first: a tunnel to a host that is cut off may never finish closing.
    s.ssh.close();
    await within(s.agent.close(), 2_000, 'closing the tunnel').catch(() => undefined);
  }

  /** Calls the host's agent; a host that does not answer becomes a HostDown. */
  async function onHost<T>(link: Link, what: string, ms: number, fn: (s: Session) => Promise<T>): Promise<T> {
    try {
      // Connecting has its own timeouts (SSH, and the agent's start when it must be started).
      const session = await open(link);
      const value = await within(fn(session), ms, what);
      touchContact(fleet, link.host.address);
      return value;
    } catch (error) {
      if (!unreachable(error)) throw error;
      await drop(link);
      throw new HostDown(link.host.address, (error as Error).message);
    }
  }

  // A lost host is drained: no new request goes to it (its health checks would take it out too).
  async function balancer(address: string, state: 'drain' | 'ready'): Promise<void> {
    if (!front) return;
    await front.setState(address, state).catch(() => undefined);
  }

  async function ensureBalancer(): Promise<Front> {
    front ??= await openFront({
      driver: envConfig?.router?.driver === 'nginx' ? 'nginx' : 'haproxy',
      ...(envConfig?.router?.answerTimeout !== undefined && {
        answerTimeoutMs: envConfig.router.answerTimeout,
      }),
      dataDir,
      env: fleet.env,
      listen: { host: '127.0.0.1', port },
      hosts: fleet.hosts.map((h) => ({ address: h.address, port })),
      health: {
        path: config.run.health.path,
        timeoutMs: config.run.health.timeout,
        ...(config.run.health.expect !== undefined && { expect: config.run.health.expect }),
      },
    });
    return front;
  }

  /** The policy's answer to a host lost now: recorded once, acted on through `hostEvents`. */
  function lose(link: Link, reason: string): void {
    if (link.lost) return;
    link.lost = { since: Date.now(), reason };
    void balancer(link.host.address, 'drain');
    if (policy === 'skip-host' && live().length >= minHealthy)
      queued.push({
        kind: 'note',
        what: `host ${link.host.address} unreachable (${reason}): skipped, ${live().length} of ${links.length} hosts carry on (hostFailure: skip-host, minHealthy ${minHealthy}); it gets the desired state when it answers again`,
      });
  }

  /** The standing fault while hosts are lost, per policy; none when skip-host has enough hosts. */
  function fault(): HostEvent | undefined {
    const lost = links.filter((l) => l.lost);
    if (lost.length === 0) return undefined;
    const named = lost.map((l) => `host ${l.host.address} unreachable (${l.lost?.reason})`).join('; ');
    if (policy === 'skip-host') {
      if (live().length >= minHealthy) return undefined;
      return {
        kind: 'pause',
        what: `${named}: only ${live().length} of ${links.length} hosts answer, fewer than minHealthy ${minHealthy} (hostFailure: skip-host); resume once enough hosts are back`,
      };
    }
    return policy === 'rollback'
      ? { kind: 'rollback', what: `${named} (hostFailure: rollback)` }
      : {
          kind: 'pause',
          what: `${named} (hostFailure: pause); \`slipway resume ${fleet.env}\` once it is back — it is given the deployment's state then`,
        };
  }

  /** The desired state as one host runs it: its address, its instances, its copy of each release. */
  function forHost(body: EnvBodyInput, link: Link, dir: string): EnvBodyInput {
    const scale = (count: number) =>
      Math.max(1, Math.round((count * link.host.instances) / Math.max(1, baseInstances)));
    return {
      ...body,
      driver: 'builtin',
      listen: { host: link.host.address, port },
      releases: body.releases.map((r) => ({
        ...r,
        cwd: hostPath(r.cwd, dir),
        count: scale(r.count),
      })),
    };
  }

  const localReleases = `${join(dataDir, 'releases')}/`;
  /** `<dataDir>/releases/sha256-…/sub` here is `<dir>/releases/sha256:…/sub` on a host. */
  function hostPath(cwd: string, dir: string): string {
    const digest = releaseDigest(cwd);
    if (digest === undefined) return cwd;
    const rest = cwd.slice(localReleases.length).split('/').slice(1).join('/');
    return `${dir}/releases/${digest}${rest ? `/${rest}` : ''}`;
  }
  function releaseDigest(cwd: string): string | undefined {
    if (!cwd.startsWith(localReleases)) return undefined;
    return cwd.slice(localReleases.length).split('/')[0]?.replace('-', ':');
  }

  async function ship(link: Link, body: EnvBodyInput): Promise<void> {
    for (const r of body.releases) {
      const digest = releaseDigest(r.cwd);
      if (digest === undefined || link.shipped.has(digest)) continue;
      await onHost(link, `shipping ${digest}`, 300_000, (s) =>
        shipRelease(s.ssh, s.dir, digest, join(dataDir, 'releases', digest.replace(':', '-'))),
      );
      link.shipped.add(digest);
    }
  }

  function keep(body: EnvBodyInput): void {
    desired = body;
    const file = desiredFile(dataDir, fleet.env);
    mkdirSync(join(dataDir, 'fleet', fleet.env), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(withoutSecrets(body), null, 2));
    renameSync(`${file}.tmp`, file);
  }

  /** Lost hosts that answer again get the desired state and go back into the load balancer. */
  async function recover(): Promise<void> {
    await Promise.all(
      links
        .filter((l) => l.lost)
        .map(async (link) => {
          try {
            if (!desired) await onHost(link, 'status', 5_000, (s) => s.agent.client.statusAll());
            // Weights may move while the host is brought back: it ends on the latest desired state.
            for (let body = desired; body !== undefined; body = body === desired ? undefined : desired) {
              const want: EnvBodyInput = body;
              await ship(link, want);
              await onHost(link, 'the desired state', applyTimeoutMs, async (s) =>
                s.agent.client.putEnv(fleet.env, forHost(want, link, s.dir)),
              );
            }
          } catch {
            return; // still away
          }
          const away = Math.round((Date.now() - (link.lost?.since ?? Date.now())) / 1000);
          link.lost = undefined;
          await balancer(link.host.address, 'ready');
          queued.push({
            kind: 'note',
            what: `host ${link.host.address} answers again after ${away}s: given the environment's desired state${desired ? ` (${desired.releases.map((r) => `${r.release} ${r.weight}%`).join(', ')})` : ''} and back in the load balancer`,
          });
        }),
    );
  }

  /** A lost host is retried in the background: reconnecting one that is cut off takes its SSH timeout. */
  function recoverSoon(): void {
    if (!links.some((l) => l.lost)) return;
    recovering ??= recover().finally(() => {
      recovering = undefined;
    });
  }

  /** Runs `fn` on every reachable host; hosts that do not answer are lost; none answering is AGENT_UNAVAILABLE. */
  async function each<T>(what: string, ms: number, fn: (s: Session, link: Link) => Promise<T>) {
    const targets = live();
    const results = await Promise.allSettled(targets.map((l) => onHost(l, what, ms, (s) => fn(s, l))));
    const answers: HostAnswer<T>[] = [];
    results.forEach((r, i) => {
      const link = targets[i] as Link;
      if (r.status === 'fulfilled') answers.push({ address: link.host.address, value: r.value });
      else if (r.reason instanceof HostDown) lose(link, r.reason.message);
    });
    const failed = results.find((r) => r.status === 'rejected' && !(r.reason instanceof HostDown));
    if (failed)
      throw named(targets[results.indexOf(failed)] as Link, (failed as PromiseRejectedResult).reason);
    if (answers.length === 0) throw noHost(what);
    return answers;
  }

  // "cannot reach the agent…" is what the executor retries (src/engine/agent-loss.ts).
  const noHost = (what: string) =>
    new AppError(
      'AGENT_UNAVAILABLE',
      `cannot reach the agent on any host of ${fleet.env} for ${what}: ${links.map((l) => `${l.host.address} (${l.lost?.reason ?? 'not tried'})`).join(', ')}`,
    );

  const named = (link: Link, error: unknown) => {
    const prefix = `host ${link.host.address}: `;
    const message = (error as Error).message;
    const text = message.startsWith(prefix) ? message : `${prefix}${message}`;
    return isAppError(error)
      ? new AppError(error.code, text, { details: error.details })
      : new AppError('HOST_DEPLOY_FAILED', text);
  };

  async function apply(link: Link, body: EnvBodyInput, drain: boolean): Promise<EnvStatus> {
    const lb = await ensureBalancer();
    const address = link.host.address;
    if (drain) {
      await lb.setState(address, 'drain');
      await lb.wait(address, (s) => s.current === 0, options.drainMs ?? 10_000);
    }
    try {
      return await onHost(link, 'the new desired state', applyTimeoutMs, (s) =>
        s.agent.client.putEnv(fleet.env, forHost(body, link, s.dir)),
      );
    } finally {
      if (link.lost === undefined) await lb.setState(address, 'ready');
    }
  }

  const plane: FleetPlane = {
    async putEnv(env, body) {
      keep(body);
      recoverSoon();
      await ensureBalancer();
      await Promise.all(
        live().map((l) =>
          ship(l, body).catch((e) => {
            if (e instanceof HostDown) lose(l, e.message);
            else throw named(l, e);
          }),
        ),
      );
      const answers: HostAnswer<EnvStatus>[] = [];
      for (const batch of hostBatches(live(), bootLimit)) {
        // The only host left serving is changed in place: the agent's own switch does not drop requests.
        const drain = live().length > 1;
        const results = await Promise.allSettled(batch.map((l) => apply(l, body, drain)));
        let failure: unknown;
        results.forEach((r, i) => {
          const link = batch[i] as Link;
          if (r.status === 'fulfilled') answers.push({ address: link.host.address, value: r.value });
          else if (r.reason instanceof HostDown) lose(link, r.reason.message);
          else failure ??= named(link, r.reason);
        });
        if (failure) throw failure;
        for (const link of batch.filter((l) => !l.lost)) {
          const up = await (front as Front).wait(
            link.host.address,
            (s) => s.status.startsWith('UP'),
            config.run.health.startTimeout,
          );
          if (!up)
            throw new AppError(
              'HOST_DEPLOY_FAILED',
              `host ${link.host.address}: the load balancer does not see it healthy after the change`,
            );
        }
      }
      if (answers.length === 0) throw noHost('the new desired state');
      return mergeStatus(env, answers);
    },

    async setWeights(env, weights) {
      if (desired)
        keep({
          ...desired,
          releases: desired.releases.map((r) => ({ ...r, weight: weights[r.release] ?? r.weight })),
        });
      recoverSoon();
      return mergeStatus(
        env,
        await each('new weights', 15_000, (s) => s.agent.client.setWeights(env, weights)),
      );
    },

    async status(env) {
      return mergeStatus(env, await each('status', 8_000, (s) => s.agent.client.status(env)));
    },

    async desired(env): Promise<DesiredEnv | undefined> {
      const answers = await each('its desired state', 8_000, (s) => s.agent.client.desired(env));
      return answers.find((a) => a.value !== undefined)?.value;
    },

    async statusAll() {
      return [await plane.status(fleet.env)];
    },

    async deleteEnv(env) {
      await each('removing the environment', applyTimeoutMs, (s) => s.agent.client.deleteEnv(env));
    },

    async logs(env, release, lines) {
      const answers = await each('logs', 15_000, (s) => s.agent.client.logs(env, release, lines));
      return answers.flatMap((a) => a.value.map((line) => `[${a.address}] ${line}`));
    },

    async metrics(env, release, windowMs): Promise<ReleaseMetricsView> {
      const answers = await each('metrics', 8_000, (s) => s.agent.client.metrics(env, release, windowMs));
      for (const line of worseThanPeers(answers)) {
        const key = line.split(':')[0] ?? line;
        if (reported.has(key)) continue;
        reported.add(key);
        queued.push({ kind: 'note', what: line });
      }
      return mergeMetrics(
        release,
        answers.map((a) => a.value),
      );
    },

    followLogs(env, release, { lines, signal }) {
      return {
        async *[Symbol.asyncIterator]() {
          const pending: string[] = [];
          let wake: (() => void) | undefined;
          let open = 0;
          for (const link of live()) {
            open++;
            void (async () => {
              try {
                const s = await open_(link);
                for await (const line of s.agent.client.followLogs(env, release, {
                  ...(lines !== undefined && { lines }),
                  signal,
                })) {
                  pending.push(`[${link.host.address}] ${line}`);
                  wake?.();
                }
              } catch {
                // A host that stops answering ends its part of the stream.
              } finally {
                open--;
                wake?.();
              }
            })();
          }
          while (!signal.aborted && (open > 0 || pending.length > 0)) {
            if (pending.length === 0) await new Promise<void>((r) => (wake = r));
            while (pending.length > 0) yield pending.shift() as string;
          }
        },
      };
    },

    async hostEvents(env) {
      if (Date.now() - probedAt > 1_500) {
        probedAt = Date.now();
        // A lost host is retried in the background: reconnecting one cut off takes its SSH timeout.
        recoverSoon();
        await each('status', 5_000, (s) => s.agent.client.status(env)).catch(() => undefined);
      }
      // A fault is reported only once the lost host was tried again (a resume after it came back goes on).
      if (fault()) {
        recoverSoon();
        await recovering;
      }
      const events = queued.splice(0);
      const standing = fault();
      return standing ? [...events, standing] : events;
    },

    async reconcile() {
      // `hosts deploy` removes the file: the hosts' releases are its, not this plane's last state.
      const kept = readDesired(dataDir, fleet.env);
      if (!desired || !kept || JSON.stringify(kept) !== JSON.stringify(withoutSecrets(desired))) return [];
      const want = desired;
      const key = (releases: readonly { release: string; weight: number; count: number }[]) =>
        JSON.stringify(releases.map((r) => [r.release, r.weight]).sort());
      const lines: string[] = [];
      await Promise.all(
        links.map(async (link) => {
          try {
            const now = await onHost(link, 'its desired state', 8_000, (s) =>
              s.agent.client.desired(fleet.env),
            );
            if (now && key(now.releases) === key(want.releases)) return;
            await ship(link, want);
            // A deployment that applied a newer state meanwhile owns the host: never put an older one back.
            if (desired !== want) return;
            await onHost(link, 'the desired state', applyTimeoutMs, (s) =>
              s.agent.client.putEnv(fleet.env, forHost(want, link, s.dir)),
            );
            link.lost = undefined;
            await ensureBalancer();
            await balancer(link.host.address, 'ready');
            lines.push(
              `${link.host.address}: given the desired state (${want.releases.map((r) => `${r.release} ${r.weight}%`).join(', ')})`,
            );
          } catch (error) {
            lines.push(`${link.host.address}: not reconciled: ${(error as Error).message}`);
          }
        }),
      );
      return lines;
    },

    lostHosts: () =>
      links.filter((l) => l.lost).map((l) => ({ address: l.host.address, reason: l.lost?.reason ?? '' })),

    async close() {
      await recovering?.catch(() => undefined);
      await Promise.all(links.map(drop));
    },
  };
  const open_ = open;
  return plane;
}
