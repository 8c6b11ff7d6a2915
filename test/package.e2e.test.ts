/**
 * slipway as a user installs it: the tarball `npm pack` makes, installed with `npm install -g
 * --prefix` into a temporary folder, run only from the installed bin (PATH without this clone's
 * node_modules/.bin). Checks what the package holds (compiled JavaScript, no TypeScript, a prebuilt
 * dashboard, LICENSE, CHANGELOG, one version), then validates and deploys the example shop with it:
 * agent, release, deploy to staging, a real request through the router, everything stopped.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cleanEnv, filesUnder, installTarball, packTarball, run, userPath } from './package-helpers.ts';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  exports: Record<string, string>;
};

describe('the npm package, packed, installed into a prefix and used from its bin', () => {
  const tmp = tempDir('slipway-package-');
  const prefix = join(tmp.path, 'prefix');
  const installed = join(prefix, 'lib', 'node_modules', 'slipway');
  const project = join(tmp.path, 'project');
  const env = cleanEnv({ PATH: userPath(join(prefix, 'bin')), SLIPWAY_URL: '', SLIPWAY_TOKEN: '' });
  const slipway = (cwd: string, ...args: string[]) =>
    run(join(prefix, 'bin', 'slipway'), args, { cwd, env, timeoutMs: 120_000 });
  let agent: ChildProcess | undefined;

  before(async () => {
    const tarball = await packTarball(tmp.path);
    const install = await installTarball(tarball, prefix);
    assert.equal(install.code, 0, `npm install -g failed:\n${install.stderr}`);
  });

  after(async () => {
    await stopEverything(project, agent);
    tmp.cleanup();
  });

  test('holds compiled JavaScript, the prebuilt dashboard, LICENSE and CHANGELOG, and no TypeScript', () => {
    const files = filesUnder(installed).filter((f) => !f.startsWith('node_modules/'));
    assert.deepEqual(
      files.filter((f) => /\.(c|m)?tsx?$/.test(f)),
      [],
    );
    assert.deepEqual(
      files.filter((f) => /\.test\.|\.bench\.|(^|\/)testing\.js$/.test(f)),
      [],
    );
    for (const f of ['bin/slipway.js', 'lib/cli/main.js', 'dist/web/index.html', 'LICENSE', 'CHANGELOG.md'])
      assert.ok(files.includes(f), `${f} is in the package`);
    assert.ok(files.some((f) => /^dist\/web\/assets\/.+\.js$/.test(f)));
    for (const target of Object.values(pkg.exports)) assert.ok(existsSync(join(installed, target)), target);
    assert.ok(!existsSync(join(installed, 'src')));
    assert.match(readFileSync(join(installed, 'LICENSE'), 'utf8'), /MIT License/);
    assert.match(readFileSync(join(installed, 'CHANGELOG.md'), 'utf8'), new RegExp(`## ${pkg.version}`));
  });

  test('slipway --version prints the version of package.json', async () => {
    const r = await slipway(tmp.path, '--version');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  test('the package resolves as a module: the CLI and the config guard for apps', async () => {
    const script = [
      "const { main } = await import('slipway');",
      "const { assertConfig } = await import('slipway/config/values/exec-check');",
      "let missing = '';",
      "try { assertConfig({ PORT: 'port' }, {}); } catch (e) { missing = e.message; }",
      'console.log(typeof main, JSON.stringify(missing));',
    ].join('\n');
    const r = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(prefix, 'lib'),
      env: cleanEnv(),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^function "1 config value problem/m);
  });

  test('validates the example slipway.yaml', async () => {
    const r = await slipway(join(repoRoot, 'examples', 'shop'), 'validate');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /slipway\.yaml is valid: app shop, lifecycle staging → production/);
  });

  test('`npx slipway init` in an app folder uses the installed slipway, not the registry', async () => {
    const app = join(tmp.path, 'my-app');
    await run('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), '{"name":"my-app","scripts":{"start":"node index.js"}}\n');
    // --offline: a fetch from the registry would fail, so success means the global bin ran.
    const r = await run('npx', ['--offline', 'slipway', 'init'], {
      cwd: app,
      env: { ...env, npm_config_prefix: prefix },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(app, 'slipway.yaml'), 'utf8'), /^app: my-app$/m);
    const check = await slipway(app, 'validate');
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });

  test('deploys the example shop: agent, release, deploy to staging, a request through the router', async () => {
    await run('mkdir', ['-p', project]);
    // The example's own file, with the staging watch shortened so the test stays short.
    const yaml = readFileSync(join(repoRoot, 'examples', 'shop', 'slipway.yaml'), 'utf8');
    assert.match(yaml, /watch: 2m/);
    writeFileSync(join(project, 'slipway.yaml'), yaml.replace('watch: 2m', 'watch: 1s'));

    const created = await slipway(
      project,
      'release',
      'create',
      '--version',
      '1.0.0',
      '--ci',
      'passed',
      join(repoRoot, 'examples', 'shop', 'app'),
    );
    assert.equal(created.code, 0, created.stderr);

    agent = spawn(join(prefix, 'bin', 'slipway'), ['agent'], { cwd: project, env, stdio: 'pipe' });
    await untilOutput(agent, /admin API on/);

    const deployed = await slipway(project, 'deploy', '1.0.0', '--env', 'staging');
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
    assert.match(deployed.stdout, /✓ shop 1\.0\.0 is live on staging/);

    const res = await fetch(`http://127.0.0.1:${routerPort(project, 'staging')}/api/products`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-shop-version'), '1.0.0');
    assert.match(await res.text(), /Anchor/);

    const status = await slipway(project, '--json', 'status');
    const live = JSON.parse(status.stdout) as { environments: { env: string; release: string | null }[] };
    assert.equal(live.environments.find((e) => e.env === 'staging')?.release, '1.0.0');
  });

  test('`slipway server` serves the dashboard prebuilt into the package (no Vite at run time)', async () => {
    const server = spawn(join(prefix, 'bin', 'slipway'), ['server', '--port', '0'], {
      cwd: project,
      env,
      stdio: 'pipe',
    });
    try {
      const out = await untilOutput(server, /API on (http:\/\/\S+) /, 'the server');
      const url = /API on (http:\/\/\S+) /.exec(out)?.[1];
      assert.doesNotMatch(out, /vite|building the dashboard/i);
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      const html = await page.text();
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(asset, `index.html names its script:\n${html}`);
      const script = await fetch(`${url}${asset}`);
      assert.equal(script.status, 200);
      assert.ok(
        existsSync(join(installed, 'dist', 'web', asset)),
        `${asset} comes from the package's dist/web`,
      );
    } finally {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
  });
});

/** The staging listener's port, from the agent's desired state. */
function routerPort(project: string, env: string): number {
  const state = JSON.parse(readFileSync(join(project, '.slipway', 'agent', 'agent-state.json'), 'utf8'));
  const port = state.envs?.[env]?.desired?.listen?.port;
  assert.ok(Number.isInteger(port) && port > 0, `no listener for ${env} in the agent's state`);
  return port;
}

/** Resolves with what `child` printed once it matches `pattern`. */
function untilOutput(child: ChildProcess, pattern: RegExp, what = 'the agent'): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} from ${what} within 60 s:\n${out}`)),
      60_000,
    );
    const seen = (c: Buffer) => {
      out += c;
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout?.on('data', seen);
    child.stderr?.on('data', seen);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}):\n${out}`));
    });
  });
}

/** The environments removed through the agent (their instances stop), the agent stopped, any leftover killed. */
async function stopEverything(project: string, agent: ChildProcess | undefined): Promise<void> {
  const stateFile = join(project, '.slipway', 'agent', 'agent-state.json');
  if (agent && agent.exitCode === null) {
    try {
      const { connectLocalAgent } = await import('../src/agent/client.ts');
      await connectLocalAgent(join(project, '.slipway', 'agent')).deleteEnv('staging');
    } catch {}
    const exited = new Promise((r) => agent.once('exit', r));
    agent.kill('SIGTERM');
    const timer = setTimeout(() => agent.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  if (!existsSync(stateFile)) return;
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
    envs?: Record<string, { instances?: { pid?: number }[] }>;
  };
  for (const e of Object.values(state.envs ?? {}))
    for (const i of e.instances ?? []) {
      try {
        // Only an instance of this project: a pid may have been reused since.
        if (i.pid && readlinkSync(`/proc/${i.pid}/cwd`).startsWith(project)) process.kill(i.pid, 'SIGKILL');
      } catch {}
    }
}
