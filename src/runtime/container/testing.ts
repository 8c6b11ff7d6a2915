/**
 * Test helpers for the container runtime: a real Podman engine (its Docker-compatible service on a
 * Unix socket in a temp folder) and a real registry (the CNCF distribution registry, Debian's
 * `docker-registry`) on 127.0.0.1, both started by the test and stopped after it.
 *
 * Nothing can be pulled from a public registry here, so the base image is made from this machine's
 * files: the Node 24 binary of the `node` npm package and the shared libraries `ldd` lists,
 * `podman import`ed. Podman runs with runc (crun fails on hybrid cgroups) and with ulimits at the
 * host's (the sandbox may not raise them): both set in a containers.conf the engine is pointed to
 * by CONTAINERS_CONF, never machine-wide. Images live in one storage folder under the system temp
 * folder shared by the test files, so the base image is built once per machine (a stable tag).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hasBinary, repoRoot, serviceSkip, tempDir } from '../../testing.ts';
import { freePort } from '../process/ports.ts';

/** Skip reason when podman, runc or the registry is missing (fails under CI=true). */
export function engineSkip(): string | false {
  const missing = ['podman', 'runc', 'docker-registry'].filter((b) => !hasBinary(b));
  return serviceSkip(
    'a container engine (podman with runc) and a registry',
    missing.length === 0,
    `missing ${missing.join(', ')}: apt-get install podman runc docker-registry`,
  );
}

/** Where the test engines keep their images: shared by every test file so the base image is cached. */
const STORE = join(tmpdir(), 'slipway-podman-test');
const STORAGE_FLAGS = ['--root', join(STORE, 'root'), '--runroot', join(STORE, 'run')];

function sh(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: string) {
  return new Promise<string>((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (e, out, err) =>
        e ? reject(new Error(`${file} ${args.join(' ')} failed: ${err || e.message}`)) : resolve(out),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, the registry part of image references. */
  readonly host: string;
  stop(): Promise<void>;
}

/** A distribution registry on 127.0.0.1 storing in `dir`; `htpasswd` (bcrypt lines) turns on basic auth. */
export async function startRegistry(dir: string, htpasswd?: string): Promise<TestRegistry> {
  const port = await freePort();
  mkdirSync(join(dir, 'data'), { recursive: true });
  const auth = htpasswd
    ? `auth:\n  htpasswd:\n    realm: slipway-test\n    path: ${join(dir, 'htpasswd')}\n`
    : '';
  if (htpasswd) writeFileSync(join(dir, 'htpasswd'), htpasswd);
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  await waitFor(`the registry on ${host}`, async () => {
    const status = (await fetch(`http://${host}/v2/`)).status;
    return status === 200 || status === 401;
  });
  return { host, stop: () => stopChild(child) };
}

export interface TestEngine {
  /** `unix:///…/podman.sock`, as DOCKER_HOST takes it. */
  readonly dockerHost: string;
  readonly socketPath: string;
  /** Environment for the podman CLI on the same storage and config as the service. */
  readonly env: NodeJS.ProcessEnv;
  podman(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** `podman system service` on a socket in `dir`, trusting `insecureRegistries` over plain HTTP. */
export async function startEngine(dir: string, insecureRegistries: readonly string[]): Promise<TestEngine> {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'containers.conf');
  writeFileSync(
    conf,
    '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\n',
  );
  const registries = join(dir, 'registries.conf');
  writeFileSync(
    registries,
    insecureRegistries.map((r) => `[[registry]]\nlocation = "${r}"\ninsecure = true\n`).join('\n'),
  );
  const env = { ...process.env, CONTAINERS_CONF: conf, CONTAINERS_REGISTRIES_CONF: registries };
  const socketPath = join(dir, 'podman.sock');
  const child = spawn(
    'podman',
    [...STORAGE_FLAGS, 'system', 'service', '--time', '0', `unix://${socketPath}`],
    {
      env,
      stdio: 'ignore',
    },
  );
  const dockerHost = `unix://${socketPath}`;
  await waitFor('podman system service', () => ping(socketPath));
  return {
    dockerHost,
    socketPath,
    env,
    podman: (...args: string[]) => sh('podman', [...STORAGE_FLAGS, ...args], env),
    stop: () => stopChild(child),
  };
}

/** Skip reason when Docker Engine (dockerd, Debian's docker.io) is missing (fails under CI=true). */
export function dockerdSkip(): string | false {
  const missing = ['dockerd', 'containerd', 'runc', 'podman', 'docker-registry'].filter((b) => !hasBinary(b));
  return serviceSkip(
    'Docker Engine (dockerd) and a registry',
    missing.length === 0,
    `missing ${missing.join(', ')}: apt-get install docker.io podman runc docker-registry`,
  );
}

export interface TestDockerd {
  /** `unix:///…/docker.sock`, as DOCKER_HOST takes it. */
  readonly dockerHost: string;
  stop(): Promise<void>;
}

/**
 * A real Docker Engine on a socket in `dir`, its images, state and containerd under `dir` too.
 * It creates no bridge and touches no firewall rule (--bridge=none, --iptables=false): the
 * shared host keeps its network as it was, so its containers run with host networking and the
 * apps listen on 127.0.0.1 themselves. Ulimits at the host's, as for Podman.
 */
export async function startDockerd(dir: string): Promise<TestDockerd> {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'daemon.json');
  writeFileSync(config, '{}\n');
  const socketPath = join(dir, 'docker.sock');
  // dockerd and its containerd make these whatever their roots (plugin sockets, shim sockets).
  const systemDirs = ['/run/docker', '/run/containerd'].filter((d) => !existsSync(d));
  const child = spawn(
    'dockerd',
    [
      '--host',
      `unix://${socketPath}`,
      '--config-file',
      config,
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '--bridge',
      'none',
      '--iptables=false',
      '--ip6tables=false',
      '--default-ulimit',
      'nofile=1024:1024',
      '--default-ulimit',
      'nproc=1024:1024',
    ],
    { stdio: 'ignore' },
  );
  await waitFor('dockerd', () => ping(socketPath), 60_000);
  return {
    dockerHost: `unix://${socketPath}`,
    async stop() {
      await stopChild(child);
      // dockerd leaves its own network namespace bind-mounted in the exec root after it exits
      // (exec/netns/default): unmount whatever is still mounted under `dir`, deepest first.
      const mounts = readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[1] ?? '')
        .filter((path) => path.startsWith(`${dir}/`))
        .sort((a, b) => b.length - a.length);
      for (const path of mounts) await sh('umount', [path]).catch(() => undefined);
      rmSync(join(dir, 'data'), { recursive: true, force: true });
      // Only the ones this test created, and only when nothing else put files in them meanwhile.
      for (const d of systemDirs) if (isEmptyTree(d)) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** True when `path` holds folders only (no file, no socket). */
function isEmptyTree(path: string): boolean {
  try {
    return readdirSync(path, { withFileTypes: true }).every(
      (e) => e.isDirectory() && isEmptyTree(join(path, e.name)),
    );
  } catch {
    return false;
  }
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** A root filesystem holding Node 24 and its shared libraries, from this machine's files. */
function makeRootfs(root: string, ldd: string): void {
  const node = realpathSync(join(repoRoot, 'node_modules', 'node', 'bin', 'node'));
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  copyFileSync(node, join(root, 'usr/local/bin/node'));
  chmodSync(join(root, 'usr/local/bin/node'), 0o755);
  for (const [, lib] of ldd.matchAll(/(\/\S+) \(0x/g)) {
    if (!lib) continue;
    mkdirSync(dirname(join(root, lib)), { recursive: true });
    copyFileSync(realpathSync(lib), join(root, lib));
  }
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534::/:/bin/false\n',
  );
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  for (const d of ['tmp', 'app', 'run']) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
}

/** The Node base image, `localhost/slipway-node-base:<hash of the node binary>`, imported once per machine. */
export async function baseImage(engine: TestEngine): Promise<string> {
  const node = realpathSync(join(repoRoot, 'node_modules', 'node', 'bin', 'node'));
  const hash = createHash('sha256').update(readFileSync(node)).digest('hex').slice(0, 12);
  const tag = `localhost/slipway-node-base:${hash}`;
  const exists = await engine.podman('image', 'exists', tag).then(
    () => true,
    () => false,
  );
  if (exists) return tag;
  const work = tempDir('slipway-rootfs-');
  try {
    makeRootfs(join(work.path, 'rootfs'), await sh('ldd', [node]));
    const tar = join(work.path, 'rootfs.tar');
    await sh('tar', ['-C', join(work.path, 'rootfs'), '-cf', tar, '.']);
    await engine.podman('import', tar, tag);
  } finally {
    work.cleanup();
  }
  return tag;
}

export interface AppImage {
  /** `host/name@sha256:…`: what a release runs. */
  readonly ref: string;
  readonly digest: string;
  /** `host/name:tag` as pushed. */
  readonly tagged: string;
}

/**
 * Builds an image FROM the base with `files` in /app and `labels`, and pushes it to `registry` as
 * `name:tag` (what a user's CI does). The local tag is removed again: only the registry holds it.
 */
export async function buildAndPush(
  engine: TestEngine,
  registry: string,
  opts: {
    name: string;
    tag: string;
    files: Record<string, string>;
    cmd?: readonly string[];
    labels?: Record<string, string>;
    /** Build with this Containerfile (its BASE build-arg set to the local base) instead of a generated one. */
    containerfile?: string;
    buildArgs?: Record<string, string>;
  },
): Promise<AppImage> {
  const base = await baseImage(engine);
  const context = tempDir('slipway-image-');
  try {
    for (const [name, body] of Object.entries(opts.files)) {
      mkdirSync(dirname(join(context.path, name)), { recursive: true });
      writeFileSync(join(context.path, name), body);
    }
    const labels = Object.entries(opts.labels ?? {}).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}\n`);
    const cmd = JSON.stringify(opts.cmd ?? ['/usr/local/bin/node', '/app/server.mjs']);
    const file = join(context.path, '.Containerfile');
    if (opts.containerfile) copyFileSync(opts.containerfile, file);
    else writeFileSync(file, `FROM ${base}\nCOPY . /app/\n${labels.join('')}WORKDIR /app\nCMD ${cmd}\n`);
    const tagged = `${registry}/${opts.name}:${opts.tag}`;
    const args = Object.entries({ BASE: base, ...opts.buildArgs }).flatMap(([k, v]) => [
      '--build-arg',
      `${k}=${v}`,
    ]);
    await engine.podman('build', ...args, '-q', '-t', tagged, '-f', file, context.path);
    const digestFile = join(context.path, 'digest');
    await engine.podman('push', '--tls-verify=false', '--digestfile', digestFile, tagged);
    await engine.podman('rmi', tagged).catch(() => undefined);
    const digest = readFileSync(digestFile, 'utf8').trim();
    return { ref: `${registry}/${opts.name}@${digest}`, digest, tagged };
  } finally {
    context.cleanup();
  }
}

/** The runtime contract's example app (process/testing.ts), listening on every interface of its container. */
export function exampleServerInContainer(server: string): string {
  return server.replace("'127.0.0.1'", "'0.0.0.0'");
}

/** Removes every container of `scope` and its images (a failing test must not leave containers). */
export async function removeScope(engine: TestEngine, scope: string): Promise<string[]> {
  const ids = (await engine.podman('ps', '-aq', '--filter', `label=slipway.scope=${scope}`))
    .split('\n')
    .filter(Boolean);
  if (ids.length > 0) await engine.podman('rm', '-f', '-t', '0', ...ids).catch(() => undefined);
  return ids;
}

/** Removes the images pulled from `registry` (the cached base image stays). */
export async function removeRegistryImages(engine: TestEngine, registry: string): Promise<void> {
  const ids = (await engine.podman('images', '--format', '{{.Repository}} {{.ID}}'))
    .split('\n')
    .filter((line) => line.startsWith(`${registry}/`))
    .map((line) => line.split(' ')[1] ?? '');
  if (ids.length > 0) await engine.podman('rmi', '-f', ...new Set(ids)).catch(() => undefined);
}

export function removeDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
