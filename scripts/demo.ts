/**
 * The demo (`npm run demo`): slipway on this machine, end to end, narrated. It starts the data
 * plane (`slipway agent`), registers three builds of the example shop (one of them bad), deploys
 * to staging and production, keeps real traffic flowing, does a blue-green deploy and an instant
 * rollback on staging, then canaries on production — a good release that goes live and a bad one
 * that slipway rolls back on its own. It stops everything it started, also on Ctrl-C.
 *
 * `npm run demo -- --router haproxy` (or `nginx`) routes staging through that proxy instead of the
 * builtin router (slipway.yaml `router.driver`); production stays on the builtin router, whose
 * per-release metrics its canary analysis reads (HAProxy and nginx keep none slipway can read).
 *
 * `npm run demo -- --containers` tells the same story on container images: each build of the shop
 * is built from its Containerfile and pushed by `slipway release create --build`, registered by
 * its digest, and runs as containers (slipway.yaml `run.image`). The demo starts its own Podman
 * service and registry (scripts/demo-containers.ts) and says how to install them when missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAgentClient } from '../src/agent/client.ts';
import { containersMissing, type DemoContainers, startDemoContainers } from './demo-containers.ts';
import { startLoad } from './demo-load.ts';

const root = join(import.meta.dirname, '..');
const project = mkdtempSync(join(tmpdir(), 'slipway-demo-'));
const children = new Set<ChildProcess>();
const bold = (s: string) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s);
const say = (text: string) => process.stdout.write(`\n${bold(`▸ ${text}`)}\n`);

const { values: flags } = parseArgs({
  options: {
    router: { type: 'string', default: 'builtin' },
    containers: { type: 'boolean', default: false },
  },
  strict: true,
});
const driver = flags.router ?? 'builtin';
if (!['builtin', 'haproxy', 'nginx'].includes(driver)) {
  process.stderr.write(`--router: expected builtin, haproxy or nginx, found ${JSON.stringify(driver)}\n`);
  process.exit(2);
}

const missing = flags.containers ? containersMissing() : undefined;
if (missing) {
  process.stderr.write(`${missing}\n`);
  rmSync(project, { recursive: true, force: true });
  process.exit(4);
}
let containers: DemoContainers | undefined;

const config = (run: string) => `app: shop
config:
  require: { SHOP_ENV: "enum(staging,production)" }
run:
  ${run}
  health: { path: /health, interval: 500ms, timeout: 500ms, startTimeout: 20s }
  instances: 2
  stopTimeout: 3s
environments:
  staging:
    config: { values: { SHOP_ENV: staging } }
    strategy: { blue-green: { warmFor: 10m } }
    router: { driver: ${driver} }
    profile: fast
    smoke: [{ get: /health }, { get: /api/products }]
    watch: 2s
  production:
    after: staging
    config: { values: { SHOP_ENV: production } }
    profile: fast
    strategy:
      canary:
        stickiness: header:x-user-id
        steps: [{ weight: 10, analysis: { duration: 4s } }, { weight: 50, analysis: { duration: 3s } }, { weight: 100 }]
    smoke: [{ get: /health }]
    watch: 3s
`;

function slipway(
  args: string[],
  options: { capture?: boolean } = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(root, 'bin/slipway.js'), ...args],
      {
        cwd: project,
        stdio: ['ignore', options.capture ? 'pipe' : 'inherit', 'inherit'],
        env: { ...process.env, SLIPWAY_USER: '' },
      },
    );
    children.add(child);
    let out = '';
    child.stdout?.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      children.delete(child);
      resolve({ code: code ?? 1, out });
    });
  });
}

async function must(args: string[], expect = 0): Promise<string> {
  const { code, out } = await slipway(args, { capture: args.includes('--json') });
  if (code !== expect) throw new Error(`\`slipway ${args.join(' ')}\` exited ${code}, expected ${expect}`);
  return out;
}

function build(version: string, faults?: object): string {
  const dir = join(project, 'builds', version);
  cpSync(join(root, 'examples/shop/app'), dir, { recursive: true });
  writeFileSync(join(dir, 'VERSION'), `${version}\n`);
  if (faults) writeFileSync(join(dir, 'faults.json'), JSON.stringify(faults));
  return dir;
}

/** Registers a build: its folder, or (--containers) the image built from its Containerfile. */
async function release(version: string, faults?: object): Promise<void> {
  const dir = build(version, faults);
  if (!containers) {
    await must(['release', 'create', '--version', version, '--ci', 'passed', dir]);
    return;
  }
  await must([
    'release',
    'create',
    '--build',
    dir,
    '--version',
    version,
    '--ci',
    'passed',
    '--build-arg',
    `BASE=${containers.base}`,
  ]);
}

async function startAgent(): Promise<ReturnType<typeof createAgentClient>> {
  const agent = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(root, 'bin/slipway.js'), 'agent'],
    { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(agent);
  await new Promise<void>((resolve, reject) => {
    agent.stdout?.on('data', (c) => String(c).includes('admin API on') && resolve());
    agent.on('exit', (code) => reject(new Error(`the agent exited with ${code}`)));
  });
  const stateDir = join(project, '.slipway', 'agent');
  const info = JSON.parse(readFileSync(join(stateDir, 'agent.json'), 'utf8'));
  return createAgentClient({
    url: info.url,
    token: readFileSync(join(stateDir, 'agent.token'), 'utf8').trim(),
  });
}

let agentClient: ReturnType<typeof createAgentClient> | undefined;
const loads: { stop(): unknown }[] = [];
async function cleanup(): Promise<void> {
  for (const load of loads) load.stop();
  if (agentClient)
    for (const env of await agentClient.statusAll().catch(() => []))
      await agentClient.deleteEnv(env.env).catch(() => {});
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  await containers?.stop().catch(() => undefined);
  if (!process.env.SLIPWAY_DEMO_KEEP) rmSync(project, { recursive: true, force: true });
}
process.once('SIGINT', () => {
  process.stdout.write('\nstopping the demo: removing the environments, stopping the agent\n');
  void cleanup().then(() => process.exit(130));
});

try {
  say(`A project folder for the demo: ${project}`);
  if (flags.containers) {
    say(
      'Container mode: starting a Podman service (Docker Engine API) and a registry on 127.0.0.1, and a Node base image made from this machine.',
    );
    containers = await startDemoContainers(project);
    // slipway agent and slipway release create --build reach the engine the way docker does.
    process.env.DOCKER_HOST = containers.dockerHost;
  }
  writeFileSync(
    join(project, 'slipway.yaml'),
    config(containers ? `image: ${containers.registry}/shop` : 'command: node server.js'),
  );
  await must(['validate']);

  say(
    `Starting the data plane: \`slipway agent\` runs the app instances and the routers (staging: ${driver}, production: builtin).`,
  );
  agentClient = await startAgent();

  say(
    `Registering three builds of the shop as immutable releases${containers ? ' (each built into an image, pushed, and registered by its digest)' : ''}: 1.0.0, 2.0.0, and 2.1.0, which fails 20% of requests, but only in production.`,
  );
  await release('1.0.0');
  await release('2.0.0');
  await release('2.1.0', { errorRate: 0.2, onlyIn: 'production' });

  say('Deploying 1.0.0 to staging, then to production.');
  await must(['deploy', '1.0.0', '--env', 'staging']);
  await must(['deploy', '1.0.0', '--env', 'production']);
  const port = async (env: string) =>
    (await (agentClient as NonNullable<typeof agentClient>).status(env)).listen.port;
  const stagingLoad = startLoad(await port('staging'), { workers: 4 });
  const productionLoad = startLoad(await port('production'), { workers: 4 });
  loads.push(stagingLoad, productionLoad);
  say(
    `Sending traffic: staging on 127.0.0.1:${await port('staging')}, production on 127.0.0.1:${await port('production')}.`,
  );
  await new Promise((r) => setTimeout(r, 1500));

  say(
    'Blue-green deploy of 2.0.0 to staging: it starts beside 1.0.0, is checked, then takes all traffic at once.',
  );
  const before = stagingLoad.snapshot();
  await must(['deploy', '2.0.0', '--env', 'staging']);
  const bg = stagingLoad.since(before);
  say(
    `Switched to 2.0.0: ${bg.failed} of ${bg.total.toLocaleString('en')} requests failed during the deploy.`,
  );

  say(
    'Something is wrong with 2.0.0 on staging, says the client. Rolling back: 1.0.0 is still warm, so it is a switch.',
  );
  const beforeRollback = stagingLoad.snapshot();
  const rb = JSON.parse(await must(['rollback', 'staging', '--json'])) as { switchMs: number };
  await new Promise((r) => setTimeout(r, 500));
  const r = stagingLoad.since(beforeRollback);
  say(
    `Rolled back in ${rb.switchMs.toFixed(1)} ms; ${r.failed} of ${r.total.toLocaleString('en')} requests failed.`,
  );

  say('Canary of 2.0.0 on production: 10% of users, measured against 1.0.0, then 50%, then everyone.');
  const beforeCanary = productionLoad.snapshot();
  await must(['deploy', '2.0.0', '--env', 'production']);
  const c = productionLoad.since(beforeCanary);
  say(
    `2.0.0 is live on production; ${c.failed} of ${c.total.toLocaleString('en')} requests failed along the way.`,
  );

  say(
    '2.1.0 goes to staging first (production takes only what passed staging). Its bug needs production to show.',
  );
  await must(['deploy', '2.1.0', '--env', 'staging']);

  say('Canary of 2.1.0 on production. Nobody watches: slipway does.');
  const beforeBad = productionLoad.snapshot();
  await must(['deploy', '2.1.0', '--env', 'production'], 1);
  await new Promise((r) => setTimeout(r, 300));
  const b = productionLoad.since(beforeBad);
  say(
    `Rolled back on its own. Users saw ${b.errors} error answers from 2.1.0 before it was caught (about 10% of traffic, for the seconds it took); ${b.failed - b.errors} requests failed for any other reason.`,
  );

  await must(['history']);
  const totals = [stagingLoad.stop(), productionLoad.stop()];
  say(
    `Done. ${totals.reduce((n, t) => n + t.total, 0).toLocaleString('en')} requests in all; every deploy and rollback above happened under that traffic.`,
  );
} catch (error) {
  process.stderr.write(`\ndemo failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
