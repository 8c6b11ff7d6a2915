/**
 * The demo (`npm run demo`): slipway on this machine, end to end, narrated. It starts the data
 * plane (`slipway agent`), registers three builds of the example shop (one of them bad), deploys
 * to staging and production, keeps real traffic flowing, does a blue-green deploy and an instant
 * rollback on staging, then canaries on production — a good release that goes live and a bad one
 * that slipway rolls back on its own. Last, a feature flag: the shop's new checkout, read through
 * slipway's OpenFeature provider from a `slipway server`, is rolled out on production to 10% and 50%
 * of users and killed, with the share of users who see it measured from the traffic. It stops everything it
 * started, also on Ctrl-C.
 *
 * With a PostgreSQL it can reach (SLIPWAY_DEMO_PG_URL, default postgres://postgres@127.0.0.1:5432/
 * postgres) each environment gets a database of its own, the shop reads its products from it, and
 * the releases carry the shop's migrations: 1.0.0 creates the table, 2.0.0 expands it (applied
 * before traffic moves, under load), and 3.0.0 brings a contract migration that the deployment
 * holds back until the release is live and someone gives the contract phase its own go. Without
 * one, that part is skipped with the reason.
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
import { lookup } from 'node:dns/promises';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createAgentClient } from '../src/agent/client.ts';
import { linkProvider, PATH_WITH_THIS_NODE } from '../src/flags/testing.ts';
import { containersMissing, type DemoContainers, startDemoContainers } from './demo-containers.ts';
import { startLoad } from './demo-load.ts';
import { vendor } from './vendor.ts';

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

/** The flags' keys (the slipway server the shop reads flags from, a viewer's token) when they are used. */
const FLAG_KEYS = `
    SLIPWAY_FLAGS_URL: url
    SLIPWAY_FLAGS_TOKEN: secret`;

const PG_URL = process.env.SLIPWAY_DEMO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbPrefix = `slipway_demo_${process.pid}`;
/** Each environment's database URL, or why the database part is skipped. */
async function databases(): Promise<Record<string, string> | string> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    const urls: Record<string, string> = {};
    for (const env of ['staging', 'production']) {
      await admin.query(`CREATE DATABASE ${dbPrefix}_${env}`);
      const u = new URL(PG_URL);
      u.pathname = `/${dbPrefix}_${env}`;
      urls[env] = u.toString();
    }
    return urls;
  } catch (error) {
    return `no PostgreSQL at ${new URL(PG_URL).host} (${(error as Error).message || 'unreachable'}); set SLIPWAY_DEMO_PG_URL to one`;
  } finally {
    await admin.end().catch(() => {});
  }
}
async function dropDatabases(): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    const all = await admin.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${dbPrefix}%`]);
    for (const r of all.rows) await admin.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
  } catch {
    // no PostgreSQL: nothing was created
  } finally {
    await admin.end().catch(() => {});
  }
}
// Container mode leaves the database part out: an image release carries no migrations folder here.
const dbs = flags.containers
  ? 'container mode (the demo keeps its database part for folder releases)'
  : await databases();
const withDb = typeof dbs !== 'string';
const dbConfig = (env: string) => (withDb ? `, DATABASE_URL: "${dbs[env]}"` : '');

const config = (run: string, withFlags: boolean) => `app: shop
${withDb ? 'migrations: { dir: migrations, database: DATABASE_URL }\n' : ''}config:
  require:
    SHOP_ENV: "enum(staging,production)"${withFlags ? FLAG_KEYS : ''}
run:
  ${run}
  health: { path: /health, interval: 500ms, timeout: 500ms, startTimeout: 20s }
  instances: 2
  stopTimeout: 3s
environments:
  staging:
    config: { values: { SHOP_ENV: staging${dbConfig('staging')} } }
    strategy: { blue-green: { warmFor: 10m } }
    router: { driver: ${driver} }
    profile: fast
    smoke: [{ get: /health }, { get: /api/products }]
    checks: [{ name: e2e, run: node e2e.mjs, timeout: 30s }]
    performance: { rate: 50/s, duration: 2s, connections: 4, endpoints: [/, /api/products], maxRegression: { p50: 2x, p95: 3x } }
    watch: 2s
  production:
    after: staging
    config:
      values: { SHOP_ENV: production${dbConfig('production')} }
${
  // One machine: production's database is on loopback, which the drift check behind `after:`
  // refuses for a production unless the key is allowed, explicitly and visibly, for this install.
  withDb ? '      allowLoopback: [DATABASE_URL]\n' : ''
}    profile: fast
    strategy:
      canary:
        stickiness: header:x-user-id
        steps: [{ weight: 10, analysis: { duration: 4s } }, { weight: 50, analysis: { duration: 3s } }, { weight: 100 }]
    smoke: [{ get: /health }]
    watch: 3s
`;

function slipway(
  args: string[],
  options: { capture?: boolean; input?: string } = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(root, 'bin/slipway.js'), ...args],
      {
        cwd: project,
        stdio: [
          options.input === undefined ? 'ignore' : 'pipe',
          options.capture ? 'pipe' : 'inherit',
          'inherit',
        ],
        env: { ...process.env, SLIPWAY_USER: '' },
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
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

/** The blameless post-mortem draft of what was just rolled back on `env` (`slipway postmortem`), in a line. */
async function postmortem(env: string): Promise<void> {
  const [newest, before] = JSON.parse(await must(['history', '--env', env, '--limit', '2', '--json'])) as {
    id: string;
    status: string;
  }[];
  // After `slipway rollback` the newest deployment is the rollback itself; the change is the one before.
  const change = newest && ['rolled_back', 'failed'].includes(newest.status) ? newest : before;
  const { markdown } = JSON.parse(await must(['postmortem', String(change?.id), '--json'])) as {
    markdown: string;
  };
  say(`Post-mortem draft (\`slipway postmortem ${change?.id}\`): ${markdown.split('\n')[0]}`);
}

async function must(args: string[], expect = 0, input?: string): Promise<string> {
  const { code, out } = await slipway(args, {
    capture: args.includes('--json'),
    ...(input !== undefined && { input }),
  });
  if (code !== expect) throw new Error(`\`slipway ${args.join(' ')}\` exited ${code}, expected ${expect}`);
  return out;
}

/** The shop's migrations each release brings: 2.x expands, 3.0.0 contracts. */
const MIGRATIONS: Record<string, readonly string[]> = {
  '1.0.0': ['0001_products.sql'],
  '2.0.0': ['0001_products.sql', '0002_products_stock.sql'],
  '2.1.0': ['0001_products.sql', '0002_products_stock.sql'],
};

function build(version: string, faults?: object): string {
  const dir = join(project, 'builds', version);
  cpSync(join(root, 'examples/shop/app'), dir, { recursive: true });
  writeFileSync(join(dir, 'VERSION'), `${version}\n`);
  const keep = MIGRATIONS[version];
  if (keep)
    for (const f of readdirSync(join(dir, 'migrations')))
      if (!keep.includes(f)) rmSync(join(dir, 'migrations', f));
  if (withDb) vendor(dir, 'pg');
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
    { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: PATH_WITH_THIS_NODE } },
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

/** `slipway server` on a free port (the flags' API and change stream); resolves with its URL. */
async function startServer(address: string): Promise<string> {
  const server = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      join(root, 'bin/slipway.js'),
      'server',
      '--port',
      '0',
      '--host',
      address,
    ],
    { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLIPWAY_USER: '' } },
  );
  children.add(server);
  let output = '';
  return new Promise<string>((resolve, reject) => {
    server.stdout?.on('data', (c) => {
      output += c;
      const url = /API on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) resolve(url);
    });
    server.stderr?.on('data', (c) => (output += c));
    server.on('exit', (code) => reject(new Error(`the server exited with ${code}: ${output}`)));
  });
}

/** This machine's name and the loopback address it resolves to, or undefined when it is not loopback. */
async function loopbackName(): Promise<{ name: string; address: string } | undefined> {
  try {
    const { address } = await lookup(hostname(), { family: 4 });
    return address.startsWith('127.') ? { name: hostname(), address } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `slipway server` for the flags (their API and change stream), a viewer's token for the shop kept
 * as a secret, and the OpenFeature packages installed in the project.
 */
async function startFlags(host: { name: string; address: string }): Promise<void> {
  say(
    "Starting `slipway server` for feature flags: the shop reads them through slipway's OpenFeature provider, with a viewer's token kept as a secret.",
  );
  linkProvider(project);
  const url = new URL(await startServer(host.address));
  url.hostname = host.name;
  await must(['secret', 'init']);
  await must(['user', 'add', 'shop-app', '--role', 'viewer']);
  const created = await must(['token', 'create', '--user', 'shop-app', '--name', 'shop', '--json']);
  const token = (JSON.parse(created) as { secret: string }).secret;
  for (const env of ['staging', 'production']) {
    await must(['config', 'set', env, 'SLIPWAY_FLAGS_URL', url.origin]);
    await must(['secret', 'set', env, 'SLIPWAY_FLAGS_TOKEN'], 0, `${token}\n`);
  }
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
  if (withDb) await dropDatabases();
  if (!process.env.SLIPWAY_DEMO_KEEP) rmSync(project, { recursive: true, force: true });
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The new checkout behind the flag `new-checkout`: shipped dark, rolled out to 10% then 50% of
 * users, then killed. Shares are of the users the checkout traffic reached in each window, by the
 * variant the shop says it served (`x-slipway-flag`).
 */
async function flagChapter(productionPort: number): Promise<void> {
  say('The new checkout ships dark: the flag new-checkout exists in production, off for everyone.');
  const flagFile = join(project, 'new-checkout.json');
  writeFileSync(
    flagFile,
    JSON.stringify({
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {},
    }),
  );
  await must([
    'flags',
    'set',
    'new-checkout',
    '--env',
    'production',
    '--from',
    flagFile,
    '--reason',
    'new checkout, shipped dark',
  ]);
  const load = startLoad(productionPort, { workers: 4, path: '/api/checkout' });
  loads.push(load);
  const share = async (what: string) => {
    await pause(800); // the provider follows within a second; let the change land first
    const since = Date.now();
    await pause(2000);
    const { on, of } = load.usersOn(since);
    say(`${what}: ${on} of ${of} users (${of ? Math.round((100 * on) / of) : 0}%) see the new checkout.`);
  };
  await share('Dark');
  for (const percent of [10, 50]) {
    await must([
      'flags',
      'rollout',
      'new-checkout',
      '--env',
      'production',
      '--percent',
      String(percent),
      '--reason',
      `ramp to ${percent}%`,
    ]);
    await share(`Rolled out to ${percent}%`);
  }
  await must(['flags', 'kill', 'new-checkout', '--env', 'production', '--reason', 'checkout complaints']);
  // From the moment the kill was stored (its version's time), not from the CLI's start.
  const killed = JSON.parse(await must(['flags', 'get', 'new-checkout', '--env', 'production', '--json']));
  const killedAt = Date.parse((killed as { at: string }).at);
  await share('Killed');
  const last = load.lastOnAt();
  const c = load.stop();
  say(
    `The kill reached every instance: the last new checkout was served ${Math.max(0, last - killedAt)} ms after the kill was stored; ${c.failed} of ${c.total.toLocaleString('en')} checkout requests failed.`,
  );
}

process.once('SIGINT', () => {
  process.stdout.write('\nstopping the demo: removing the environments, stopping the agent\n');
  void cleanup().then(() => process.exit(130));
});

try {
  say(`A project folder for the demo: ${project}`);
  // Production refuses config that points at a loopback address (its preflight), so the shop finds
  // the flags' server by this machine's name, when that name is this machine's loopback address.
  // Container mode leaves flags out: the shop's containers would need that name inside them too.
  const flagsHost = flags.containers ? undefined : await loopbackName();
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
    config(
      containers ? `image: ${containers.registry}/shop` : 'command: node server.js',
      flagsHost !== undefined,
    ),
  );
  // Staging's e2e step (`checks:`): the shop's products answer through the new release.
  writeFileSync(
    join(project, 'e2e.mjs'),
    `const [h, v] = process.env.SLIPWAY_PREVIEW_HEADER.split(': ');
const res = await fetch(process.env.SLIPWAY_ENV_URL + '/api/products', { headers: { [h]: v } });
if (res.status !== 200 || !Array.isArray((await res.json()).products)) process.exit(1);
`,
  );
  await must(['validate']);
  say(
    withDb
      ? 'Each environment gets a PostgreSQL database of its own: the shop reads its products from it, and its releases carry migrations (1.0.0 creates the table, 2.0.0 expands it).'
      : `Skipping the database part (migrations, backups, the contract phase): ${dbs}.`,
  );

  if (flagsHost) await startFlags(flagsHost);
  else if (flags.containers) say('Feature flags are left out in container mode.');
  else
    say(
      `Feature flags are left out: this machine's name (${hostname()}) is not one of its loopback addresses, and production refuses a loopback URL.`,
    );

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
  if (withDb) await release('3.0.0');

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
  const rb = JSON.parse(await must(['rollback', 'staging', '--json'])) as {
    switchMs: number;
    database?: string | null;
  };
  await new Promise((r) => setTimeout(r, 500));
  const r = stagingLoad.since(beforeRollback);
  say(
    `Rolled back in ${rb.switchMs.toFixed(1)} ms; ${r.failed} of ${r.total.toLocaleString('en')} requests failed.${rb.database ? ` slipway adds: ${rb.database}.` : ''}`,
  );
  await postmortem('staging');

  say('Canary of 2.0.0 on production: 10% of users, measured against 1.0.0, then 50%, then everyone.');
  const beforeCanary = productionLoad.snapshot();
  await must(['deploy', '2.0.0', '--env', 'production']);
  const c = productionLoad.since(beforeCanary);
  say(
    `2.0.0 is live on production; ${c.failed} of ${c.total.toLocaleString('en')} requests failed along the way.`,
  );

  say(
    `2.1.0 goes to staging first (production takes only what passed staging${withDb ? "; its database on this machine's loopback is allowed by `config.allowLoopback: [DATABASE_URL]`, a note in every production preflight" : ''}). Its bug needs production to show.`,
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
  await postmortem('production');

  if (withDb) {
    say(
      '3.0.0 drops products.note, which 1.0.0 still read: a contract migration (`-- slipway:contract-after 2.0.0`). Lint sees it and knows when it may run.',
    );
    await must(['migrations', 'lint', '--release', '3.0.0']);
    say('Deploying 3.0.0 to staging: the deployment applies what expands and holds the contract back.');
    const beforeContract = stagingLoad.snapshot();
    await must(['deploy', '3.0.0', '--env', 'staging']);
    say('3.0.0 is live and proved itself; neither it nor the rollback target (2.1.0) needs note. The go:');
    await must(['migrations', 'contract', 'staging']);
    await must(['migrations', 'contract', 'staging', '--approve', '--reason', '3.0.0 verified on staging']);
    const k = stagingLoad.since(beforeContract);
    say(
      `Contracted: products.note is gone from staging; ${k.failed} of ${k.total.toLocaleString('en')} requests failed during the deploy and the contract phase.`,
    );
    say(
      'slipway backed the database up before each migration; restoring the one taken before the contract (the database rollback):',
    );
    await must(['db', 'backups', 'staging']);
    const beforeRestore = stagingLoad.snapshot();
    await must(['db', 'restore', 'staging']);
    const rs = stagingLoad.since(beforeRestore);
    say(
      `Restored and verified table by table; ${rs.failed} of ${rs.total.toLocaleString('en')} requests failed while the databases were swapped (the shop retries a cut connection). products.note is back, and 0003 is pending again.`,
    );
  }
  if (flagsHost) await flagChapter(await port('production'));

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
