/**
 * Strategies on containers (issue 15 · 3): the example shop as images in a real registry on
 * 127.0.0.1, run by `slipway agent` (its own process, DOCKER_HOST → a real Podman service) behind
 * the builtin router, HAProxy and nginx (`router.driver`). Under continuous HTTP load a
 * canary walks its weighted steps (25 → 50 → 100, each weight seen in the agent's status) and is
 * rolled back, and a blue-green switch is made and rolled back to the warm containers: 0 failed
 * requests in every case.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EnvStatus } from '../src/domain/data-plane.ts';
import { scopeOf } from '../src/runtime/by-image.ts';
import {
  buildAndPush,
  engineSkip,
  removeRegistryImages,
  startEngine,
  startRegistry,
  type TestEngine,
  type TestRegistry,
} from '../src/runtime/container/testing.ts';
import { freePort } from '../src/runtime/process/ports.ts';
import { repoRoot, serviceSkip, tempDir } from '../src/testing.ts';
import { findBinary } from '../src/traffic/installed.ts';
import { findNjsModule } from '../src/traffic/nginx/njs-module.ts';
import { cli, startSlipway, stopProcess } from './cli-helpers.ts';
import { httpLoop } from './http-loop.ts';

const skip = engineSkip();
const VERSIONS = ['1.0.0', '2.0.0'] as const;
/** nginx and its njs module (the nginx driver's routing runs in njs). */
function nginxWithNjs(): boolean {
  if (findBinary('nginx') === undefined) return false;
  try {
    findNjsModule('nginx');
    return true;
  } catch {
    return false;
  }
}

// nginx too: a new release's backends go into its routes file, not a reload, so no kept-alive
// connection is closed by a deployment.
const DRIVERS = [
  { driver: 'builtin', skip: false as const },
  {
    driver: 'haproxy',
    skip: serviceSkip('haproxy', findBinary('haproxy') !== undefined, 'apt-get install haproxy'),
  },
  {
    driver: 'nginx',
    skip: serviceSkip('nginx with njs', nginxWithNjs(), 'apt-get install nginx libnginx-mod-http-js'),
  },
];

const config = (image: string, driver: string, canaryPort: number, bluePort: number) => `app: shop
run:
  image: ${image}
  health: { path: /health, interval: 500ms, timeout: 500ms, startTimeout: 30s }
  instances: 1
  stopTimeout: 2s
environments:
  canary:
    profile: fast
    router: { driver: ${driver}, port: ${canaryPort} }
    strategy: { canary: { steps: [{ weight: 25, pause: 1500ms }, { weight: 50, pause: 1500ms }, { weight: 100 }] } }
  bluegreen:
    profile: fast
    router: { driver: ${driver}, port: ${bluePort} }
    strategy: { blue-green: { warmFor: 10m } }
`;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('strategies on containers', { skip }, () => {
  const dir = tempDir('slipway-container-strategies-');
  let registry: TestRegistry;
  let engine: TestEngine;
  const previousDockerHost = process.env.DOCKER_HOST;

  before(async () => {
    registry = await startRegistry(join(dir.path, 'registry'));
    engine = await startEngine(join(dir.path, 'engine'), [registry.host]);
    for (const v of VERSIONS) {
      await buildAndPush(engine, registry.host, {
        name: 'shop',
        tag: v,
        files: {
          'server.js': readFileSync(join(repoRoot, 'examples/shop/app/server.js'), 'utf8'),
          'package.json': readFileSync(join(repoRoot, 'examples/shop/app/package.json'), 'utf8'),
          VERSION: v,
        },
        containerfile: join(repoRoot, 'examples/shop/app/Containerfile'),
        buildArgs: { VERSION: v },
      });
    }
    process.env.DOCKER_HOST = engine.dockerHost;
  });

  after(async () => {
    if (previousDockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previousDockerHost;
    if (engine) {
      const left = (await engine.podman('ps', '-a', '--format', '{{.Names}} {{.Image}}'))
        .split('\n')
        .filter((line) => line.split(' ')[1]?.startsWith(`${registry.host}/`))
        .map((line) => line.split(' ')[0]!);
      if (left.length > 0) await engine.podman('rm', '-f', '-t', '0', ...left);
      await removeRegistryImages(engine, registry.host);
      await engine.stop();
    }
    await registry?.stop();
    dir.cleanup();
  });

  for (const { driver, skip: driverSkip } of DRIVERS) {
    describe(`router.driver: ${driver}`, { skip: driverSkip }, () => {
      const project = join(dir.path, driver);
      let agent: ChildProcess | undefined;
      let canaryPort = 0;
      let bluePort = 0;

      const agentClient = async () => {
        const { connectLocalAgent } = await import('../src/agent/client.ts');
        return connectLocalAgent(join(project, '.slipway', 'agent'));
      };
      const live = async (env: string) => {
        const status = JSON.parse((await cli(project, '--json', 'status')).stdout) as {
          environments: { env: string; release: string | null }[];
        };
        return status.environments.find((e) => e.env === env)?.release;
      };

      before(async () => {
        mkdirSync(project);
        canaryPort = await freePort();
        bluePort = await freePort();
        writeFileSync(
          join(project, 'slipway.yaml'),
          config(`${registry.host}/shop`, driver, canaryPort, bluePort),
        );
        for (const v of VERSIONS) {
          const r = await cli(
            project,
            'release',
            'create',
            '--ci',
            'passed',
            '--image',
            `${registry.host}/shop:${v}`,
          );
          assert.equal(r.code, 0, r.stderr);
        }
        agent = (await startSlipway(project, ['agent'], /admin API on/)).child;
      });

      after(async () => {
        if (!agent) return;
        const client = await agentClient();
        for (const env of ['canary', 'bluegreen']) await client.deleteEnv(env).catch(() => undefined);
        await stopProcess(agent);
      });

      test(`canary 25 → 50 → 100 and its rollback, through ${driver}, under load: 0 failed requests`, async () => {
        const first = await cli(project, 'deploy', '1.0.0', '--env', 'canary');
        assert.equal(first.code, 0, first.stdout + first.stderr);
        assert.equal((await (await agentClient()).status('canary')).driver, driver);
        const traffic = httpLoop(canaryPort);
        await pause(300);
        // The weights the agent routes while the canary walks its steps.
        const client = await agentClient();
        const weights = new Set<number>();
        let watching = true;
        const watch = (async () => {
          while (watching) {
            const status: EnvStatus | undefined = await client.status('canary').catch(() => undefined);
            for (const r of status?.releases ?? []) if (r.weight > 0 && r.weight < 100) weights.add(r.weight);
            await pause(100);
          }
        })();
        const deploy = await cli(project, 'deploy', '2.0.0', '--env', 'canary');
        watching = false;
        await watch;
        assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
        assert.equal(await live('canary'), '2.0.0');
        for (const w of [25, 50])
          assert.ok(weights.has(w), `weight ${w} routed during the canary (saw ${[...weights]})`);
        const during = await traffic.stop();
        assert.equal(during.failed, 0, `failed requests: ${during.errors.slice(0, 5).join(', ')}`);
        assert.deepEqual([...during.versions].sort(), ['1.0.0', '2.0.0']);

        const back = httpLoop(canaryPort);
        await pause(300);
        const rollback = await cli(project, '--json', 'rollback', 'canary');
        assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
        await pause(300);
        const counts = await back.stop();
        assert.equal(await live('canary'), '1.0.0');
        assert.equal(counts.failed, 0, `failed requests: ${counts.errors.slice(0, 5).join(', ')}`);
        const answer = (await (await fetch(`http://127.0.0.1:${canaryPort}/`)).json()) as { version: string };
        assert.equal(answer.version, '1.0.0');
      });

      test(`blue-green switch and rollback to the warm containers, through ${driver}, under load: 0 failed requests`, async () => {
        const first = await cli(project, 'deploy', '1.0.0', '--env', 'bluegreen');
        assert.equal(first.code, 0, first.stdout + first.stderr);
        const traffic = httpLoop(bluePort);
        await pause(300);
        const second = await cli(project, 'deploy', '2.0.0', '--env', 'bluegreen');
        assert.equal(second.code, 0, second.stdout + second.stderr);
        assert.match(second.stdout, /previous release kept warm until/);
        assert.equal(await live('bluegreen'), '2.0.0');
        // The previous release's containers are warm at weight 0: the rollback is a switch.
        const status = await (await agentClient()).status('bluegreen');
        assert.equal(status.driver, driver);
        const warm = status.releases.find((r) => r.weight === 0);
        assert.ok(warm, 'the previous release is kept at weight 0');
        assert.ok(
          warm.instances.every((i) => i.state === 'healthy'),
          'the previous release is warm',
        );
        const warmIds = warm.instances.map((i) => `${i.id} ${i.startedAt}`);
        await pause(300);
        const rollback = await cli(project, '--json', 'rollback', 'bluegreen');
        assert.equal(rollback.code, 0, rollback.stderr);
        assert.equal(JSON.parse(rollback.stdout).kind, 'switch');
        await pause(300);
        const counts = await traffic.stop();
        assert.equal(await live('bluegreen'), '1.0.0');
        assert.equal(counts.failed, 0, `failed requests: ${counts.errors.slice(0, 5).join(', ')}`);
        assert.ok(counts.ok > 20, `only ${counts.ok} requests answered`);
        assert.deepEqual([...counts.versions].sort(), ['1.0.0', '2.0.0']);
        // Switched back to the very containers kept warm, not new ones.
        const after = await (await agentClient()).status('bluegreen');
        const serving = after.releases.find((r) => r.weight === 100);
        assert.deepEqual(
          serving?.instances.map((i) => `${i.id} ${i.startedAt}`),
          warmIds,
        );
      });

      test('slipway agent stop --instances stops and removes the containers too', async () => {
        const scope = scopeOf(join(project, '.slipway', 'agent'));
        const ofScope = async () =>
          (await engine.podman('ps', '-aq', '--filter', `label=slipway.scope=${scope}`))
            .split('\n')
            .filter(Boolean);
        assert.ok(
          (await ofScope()).length >= 2,
          `the environments run containers of scope ${scope}: ${await engine.podman('ps', '-a', '--format', '{{.Names}} {{.Labels}}')}`,
        );
        const stop = await cli(project, 'agent', 'stop', '--instances');
        assert.equal(stop.code, 0, stop.stdout + stop.stderr);
        agent = undefined;
        assert.match(stop.stdout, /stopped container slipway-\S+ of canary rel-/);
        assert.match(stop.stdout, /stopped container slipway-\S+ of bluegreen/);
        assert.deepEqual(await ofScope(), []);
        // The agent's state stays: the next agent starts the last desired state again.
        agent = (await startSlipway(project, ['agent'], /admin API on/)).child;
        let version = '';
        for (let i = 0; i < 100 && version !== '1.0.0'; i++) {
          await pause(200);
          version = await fetch(`http://127.0.0.1:${canaryPort}/`)
            .then(async (r) => ((await r.json()) as { version: string }).version)
            .catch(() => '');
        }
        assert.equal(version, '1.0.0');
      });
    });
  }
});
