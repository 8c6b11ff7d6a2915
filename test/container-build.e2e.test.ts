/**
 * `slipway release create --build DIR` with a real engine (Podman's Docker-compatible service,
 * reached through DOCKER_HOST as a user's would be) and a real registry on 127.0.0.1: the example
 * shop's own Containerfile is built (FROM a Node base made of this machine's files: no public
 * registry here), pushed to slipway.yaml's run.image repository and registered by the digest the
 * registry holds; `slipway agent` then runs that release. Bad builds leave nothing registered.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  baseImage,
  engineSkip,
  removeRegistryImages,
  startEngine,
  startRegistry,
  type TestEngine,
  type TestRegistry,
} from '../src/runtime/container/testing.ts';
import { freePort } from '../src/runtime/process/ports.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli, startSlipway, stopProcess } from './cli-helpers.ts';

const skip = engineSkip();

describe('release create --build: a folder to a registered image release', { skip }, () => {
  const dir = tempDir('slipway-container-build-');
  const project = join(dir.path, 'project');
  const app = join(project, 'app');
  let registry: TestRegistry;
  let engine: TestEngine;
  let agent: ChildProcess | undefined;
  let base = '';
  let port = 0;
  const previousDockerHost = process.env.DOCKER_HOST;

  before(async () => {
    registry = await startRegistry(join(dir.path, 'registry'));
    engine = await startEngine(join(dir.path, 'engine'), [registry.host]);
    base = await baseImage(engine);
    mkdirSync(app, { recursive: true });
    for (const f of ['server.js', 'package.json', 'Containerfile'])
      copyFileSync(join(repoRoot, 'examples/shop/app', f), join(app, f));
    writeFileSync(join(app, 'VERSION'), '1.0.0');
    port = await freePort();
    writeFileSync(
      join(project, 'slipway.yaml'),
      `app: shop
run:
  image: ${registry.host}/shop
  health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 30s }
  instances: 1
  stopTimeout: 2s
environments:
  staging:
    profile: fast
    router: { port: ${port} }
`,
    );
    process.env.DOCKER_HOST = engine.dockerHost;
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
      await removeRegistryImages(engine, registry.host);
      await engine.stop();
    }
    await registry?.stop();
    dir.cleanup();
  });

  const releases = async () =>
    (JSON.parse((await cli(project, '--json', 'releases')).stdout) as { version: string }[]).map(
      (r) => r.version,
    );

  test('builds the Containerfile, pushes to run.image and registers the pushed digest', async () => {
    const r = await cli(
      project,
      '--json',
      'release',
      'create',
      '--build',
      'app',
      '--version',
      '1.0.0',
      '--commit',
      'c0ffee1',
      '--ci',
      'passed',
      '--build-arg',
      `BASE=${base}`,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as {
      release: { version: string; digest: string; commit: string };
      image: string;
      built: string;
    };
    assert.equal(out.built, `${registry.host}/shop:1.0.0`);
    assert.equal(out.release.version, '1.0.0');
    // The commit reached the image as its revision label (the REVISION build-arg) and back.
    assert.equal(out.release.commit, 'c0ffee1');
    const head = await fetch(`http://${registry.host}/v2/shop/manifests/1.0.0`, {
      method: 'HEAD',
      headers: {
        accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    assert.equal(head.status, 200);
    assert.equal(out.release.digest, head.headers.get('docker-content-digest'));
    assert.equal(out.image, `${registry.host}/shop@${out.release.digest}`);
  });

  test('the built release deploys and serves', async () => {
    agent = (await startSlipway(project, ['agent'], /admin API on/)).child;
    const deploy = await cli(project, 'deploy', '1.0.0', '--env', 'staging');
    assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
    const answer = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { version: string };
    assert.equal(answer.version, '1.0.0');
  });

  test('a build that fails: one error naming the step and the build file, nothing registered', async () => {
    const broken = join(project, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'Containerfile'), `FROM ${base}\nCOPY missing.js /app/\n`);
    const r = await cli(project, 'release', 'create', '--build', 'broken', '--version', '2.0.0');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /error\[IMAGE_BUILD_FAILED\]: building 127\.0\.0\.1:\d+\/shop:2\.0\.0 from .*broken\/Containerfile failed: .*missing\.js/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const none = join(project, 'none');
    mkdirSync(none);
    const missing = await cli(project, 'release', 'create', '--build', 'none', '--version', '2.0.0');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /none has no Containerfile or Dockerfile; add one/);
    const both = await cli(
      project,
      'release',
      'create',
      '--build',
      'app',
      '--image',
      `${registry.host}/shop:1.0.0`,
    );
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give one of PATH, --image or --build, not several/);
    const badArg = await cli(project, 'release', 'create', '--build', 'app', '--build-arg', 'NOEQUALS');
    assert.equal(badArg.code, 2);
    assert.match(badArg.stderr, /--build-arg: expected KEY=VALUE/);
    assert.deepEqual(await releases(), ['1.0.0']);
  });
});
