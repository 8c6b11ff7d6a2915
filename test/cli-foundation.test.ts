/**
 * The foundation commands end to end through the CLI: validate, schema, init, release create,
 * releases, status — their output, exit codes and refusals.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tar from 'tar';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const example = join(repoRoot, 'examples/shop/slipway.yaml');

describe('slipway validate', () => {
  test('accepts the bundled example and shows the lifecycle', async () => {
    const r = await cli(repoRoot, 'validate', '-f', example);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /is valid: app shop, lifecycle staging → production/);
    assert.match(r.stdout, /production: canary; after staging, 1 approval\(s\), deploy windows/);
  });

  test('lists every problem with file:line:column and exits 1', async () => {
    const dir = tempDir();
    try {
      writeFileSync(
        join(dir.path, 'slipway.yaml'),
        'app: shop\nrun: { command: x, instances: two }\nenvironments:\n  prod: { after: stagin, strategy: canery }\n',
      );
      const r = await cli(dir.path, 'validate');
      assert.equal(r.code, 1);
      assert.deepEqual(r.stderr.trim().split('\n'), [
        'slipway.yaml:2:31: run.instances: expected a whole number of instances, found "two"',
        'slipway.yaml:4:18: environments.prod.after: unknown environment "stagin" (environments: prod)',
        'slipway.yaml:4:36: environments.prod.strategy: expected rolling, blue-green or canary, found "canery"; did you mean "canary"?',
        'slipway.yaml: 3 problem(s); nothing was changed',
      ]);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace for a user mistake');
      const json = await cli(dir.path, 'validate', '--json');
      assert.equal(json.code, 1);
      const parsed = JSON.parse(json.stdout);
      assert.equal(parsed.valid, false);
      assert.deepEqual(parsed.problems[0], {
        file: 'slipway.yaml',
        line: 2,
        column: 31,
        path: 'run.instances',
        message: 'expected a whole number of instances, found "two"',
      });
    } finally {
      dir.cleanup();
    }
  });

  test('usage errors exit 2 and name the fix', async () => {
    const missing = await cli(repoRoot, 'validate', '-f', 'no-such.yaml');
    assert.equal(missing.code, 2);
    assert.equal(
      missing.stderr,
      'error[FILE_NOT_FOUND]: no-such.yaml does not exist; pass the config with -f FILE, or run `slipway init` to write one\n',
    );
    const env = await cli(repoRoot, 'validate', '-f', example, '--env', 'prod');
    assert.equal(env.code, 2);
    assert.match(env.stderr, /no environment "prod" in .*; did you mean "production"\?/);
    const flag = await cli(repoRoot, 'validate', '--bogus');
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--bogus'/);
    const command = await cli(repoRoot, 'deplo');
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command 'deplo'/);
  });
});

describe('slipway schema', () => {
  test('prints a JSON Schema that describes the config keys', async () => {
    const r = await cli(repoRoot, 'schema');
    assert.equal(r.code, 0);
    const schema = JSON.parse(r.stdout);
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(schema.required, ['app', 'run', 'environments']);
    assert.ok(schema.properties.environments.additionalProperties.properties.strategy);
    assert.equal(schema.additionalProperties, false, 'unknown keys are flagged by editors too');
  });

  test('the committed slipway.schema.json is what `slipway schema` prints', async () => {
    const r = await cli(repoRoot, 'schema');
    assert.equal(
      readFileSync(join(repoRoot, 'slipway.schema.json'), 'utf8'),
      r.stdout,
      'run `npm run docs` to refresh it',
    );
  });
});

describe('slipway init', () => {
  test("writes a config that validates, using the app's start script", async () => {
    const dir = tempDir();
    try {
      writeFileSync(
        join(dir.path, 'package.json'),
        JSON.stringify({ name: '@acme/Web-Store', scripts: { start: 'node dist/main.js' } }),
      );
      const r = await cli(dir.path, 'init');
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /wrote slipway.yaml for app web-store: runs `node dist\/main.js` \(the start script of package.json\)/,
      );
      const text = readFileSync(join(dir.path, 'slipway.yaml'), 'utf8');
      assert.match(text, /command: "node dist\/main.js"/);
      const check = await cli(dir.path, 'validate');
      assert.equal(check.code, 0, check.stderr);
      const again = await cli(dir.path, 'init');
      assert.equal(again.code, 3);
      assert.match(again.stderr, /slipway.yaml already exists; keep it, or run `slipway init --force`/);
      assert.equal((await cli(dir.path, 'init', '--force')).code, 0);
    } finally {
      dir.cleanup();
    }
  });
});

describe('slipway release create / releases / status', () => {
  const dir = tempDir();
  const build = join(dir.path, 'build');
  before(() => {
    cpSync(example, join(dir.path, 'slipway.yaml'));
    mkdirSync(join(build, 'lib'), { recursive: true });
    writeFileSync(join(build, 'server.js'), 'console.log("v1")\n');
    writeFileSync(join(build, 'lib', 'util.js'), 'export const x = 1;\n');
    writeFileSync(join(build, 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(build, 'run.sh'), 0o755);
  });
  after(() => dir.cleanup());

  test('the same content gives the same digest from a folder and from an archive', async () => {
    const a = await cli(
      dir.path,
      '--json',
      'release',
      'create',
      '--version',
      '1.0.0',
      '--commit',
      'abc123',
      '--ci',
      'passed',
      'build',
    );
    assert.equal(a.code, 0, a.stderr);
    const first = JSON.parse(a.stdout);
    assert.equal(first.created, true);
    assert.match(first.release.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(first.release.files, 3);
    await tar.c({ gzip: true, file: join(dir.path, 'build.tgz'), cwd: build }, ['.']);
    const b = await cli(
      dir.path,
      '--json',
      'release',
      'create',
      '--version',
      '1.0.0',
      '--commit',
      'abc123',
      '--ci',
      'passed',
      'build.tgz',
    );
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(JSON.parse(b.stdout), { created: false, release: first.release });
  });

  test('a known version with other content is refused; a new version is accepted', async () => {
    writeFileSync(join(build, 'server.js'), 'console.log("v2")\n');
    const r = await cli(dir.path, 'release', 'create', '--version', '1.0.0', 'build');
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      /^error\[RELEASE_CONFLICT\]: release shop 1.0.0 is already registered differently; releases are immutable: give this build a new version\n {2}content: digest sha256:[0-9a-f]+ registered, sha256:[0-9a-f]+ now\n {2}CI result: passed registered, unknown now\n {2}commit: "abc123" registered, \(none\) now\n$/,
    );
    const ok = await cli(dir.path, 'release', 'create', '--version', '1.1.0', 'build');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /^registered shop 1.1.0 {2}sha256:[0-9a-f]{12} {2}3 files, \d+ bytes, CI unknown\n$/,
    );
  });

  test('bad release input is a usage error naming the value', async () => {
    const missing = await cli(dir.path, 'release', 'create', '--version', '2', 'nope');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope does not exist; give the folder or .tar.gz archive of the build/);
    const ci = await cli(dir.path, 'release', 'create', '--version', '2', '--ci', 'green', 'build');
    assert.equal(ci.code, 2);
    assert.match(ci.stderr, /Allowed choices are passed, failed, unknown/);
    const noVersion = await cli(dir.path, 'release', 'create', 'build');
    assert.equal(noVersion.code, 2);
    assert.match(noVersion.stderr, /required option '--version <version>' not specified/);
  });

  test('releases lists them newest first; status shows empty environments', async () => {
    const list = await cli(dir.path, 'releases');
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^VERSION\s+DIGEST\s+CI\s+COMMIT\s+CREATED\s+BY$/);
    assert.deepEqual(
      lines
        .slice(1)
        .map((l) => l.split(/\s+/)[0])
        .sort(),
      ['1.0.0', '1.1.0'],
    );
    const status = await cli(dir.path, 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^shop: staging → production\n/);
    assert.match(status.stdout, /staging\s+\(nothing deployed\)/);
    const json = JSON.parse((await cli(dir.path, '--json', 'status')).stdout);
    assert.deepEqual(
      json.environments.map((e: { env: string; release: null }) => [e.env, e.release]),
      [
        ['staging', null],
        ['production', null],
      ],
    );
  });

  test('the release content is kept immutable under .slipway/releases', async () => {
    const r = JSON.parse((await cli(dir.path, '--json', 'releases')).stdout) as {
      version: string;
      digest: string;
    }[];
    const v1 = r.find((x) => x.version === '1.0.0');
    assert.ok(v1);
    const kept = join(dir.path, '.slipway', 'releases', v1.digest.replace(':', '-'), 'server.js');
    assert.equal(readFileSync(kept, 'utf8'), 'console.log("v1")\n');
  });
});

test('the bin launcher runs the CLI (re-running itself under Node 24 when started by an older Node)', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/slipway.js'), '--version'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '0.1.0');
  for (const systemNode of ['/usr/bin/node', '/usr/local/bin/node']) {
    const version = spawnSync(systemNode, ['--version'], { encoding: 'utf8' });
    if (version.status !== 0) continue;
    const old = spawnSync(systemNode, [join(repoRoot, 'bin/slipway.js'), 'validate', '-f', example], {
      encoding: 'utf8',
    });
    assert.equal(old.status, 0, old.stderr);
    assert.match(old.stdout, /is valid/);
  }
});

describe('slipway status and public addresses', () => {
  const dir = tempDir('slipway-status-url-');
  after(() => dir.cleanup());

  test("status prints each environment's public address (url:) where one is set", async () => {
    const yaml = readFileSync(example, 'utf8').replace(
      /^( {2}staging:\n)/m,
      '$1    url: https://staging.shop.example/\n',
    );
    assert.notEqual(yaml, readFileSync(example, 'utf8'), 'the example has a staging block to add url to');
    writeFileSync(join(dir.path, 'slipway.yaml'), yaml);
    const status = await cli(dir.path, 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^staging → https:\/\/staging\.shop\.example\/$/m);
    assert.doesNotMatch(status.stdout, /^production → /m);
    const json = JSON.parse((await cli(dir.path, '--json', 'status')).stdout);
    assert.deepEqual(
      json.environments.map((e: { env: string; url: string | null }) => [e.env, e.url]),
      [
        ['staging', 'https://staging.shop.example/'],
        ['production', null],
      ],
    );
  });
});
