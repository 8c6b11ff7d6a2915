/**
 * The nginx front's own process (started detached by `front-nginx.ts`): open-source nginx has no
 * active health checks, so this process holds the environment's `NginxRouter` (which probes each
 * host every health interval and takes a failing one out of its routes file, no reload) and
 * applies what the control plane writes into `nginx-front.json` on SIGHUP (a drained host is left
 * out of the routes: no new request goes to it, requests under way finish). Each host's state goes
 * to `nginx-front-status.json` for `slipway hosts status` and the drain wait: its health probe,
 * and its open connections from this machine (`ss`), so a drain ends when the last one closed.
 *
 *   node front-nginx-entry.ts <fleet-dir> <env>
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { writeJsonAtomic } from '../runtime/process/atomic-json.ts';
import { httpProbe } from '../traffic/health.ts';
import { NginxRouter } from '../traffic/nginx/router.ts';
import { type NginxFrontDesired, type NginxFrontStatus, nginxFrontFiles } from './front-nginx.ts';

const [dir, env] = process.argv.slice(2) as [string, string];
const files = nginxFrontFiles(dir);
const read = (): NginxFrontDesired => JSON.parse(readFileSync(files.desired, 'utf8')) as NginxFrontDesired;
let desired = read();
// Its files in the system temp folder (made traversable): nginx workers run unprivileged.
const router = new NginxRouter({ answerTimeoutMs: desired.answerTimeoutMs });
const since = new Map<string, number>();
let applied = -1;
let error: string | undefined;

/** Connections open from this machine to host:port now (established), per `ss`. */
function connections(address: string, port: number): number {
  const out = spawnSync('ss', ['-Htn', 'state', 'established', 'dst', `${address}:${port}`], {
    encoding: 'utf8',
  });
  return out.status === 0 ? out.stdout.split('\n').filter((l) => l.trim().length > 0).length : 0;
}

async function report(): Promise<void> {
  const { health } = desired;
  const hosts = await Promise.all(
    desired.hosts.map(async (h) => {
      const probe = await httpProbe(h.address, h.port, health.path, health.timeoutMs, health.expect);
      const drained = desired.drained.includes(h.address);
      const status = drained ? 'DRAIN' : probe === 'up' ? 'UP' : 'DOWN';
      const key = `${h.address} ${status}`;
      if (!since.has(key)) {
        for (const k of since.keys()) if (k.startsWith(`${h.address} `)) since.delete(k);
        since.set(key, Date.now());
      }
      return {
        address: h.address,
        status,
        current: connections(h.address, h.port),
        lastChange: Math.round((Date.now() - (since.get(key) ?? Date.now())) / 1000),
      };
    }),
  );
  writeJsonAtomic(files.status, {
    pid: process.pid,
    generation: applied,
    ...(error !== undefined && { error }),
    hosts,
  } satisfies NginxFrontStatus);
}

async function apply(): Promise<void> {
  desired = read();
  const ready = desired.hosts.filter((h) => !desired.drained.includes(h.address));
  try {
    await router.apply({
      env,
      listen: desired.listen,
      releases: [
        {
          release: 'hosts',
          weight: 100,
          backends: ready.map((h) => ({ id: h.address, host: h.address, port: h.port })),
        },
      ],
      health: { ...desired.health, intervalMs: desired.health.intervalMs },
    });
    error = undefined;
  } catch (e) {
    error = (e as Error).message;
  }
  applied = desired.generation;
  await report();
}

let chain = apply();
process.on('SIGHUP', () => {
  chain = chain.then(apply, apply);
});
const timer = setInterval(() => {
  chain = chain.then(report, report);
}, desired.health.intervalMs);
process.on('SIGTERM', () => {
  clearInterval(timer);
  void chain
    .catch(() => {})
    .then(() => router.close())
    .finally(() => {
      rmSync(files.pid, { force: true });
      rmSync(files.status, { force: true });
      process.exit(0);
    });
});
