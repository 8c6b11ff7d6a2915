/**
 * Faults of the control plane, with real processes: `slipway deploy` killed (SIGKILL) during a
 * canary's first pause, during its analysis and while it waits for approval, stopped with Ctrl-C,
 * and left without its agent; then each of `status`, `deploy`, `resume`, `abort`, `rollback`. The
 * end state must be right, and what `status` prints must match what the agent serves and which
 * release answers real HTTP requests through the router.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectLocalAgent } from '../src/agent/client.ts';
import { startLoad } from '../src/engine/testing.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { type CliResult, cliProcess, startSlipway, stopProcess } from './cli-helpers.ts';

const CONFIG = `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 1
  stopTimeout: 1s
identity: { allowSlipwayUser: true } # development: these tests play several people
users: { alice: [deployer, approver], bob: [approver] }
environments:
  staging:
    profile: fast
    strategy:
      canary: { steps: [{ weight: 25, pause: 4s }, { weight: 50, analysis: { duration: 4s } }, { weight: 100 }] }
  production:
    profile: fast
    approval: { required: 1, role: approver, selfApproval: false }
    strategy:
      canary: { steps: [{ weight: 50, pause: 1s }, { weight: 100 }] }
`;
const BIN = join(repoRoot, 'bin/slipway.js');
const ENV = { SLIPWAY_USER: 'alice', SLIPWAY_GUARD_INTERVAL_MS: '200', SLIPWAY_URL: '', SLIPWAY_TOKEN: '' };

/** Starts `slipway deploy VERSION --env ENV`; resolves once its output matches `at`, with the process. */
function deployUntil(
  cwd: string,
  version: string,
  env: string,
  at: RegExp,
  extra: Record<string, string> = {},
): Promise<{ child: ChildProcess; out: () => string; exit: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', BIN, 'deploy', version, '--env', env],
    {
      cwd,
      env: { ...process.env, ...ENV, ...extra },
    },
  );
  let out = '';
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c;
      if (at.test(out)) resolve({ child, out: () => out, exit });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exit.then((code) => reject(new Error(`deploy ended (${code}) before ${at}:\n${out}`)));
  });
}

async function killed(run: { child: ChildProcess; exit: Promise<number | null> }): Promise<void> {
  run.child.kill('SIGKILL');
  await run.exit;
}

describe('a deploy whose process dies, and everything after it', () => {
  const dir = tempDir('slipway-interrupted-');
  let agent: ChildProcess | undefined;
  let load: ReturnType<typeof startLoad> | undefined;
  const as = async (user: string, ...argv: string[]): Promise<CliResult> => {
    const saved = process.env.SLIPWAY_USER;
    process.env.SLIPWAY_USER = user;
    Object.assign(process.env, { SLIPWAY_GUARD_INTERVAL_MS: '200' });
    try {
      return await cliProcess(dir.path, ...argv);
    } finally {
      process.env.SLIPWAY_USER = saved;
    }
  };
  const run = (...argv: string[]) => as('alice', ...argv);
  const client = () => connectLocalAgent(join(dir.path, '.slipway', 'agent'));
  const startAgent = async () => {
    agent = (await startSlipway(dir.path, ['agent'], /admin API on/)).child;
  };
  /** The agent's view: [version-id, weight] of every release taking traffic. */
  const servedBy = async (env: string) =>
    (await client().status(env)).releases.filter((r) => r.weight > 0).map((r) => [r.release, r.weight]);
  /** Which versions answer 40 real requests through the environment's router. */
  const answering = async (env: string) => {
    const port = (await client().desired(env))?.listen.port as number;
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/api/products`);
      await res.arrayBuffer();
      assert.equal(res.status, 200);
      seen.add(res.headers.get('x-shop-version') ?? '?');
    }
    return [...seen].sort();
  };
  const releaseId = async (version: string) => {
    const list = JSON.parse((await run('--json', 'releases')).stdout) as { id: string; version: string }[];
    return list.find((r) => r.version === version)?.id as string;
  };
  const status = async (env: string) =>
    JSON.parse((await run('--json', 'status', env)).stdout).environments[0] as {
      release: string | null;
      served: { reachable: boolean; line: string; releases: { release: string; weight: number }[] };
      drift: string | null;
      deployment: { id: string; state: string; line: string; weight: number } | null;
    };
  const lastDeployment = async (env: string) =>
    (
      JSON.parse((await run('--json', 'history', '--env', env, '--limit', '1')).stdout) as {
        id: string;
        status: string;
        reason: string | null;
      }[]
    )[0];

  before(async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    for (const v of ['1.0.0', '2.0.0']) {
      cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
      writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
      const made = await run('release', 'create', '--version', v, '--ci', 'passed', join('b', v));
      assert.equal(made.code, 0, made.stderr);
    }
    await startAgent();
    const first = await run('deploy', '1.0.0', '--env', 'staging');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    // Traffic for the analysis to judge (without any it cannot decide, and pauses).
    const port = (await client().desired('staging'))?.listen.port as number;
    load = startLoad({ url: `http://127.0.0.1:${port}/api/products`, workers: 2, gapMs: 20 });
  });
  after(async () => {
    await load?.stop();
    for (const env of ['staging', 'production'])
      await client()
        .deleteEnv(env)
        .catch(() => {});
    await stopProcess(agent);
    dir.cleanup();
  });

  test('killed in the first pause: status says interrupted, a second deploy is refused, resume finishes it', async () => {
    const v1 = await releaseId('1.0.0');
    const v2 = await releaseId('2.0.0');
    await killed(await deployUntil(dir.path, '2.0.0', 'staging', /began: pause/));

    const s = await status('staging');
    assert.equal(s.deployment?.state, 'interrupted');
    assert.match(s.deployment?.line ?? '', /^interrupted at step \d+\/\d+ \(pause 4s\), traffic at 25%$/);
    assert.equal(s.drift, null);
    assert.equal(s.release, '1.0.0', 'the record still says 1.0.0: 2.0.0 has not finished');
    assert.deepEqual(
      await servedBy('staging'),
      [
        [v1, 75],
        [v2, 25],
      ].sort((a, b) => Number(b[1]) - Number(a[1])),
    );
    assert.deepEqual(
      s.served.releases
        .filter((r) => r.weight > 0)
        .map((r) => [r.release, r.weight])
        .sort(),
      (await servedBy('staging')).sort(),
      'status shows what the agent serves',
    );
    assert.deepEqual(await answering('staging'), ['1.0.0', '2.0.0']);
    const text = await run('status', 'staging');
    assert.match(
      text.stdout,
      /interrupted at step .*traffic at 25%; continue it with `slipway resume staging`, or stop it with `slipway abort staging`/,
    );
    assert.match((await run('history', '--env', 'staging')).stdout, /interrupted/);

    const second = await run('deploy', '2.0.0', '--env', 'staging');
    assert.equal(second.code, 3, second.stdout + second.stderr);
    assert.match(
      second.stderr,
      new RegExp(`DEPLOYMENT_IN_FLIGHT.*${s.deployment?.id}.*slipway resume staging`),
    );
    assert.deepEqual(await answering('staging'), ['1.0.0', '2.0.0'], 'the refused deploy changed nothing');

    const resumed = await run('resume', 'staging');
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.equal((await lastDeployment('staging'))?.status, 'succeeded');
    assert.deepEqual(await servedBy('staging'), [[v2, 100]]);
    assert.deepEqual(await answering('staging'), ['2.0.0']);
    const after = await status('staging');
    assert.equal(after.release, '2.0.0');
    assert.equal(after.drift, null);
    assert.equal(after.deployment, null);
  });

  test('killed during analysis, then abort: traffic back on the release the record names', async () => {
    const v2 = await releaseId('2.0.0');
    await killed(await deployUntil(dir.path, '1.0.0', 'staging', /began: analysis/));
    assert.match(
      (await status('staging')).deployment?.line ?? '',
      /^interrupted at .*\(analysis 4s\), traffic at 50%/,
    );
    const aborted = await run('abort', 'staging');
    assert.equal(aborted.code, 1, aborted.stdout + aborted.stderr);
    assert.equal((await lastDeployment('staging'))?.status, 'aborted');
    assert.deepEqual(await servedBy('staging'), [[v2, 100]]);
    assert.deepEqual(await answering('staging'), ['2.0.0']);
    const s = await status('staging');
    assert.deepEqual([s.release, s.drift, s.deployment], ['2.0.0', null, null]);
  });

  test('killed in the pause, then rollback: rolled back, the record and the router agree', async () => {
    const v2 = await releaseId('2.0.0');
    await killed(await deployUntil(dir.path, '1.0.0', 'staging', /began: pause/));
    const back = await run('rollback', 'staging', '--reason', 'interrupted');
    assert.equal(back.code, 1, back.stdout + back.stderr);
    const last = await lastDeployment('staging');
    assert.equal(last?.status, 'rolled_back');
    assert.deepEqual(await servedBy('staging'), [[v2, 100]]);
    assert.deepEqual(await answering('staging'), ['2.0.0']);
    assert.match(
      (await run('status', 'staging')).stdout,
      /staging\s+2\.0\.0\s+2\.0\.0 at 100% \(1\/1 healthy\)/,
    );

    // Or in one go: roll the interrupted one back, then deploy.
    const old = await deployUntil(dir.path, '1.0.0', 'staging', /began: pause/);
    const oldId = /deployment (dep-[0-9a-f]+)/.exec(old.out())?.[1];
    await killed(old);
    const settled = await run('deploy', '2.0.0', '--env', 'staging', '--after-interrupted', 'rollback');
    assert.equal(settled.code, 0, settled.stdout + settled.stderr);
    assert.match(settled.stdout, new RegExp(`rolling back interrupted deployment ${oldId} first`));
    const list = JSON.parse((await run('--json', 'history', '--env', 'staging', '--limit', '2')).stdout) as {
      id: string;
      status: string;
    }[];
    assert.deepEqual(
      list.map((d) => d.status),
      ['succeeded', 'rolled_back'],
    );
    assert.equal(list[1]?.id, oldId);
    assert.deepEqual(await answering('staging'), ['2.0.0']);
  });

  test('the agent lost mid-canary: deploy retries, then says where it stands (exit 4); status says the agent is not reachable', async () => {
    const d = await deployUntil(dir.path, '1.0.0', 'staging', /began: pause/, {
      SLIPWAY_AGENT_RETRY_MS: '2000',
    });
    agent?.kill('SIGKILL');
    await new Promise((r) => agent?.once('exit', r));
    const code = await d.exit;
    assert.equal(code, 4, d.out());
    assert.match(d.out(), /lost the agent for 2s and gave up/);
    assert.match(
      d.out(),
      /interrupted at step \d+\/\d+ .*traffic as last set: 25% to 1\.0\.0, 75% to 2\.0\.0/,
    );
    assert.match(d.out(), /`slipway resume staging` continues it/);
    const s = await status('staging');
    assert.equal(s.served.reachable, false);
    assert.match(s.served.line, /^agent not reachable/);
    assert.match((await run('status', 'staging')).stdout, /agent not reachable/);
    const refused = await run('resume', 'staging');
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /cannot ask what staging serves|cannot be asked what staging serves/);
    await startAgent();
    const resumed = await run('abort', 'staging');
    assert.equal(resumed.code, 1, resumed.stdout + resumed.stderr);
    assert.deepEqual(await answering('staging'), ['2.0.0']);
    assert.equal((await status('staging')).drift, null);
  });

  test('a stale premise: the agent serves another split than the deployment recorded; resume and abort refuse, --record-only closes it', async () => {
    const v1 = await releaseId('1.0.0');
    const v2 = await releaseId('2.0.0');
    const d = await deployUntil(dir.path, '1.0.0', 'staging', /began: pause/);
    await killed(d);
    // Someone (or something) moved the traffic behind slipway's back.
    await client().setWeights('staging', { [v1]: 100, [v2]: 0 });
    const s = await status('staging');
    assert.match(s.drift ?? '', /1\.0\.0 takes 100% of traffic where the deployment recorded 25%/);
    for (const verb of ['resume', 'abort']) {
      const refused = await run(verb, 'staging');
      assert.equal(refused.code, 3, refused.stderr);
      assert.match(refused.stderr, /DEPLOYMENT_STALE.*The agent serves 1\.0\.0 at 100%/);
    }
    assert.deepEqual(await answering('staging'), ['1.0.0'], 'nothing acted on the stale record');
    const closed = await run('abort', 'staging', '--record-only', '--reason', 'moved by hand');
    assert.equal(closed.code, 0, closed.stderr);
    assert.equal((await lastDeployment('staging'))?.status, 'aborted');
    const now = await status('staging');
    assert.equal(now.deployment, null);
    assert.match(now.drift ?? '', /the record says 2\.0\.0, the agent serves 1\.0\.0 at 100%/);
    assert.deepEqual(await answering('staging'), ['1.0.0']);
  });

  test('waiting for approval: kill -9 leaves it interrupted and the approval counts on resume; Ctrl-C says it stays in flight', async () => {
    const v1 = await releaseId('1.0.0');
    const first = await deployUntil(dir.path, '1.0.0', 'production', /waiting: /);
    const id = /deployment (dep-[0-9a-f]+)/.exec(first.out())?.[1] as string;
    await killed(first);
    assert.match(
      (await status('production')).deployment?.line ?? '',
      /^interrupted at step \d+\/\d+ \(waiting for approval\), traffic at 0%$/,
    );

    const again = await run('deploy', '1.0.0', '--env', 'production');
    assert.equal(again.code, 3, again.stdout + again.stderr);
    assert.match(
      again.stderr,
      new RegExp(`${id} in flight \\(interrupted at step \\d+/\\d+ \\(waiting for approval\\)`),
    );

    const go = await as('bob', 'approve', id, '--reason', 'fine');
    assert.equal(go.code, 0, go.stderr);
    const resumed = await run('resume', 'production');
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    const last = await lastDeployment('production');
    assert.deepEqual([last?.id, last?.status], [id, 'succeeded']);
    assert.deepEqual(await servedBy('production'), [[v1, 100]]);
    assert.deepEqual(await answering('production'), ['1.0.0']);

    const stopped = await deployUntil(dir.path, '2.0.0', 'production', /waiting: /);
    stopped.child.kill('SIGINT');
    assert.equal(await stopped.exit, 130, stopped.out());
    assert.match(stopped.out(), /stays in flight on production, waiting for approval/);
    assert.match(
      stopped.out(),
      /`slipway status production` shows where it stands; `slipway resume production` drives it on/,
    );
    const refused = await run('deploy', '2.0.0', '--env', 'production');
    assert.equal(refused.code, 3, refused.stderr);
    const aborted = await run('abort', 'production', '--reason', 'not today');
    assert.equal((await lastDeployment('production'))?.status, 'aborted', aborted.stdout + aborted.stderr);
    assert.deepEqual(await answering('production'), ['1.0.0']);
    assert.equal((await status('production')).drift, null);
  });
});
