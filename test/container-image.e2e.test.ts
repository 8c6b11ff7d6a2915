/**
 * The Containerfile builds an image of slipway from the packed tarball, and slipway runs in it.
 * No container registry is reachable here, so the base image (Node 24 and npm, as the public
 * node:24 image has them) is made from this machine's own files and `podman import`ed: the Node 24
 * binary of the `node` npm package, the host's npm, sh, env and rm, the shared libraries `ldd` lists,
 * /etc/passwd and the CA certificates. The build installs the tarball with the host's npm cache
 * mounted (--prefer-offline). Podman runs with runc (crun fails on this kernel's hybrid cgroups)
 * and with ulimits the host allows.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hasBinary, repoRoot, serviceSkip, tempDir } from '../src/testing.ts';
import { cleanEnv, packTarball, run } from './package-helpers.ts';

const skip = serviceSkip('podman', hasBinary('podman'), 'apt-get install podman runc');
const version = (await import('../package.json', { with: { type: 'json' } })).default.version;

const PODMAN_RUN = ['--runtime', 'runc'];
const LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

describe('the container image of slipway', { skip }, () => {
  const tmp = tempDir('slipway-image-');
  const tag = `${process.pid}-${Date.now()}`;
  const base = `localhost/slipway-test-base:${tag}`;
  const image = `localhost/slipway-test:${tag}`;
  const podman = (...args: string[]) => run('podman', args, { env: cleanEnv(), timeoutMs: 400_000 });

  before(async () => {
    const context = join(tmp.path, 'context');
    mkdirSync(context);
    await packTarball(context);
    const rootfs = join(tmp.path, 'rootfs');
    await makeRootfs(rootfs);
    const tar = join(tmp.path, 'base.tar');
    const packed = await run('tar', ['-C', rootfs, '-cf', tar, '.']);
    assert.equal(packed.code, 0, packed.stderr);
    const imported = await podman('import', tar, base);
    assert.equal(imported.code, 0, imported.stderr);
    const cache = (await run('npm', ['config', 'get', 'cache'], { env: cleanEnv() })).stdout.trim();
    const built = await podman(
      'build',
      ...PODMAN_RUN,
      ...LIMITS,
      '--network',
      'host',
      '--volume',
      `${cache}:/root/.npm`,
      '--build-arg',
      `BASE=${base}`,
      '--build-arg',
      // Node trusts only its own CA list; the system's (copied into the base image) may hold the
      // one an npm proxy presents, so npm in the build is pointed at it like npm on the host.
      'NPM_FLAGS=--prefer-offline --cafile=/etc/ssl/certs/ca-certificates.crt',
      '-t',
      image,
      '-f',
      join(repoRoot, 'Containerfile'),
      context,
    );
    assert.equal(built.code, 0, `podman build failed:\n${built.stdout}\n${built.stderr}`);
  });

  after(async () => {
    await podman('rmi', '--force', image, base);
    tmp.cleanup();
  });

  test('slipway --version runs in the image', async () => {
    const r = await podman('run', '--rm', ...PODMAN_RUN, ...LIMITS, '--network', 'none', image, '--version');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  });

  test('slipway validate reads the mounted project (the example shop)', async () => {
    const project = `${join(repoRoot, 'examples', 'shop')}:/project:ro`;
    const ok = await podman(
      'run',
      '--rm',
      ...PODMAN_RUN,
      ...LIMITS,
      '--network',
      'none',
      '-v',
      project,
      image,
      'validate',
    );
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /slipway\.yaml is valid: app shop/);
  });

  test('a broken slipway.yaml gives exit code 1 and the file, line and field, no stack trace', async () => {
    const bad = join(tmp.path, 'bad');
    mkdirSync(bad);
    writeFileSync(
      join(bad, 'slipway.yaml'),
      'app: shop\nrun:\n  command: node server.js\n  instances: many\n',
    );
    const r = await podman(
      'run',
      '--rm',
      ...PODMAN_RUN,
      ...LIMITS,
      '--network',
      'none',
      '-v',
      `${bad}:/project:ro`,
      image,
      'validate',
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /slipway\.yaml:4:\d+: run\.instances/);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /);
  });
});

/** A root filesystem with Node 24, npm, sh, env and rm, from this machine's files. */
async function makeRootfs(root: string): Promise<void> {
  const node = realpathSync(join(repoRoot, 'node_modules', 'node', 'bin', 'node'));
  const npm = dirname(dirname(realpathSync((await run('sh', ['-c', 'command -v npm'])).stdout.trim())));
  const binaries: [string, string][] = [
    [node, 'usr/local/bin/node'],
    ['/bin/dash', 'bin/sh'],
    ['/usr/bin/env', 'usr/bin/env'],
    ['/bin/rm', 'bin/rm'],
  ];
  for (const [from, to] of binaries) {
    mkdirSync(dirname(join(root, to)), { recursive: true });
    copyFileSync(realpathSync(from), join(root, to));
    chmodSync(join(root, to), 0o755);
    const ldd = await run('ldd', [from]);
    for (const [, lib] of ldd.stdout.matchAll(/(\/\S+) \(0x/g)) {
      if (!lib) continue;
      mkdirSync(dirname(join(root, lib)), { recursive: true });
      copyFileSync(realpathSync(lib), join(root, lib));
    }
  }
  cpSync(npm, join(root, 'usr/local/lib/node_modules/npm'), { recursive: true, dereference: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
  mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true });
  copyFileSync('/etc/ssl/certs/ca-certificates.crt', join(root, 'etc/ssl/certs/ca-certificates.crt'));
  writeFileSync(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n',
  );
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  for (const dir of ['root', 'tmp', 'project']) mkdirSync(join(root, dir), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
}
