/**
 * Image releases end to end through the CLI, as a team with a registry runs them: the example shop
 * is built into images FROM a Node base made of this machine's files and pushed to a real registry
 * on 127.0.0.1; `slipway release create --image` resolves the tags to digests; `slipway agent`
 * (its own process, DOCKER_HOST → a real Podman service) runs them as containers behind the
 * builtin router. Under continuous HTTP traffic: deploy, blue-green switch, rollback — 0 failed
 * requests. Secrets arrive as files, never in `podman inspect`; bad images leave nothing registered
 * and the environment serving.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
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
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli, cliWithStdin, startSlipway, stopProcess } from './cli-helpers.ts';

const skip = engineSkip();
const TOKEN = 'tok_e2eContainer_Jk4Lm8Np2Qr6';

const shopFiles = (version: string, extra: Record<string, string> = {}) => ({
  'server.js': readFileSync(join(repoRoot, 'examples/shop/app/server.js'), 'utf8'),
  'package.json': readFileSync(join(repoRoot, 'examples/shop/app/package.json'), 'utf8'),
  VERSION: version,
  ...extra,
});

/** Requests in a loop from `workers` clients until stopped; every answer that is not 200 counts as failed. */
function load(port: number, workers = 4) {
  let running = true;
  const counts = { ok: 0, failed: 0, versions: new Set<string>(), errors: [] as string[] };
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as { version?: string };
        if (res.status === 200) {
          counts.ok++;
          if (body.version) counts.versions.add(body.version);
        } else {
          counts.failed++;
          counts.errors.push(`HTTP ${res.status}`);
        }
      } catch (error) {
        counts.failed++;
        counts.errors.push(String((error as Error).cause ?? error));
      }
    }
  });
  return {
    counts,
    async stop() {
      running = false;
      await Promise.all(loops);
      return counts;
    },
  };
}

describe('image releases on containers through the CLI', { skip }, () => {
  const dir = tempDir('slipway-container-deploy-');
  const project = join(dir.path, 'project');
  let registry: TestRegistry;
  let engine: TestEngine;
  let agent: ChildProcess | undefined;
  let port = 0;
  /** The containers of this test: of images in its own registry. */
  const ours = async (all = false) =>
    (await engine.podman('ps', ...(all ? ['-a'] : []), '--format', '{{.Names}} {{.Image}}'))
      .split('\n')
      .filter((line) => line.split(' ')[1]?.startsWith(`${registry.host}/`))
      .map((line) => line.split(' ')[0]!);
  const previousDockerHost = process.env.DOCKER_HOST;

  before(async () => {
    registry = await startRegistry(join(dir.path, 'registry'));
    engine = await startEngine(join(dir.path, 'engine'), [registry.host]);
    // The example's own Containerfile, FROM the local Node base instead of the public node image.
    const push = (tag: string, files: Record<string, string>, buildArgs: Record<string, string>) =>
      buildAndPush(engine, registry.host, {
        name: 'shop',
        tag,
        files,
        containerfile: join(repoRoot, 'examples/shop/app/Containerfile'),
        buildArgs,
      });
    for (const v of ['1.0.0', '2.0.0'])
      await push(v, shopFiles(v), { VERSION: v, REVISION: `c0ffee${v.replaceAll('.', '')}` });
    // A build that exits at once (faults.json says crash), without a version label.
    await push('broken', shopFiles('3.0.0', { 'faults.json': '{"crash":true}' }), {});
    port = await freePort();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(project);
    writeFileSync(
      join(project, 'slipway.yaml'),
      `app: shop
run:
  image: ${registry.host}/shop
  health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 20s }
  instances: 1
  stopTimeout: 2s
  limits: { memory: 256MiB, cpus: 0.5 }
config:
  require: { GREETING: string, API_TOKEN: secret }
  values: { GREETING: ahoy }
environments:
  staging:
    strategy: { blue-green: { warmFor: 10m } }
    profile: fast
    router: { port: ${port} }
    smoke: [{ get: /health }]
`,
    );
    process.env.DOCKER_HOST = engine.dockerHost;
    assert.equal((await cli(project, 'secret', 'init')).code, 0);
    const set = await cliWithStdin(project, `${TOKEN}\n`, 'secret', 'set', 'staging', 'API_TOKEN');
    assert.equal(set.code, 0, set.stderr);
    agent = (await startSlipway(project, ['agent'], /admin API on/)).child;
  });

  after(async () => {
    if (agent) {
      const { connectLocalAgent } = await import('../src/agent/client.ts');
      await connectLocalAgent(join(project, '.slipway', 'agent'))
        .deleteEnv('staging')
        .catch(() => undefined);
      await stopProcess(agent);
    }
    if (previousDockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previousDockerHost;
    if (engine) {
      const left = await ours(true);
      if (left.length > 0) await engine.podman('rm', '-f', '-t', '0', ...left);
      await removeRegistryImages(engine, registry.host);
      await engine.stop();
    }
    await registry?.stop();
    dir.cleanup();
  });

  const live = async () => {
    const status = JSON.parse((await cli(project, '--json', 'status')).stdout) as {
      environments: { env: string; release: string | null }[];
    };
    return status.environments.find((e) => e.env === 'staging')?.release;
  };

  test('release create --image registers the digest, with version and commit from the OCI labels', async () => {
    for (const v of ['1.0.0', '2.0.0']) {
      const r = await cli(
        project,
        '--json',
        'release',
        'create',
        '--ci',
        'passed',
        '--image',
        `${registry.host}/shop:${v}`,
      );
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as {
        release: { version: string; digest: string; commit: string };
        image: string;
      };
      assert.equal(out.release.version, v);
      assert.equal(out.release.commit, `c0ffee${v.replaceAll('.', '')}`);
      assert.equal(out.image, `${registry.host}/shop@${out.release.digest}`);
      // The digest is the registry's for that tag.
      const head = await fetch(`http://${registry.host}/v2/shop/manifests/${v}`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      assert.equal(head.headers.get('docker-content-digest'), out.release.digest);
    }
  });

  test('bad images: one line naming the image and the fix, nothing registered', async () => {
    const missing = await cli(project, 'release', 'create', '--image', `${registry.host}/shop:9.9.9`);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /image 127\.0\.0\.1:\d+\/shop:9\.9\.9 is not in the registry .*\(no tag 9\.9\.9\); push it first/,
    );
    assert.doesNotMatch(missing.stderr, /\n\s+at /);
    const other = await cli(project, 'release', 'create', '--image', `registry.example.invalid/other:1`);
    assert.equal(other.code, 2);
    assert.match(
      other.stderr,
      /not in 127\.0\.0\.1:\d+\/shop, the repository slipway.yaml's run.image names/,
    );
    const unlabeled = await cli(project, 'release', 'create', '--image', `${registry.host}/shop:broken`);
    assert.equal(unlabeled.code, 2);
    assert.match(unlabeled.stderr, /has no org\.opencontainers\.image\.version label; give --version/);
    const list = JSON.parse((await cli(project, '--json', 'releases')).stdout) as { version: string }[];
    assert.deepEqual(list.map((r) => r.version).sort(), ['1.0.0', '2.0.0']);
  });

  test('deploy, blue-green switch and rollback under continuous traffic: 0 failed requests', async () => {
    const first = await cli(project, 'deploy', '1.0.0', '--env', 'staging');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const traffic = load(port);
    await new Promise((r) => setTimeout(r, 300));
    const second = await cli(project, 'deploy', '2.0.0', '--env', 'staging');
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /previous release kept warm until/);
    assert.equal(await live(), '2.0.0');
    await new Promise((r) => setTimeout(r, 300));
    const rollback = await cli(project, '--json', 'rollback', 'staging');
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.equal(JSON.parse(rollback.stdout).kind, 'switch');
    await new Promise((r) => setTimeout(r, 300));
    const counts = await traffic.stop();
    assert.equal(await live(), '1.0.0');
    assert.equal(counts.failed, 0, `failed requests: ${counts.errors.slice(0, 5).join(', ')}`);
    assert.ok(counts.ok > 20, `only ${counts.ok} requests answered`);
    assert.deepEqual([...counts.versions].sort(), ['1.0.0', '2.0.0']);
  });

  test('the containers carry labels, limits and config; the secret is a file, not in inspect', async () => {
    const names = await ours();
    assert.ok(names.length >= 1);
    for (const name of names) {
      const inspect = await engine.podman('inspect', name);
      assert.ok(!inspect.includes(TOKEN), 'the secret value shows in podman inspect');
      const [info] = JSON.parse(inspect) as {
        Config: { Labels: Record<string, string>; Env: string[] };
        HostConfig: { Memory: number; NanoCpus: number; CpuQuota: number; CpuPeriod: number };
      }[];
      assert.equal(info!.Config.Labels['slipway.app'], 'shop');
      assert.equal(info!.Config.Labels['slipway.env'], 'staging');
      assert.ok(info!.Config.Labels['slipway.release']);
      assert.equal(info!.HostConfig.Memory, 256 * 1024 * 1024);
      assert.ok(info!.Config.Env.includes('GREETING=ahoy'));
      assert.ok(info!.Config.Env.includes('API_TOKEN_FILE=/run/secrets/API_TOKEN'));
      const read = await engine.podman(
        'exec',
        name,
        '/usr/local/bin/node',
        '-e',
        'process.stdout.write(require("fs").readFileSync(process.env.API_TOKEN_FILE, "utf8"))',
      );
      assert.equal(read, TOKEN);
    }
    const logs = await cli(project, 'logs', 'staging', '--lines', '20');
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /shop 1\.0\.0 listening on \d+/);
  });

  test('after an agent restart the running containers are adopted by their labels, not started again', async () => {
    const ids = async () =>
      (await engine.podman('ps', '--no-trunc', '--format', '{{.ID}} {{.Image}}'))
        .split('\n')
        .filter((line) => line.split(' ')[1]?.startsWith(`${registry.host}/`))
        .map((line) => line.split(' ')[0])
        .sort();
    const before = await ids();
    assert.ok(before.length >= 1);
    await stopProcess(agent);
    agent = (await startSlipway(project, ['agent'], /admin API on/)).child;
    assert.deepEqual(await ids(), before);
    const answer = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { version: string };
    assert.equal(answer.version, '1.0.0');
    const status = JSON.parse((await cli(project, '--json', 'status')).stdout) as {
      environments: { env: string; release: string | null }[];
    };
    assert.equal(status.environments.find((e) => e.env === 'staging')?.release, '1.0.0');
  });

  test('a container that exits at once fails the deployment; staging keeps serving', async () => {
    const r = await cli(
      project,
      'release',
      'create',
      '--ci',
      'passed',
      '--image',
      `${registry.host}/shop:broken`,
      '--version',
      '3.0.0',
    );
    assert.equal(r.code, 0, r.stderr);
    const deploy = await cli(project, 'deploy', '3.0.0', '--env', 'staging');
    assert.equal(deploy.code, 1, deploy.stdout);
    assert.match(deploy.stdout + deploy.stderr, /did not become healthy: the container exited/);
    assert.match(deploy.stdout + deploy.stderr, /crashing on start/);
    assert.equal(await live(), '1.0.0');
    const answer = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { version: string };
    assert.equal(answer.version, '1.0.0');
  });
});
