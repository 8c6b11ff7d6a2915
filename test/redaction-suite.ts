/**
 * The body of the secrets redaction end-to-end test, run once per runtime
 * (test/redaction.e2e.test.ts: processes; test/redaction-container.e2e.test.ts: containers).
 *
 * Issue 7 end to end: known secret values are seeded through the CLI, deployments (a success, a
 * crash, a secret rotation, a rollback, a release holding a token, a production deployment with a
 * missing secret) run through the real executor, the real agent, real instances and the builtin
 * router. Each instance echoes its environment, which must be exactly its environment's config and
 * secrets. Then every output is searched for the secret values and their base64 forms: CLI stdout
 * and stderr, every event, audit row and deployment row of the store, and every file slipway
 * wrote under the project folder, the instances' log files included (the app prints its secrets on
 * purpose; they are redacted as written). Zero hits, in any encoding. A secret removed while an
 * instance still runs with it stays redacted; a re-set secret gets a new version, and a rollback
 * gets the old pinned value back.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../src/app/compose.ts';
import { lazyProjectSecrets } from '../src/app/secrets.ts';
import { startForTest as startDeployment } from '../src/app/testing.ts';
import type { EnvValues } from '../src/app/values.ts';
import type { Release } from '../src/domain/types.ts';
import type { Executor } from '../src/engine/executor.ts';
import { type Harness, startHarness } from '../src/engine/testing.ts';
import { storeArtifact } from '../src/releases/artifacts.ts';
import { digestOf } from '../src/releases/digest.ts';
import { secretForms } from '../src/secrets/redact.ts';
import { BuiltinRouter } from '../src/traffic/builtin/router.ts';
import { type CliResult, cli, cliWithStdin } from './cli-helpers.ts';

const S = {
  stagingStripe1: 'sk_live_e2eStaging1_Qw7Rt2Yx9Lm4',
  stagingStripe2: 'sk_live_e2eStaging2_Hb3Nc8Vd1Kp6',
  stagingWebhook: 'whsec_e2eStagingHook_Ty5Ui0Op',
  prodStripe: 'sk_live_e2eProduction_Zx2Cv7Bn4Mq1',
  prodWebhook: 'whsec_e2eProductionHook_As9Df3Gh',
  // A plain value named like a credential, from a .env file: kept out of the stored state too.
  stagingDbPassword: 'pw-e2eStagingDb-Rf6Tg2Yh8',
  prodDbPassword: 'pw-e2eProductionDb-Ws3Ed7Rf1',
  stagingStripe3: 'sk_live_e2eStaging3_Jm5Kl8Pq2Wz0',
};
// Plain, base64 (padded or not), base64url, URL-encoded, JSON-escaped and hex (both cases).
const forms = (v: string) => secretForms(v);

/** slipway.yaml, with the runtime's way to run the release (`command: …` or `image: …`) in `run`. */
const yamlWith = (runWith: string) => `app: shop
identity: { allowSlipwayUser: true } # development: these tests play several people
run: { ${runWith}, instances: 1, health: { interval: 200ms, timeout: 200ms, startTimeout: 15s }, stopTimeout: 2s }
config:
  require: { LOG_LEVEL: "enum(debug,info,warn)", DATABASE_URL: url, GREETING: string, STRIPE_KEY: secret, WEBHOOK_SECRET: secret }
  values: { LOG_LEVEL: info }
environments:
  staging:
    strategy: rolling
    config: { values: { DATABASE_URL: "postgres://db.staging.internal/shop", LOG_LEVEL: debug } }
  production:
    after: staging
    strategy: rolling
    config: { values: { DATABASE_URL: "postgres://db.prod.internal/shop" } }
secretScan:
  allow: [{ file: fixtures/test-key.pem, rule: private-key, reason: "a test fixture, not a real key" }]
`;

// The app prints its whole environment (secrets and their base64 too) at start, as careless apps do.
// In a container a secret is a file that NAME_FILE points to: the app reads it, as official images do.
const SERVER = `import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
const shell = new Set(['PATH', 'HOME', 'PORT', 'HOST', 'HOSTNAME', 'TERM', 'container', 'PWD', 'SHLVL', '_', 'OLDPWD']);
const own = {};
for (const [k, v] of Object.entries(process.env)) {
  if (shell.has(k)) continue;
  if (k.endsWith('_FILE') && v.startsWith('/run/secrets/')) own[k.slice(0, -5)] = readFileSync(v, 'utf8');
  else own[k] = v;
}
const key = Buffer.from(own.STRIPE_KEY ?? '');
console.log('starting with', JSON.stringify(own), key.toString('base64'), key.toString('hex'), encodeURIComponent(own.STRIPE_KEY ?? ''));
if (existsSync(new URL('./crash', import.meta.url))) {
  console.error('fatal: payment provider refused STRIPE_KEY=' + own.STRIPE_KEY);
  process.exit(3);
}
createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(req.url === '/env' ? JSON.stringify(own) : '{"ok":true}');
}).listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
`;
const PEM =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n';

/** What differs between the runtimes: how a release is made and run, and where its logs are kept. */
export interface RuntimeVariant {
  /** Skip reason when the runtime's services are missing (see serviceSkip). */
  readonly skip: string | false;
  /** Starts what the runtime needs before the agent does; resolves to slipway.yaml's way to run a release. */
  setup(): Promise<string>;
  /** Registers release `version` made of `files` (folder or image); CLI output goes through `run`. */
  release(
    h: Harness,
    version: string,
    files: Record<string, string>,
    run: (...argv: string[]) => Promise<CliResult>,
  ): Promise<Release>;
  /** The instances' log files slipway keeps, relative to the project folder. */
  readonly appLog: RegExp;
  /** Whether the release's files go through slipway's secret scan (a folder's do; an image's are not scanned). */
  readonly scansReleaseFiles: boolean;
  /** Where the runtime itself may show what an instance runs with (engine, image): each hit of `secrets`. */
  runtimeHits?(h: Harness, secrets: readonly string[]): Promise<string[]>;
  /** Stops what `setup` started; `h` is the closed harness (its folders are gone, its paths known). */
  teardown(h: Harness | undefined): Promise<void>;
}

export function redactionSuite(name: string, variant: RuntimeVariant): void {
  describe(name, { skip: variant.skip }, () => {
    let YAML = '';
    let h: Harness;
    let executor: Executor;
    let values: EnvValues | undefined;
    const outputs: CliResult[] = [];
    const agentLog: string[] = [];
    const run = async (...argv: string[]) => {
      const r = await cli(h.dir, ...argv);
      outputs.push(r);
      return r;
    };
    const setSecret = async (env: string, key: string, value: string) => {
      const r = await cliWithStdin(h.dir, `${value}\n`, 'secret', 'set', env, key);
      outputs.push(r);
      assert.equal(r.code, 0, r.stderr);
    };

    const release = (version: string, extra: Record<string, string> = {}): Promise<Release> =>
      variant.release(
        h,
        version,
        {
          'server.js': SERVER,
          'package.json': '{"type":"module"}',
          VERSION: version,
          'fixtures/test-key.pem': PEM,
          ...extra,
        },
        run,
      );

    const deploy = async (env: string, r: Release, rollback = false) => {
      const d = await startDeployment({
        store: h.store,
        agent: h.agent,
        executor,
        config: h.config(YAML),
        env,
        release: r,
        user: 'alice',
        dataDir: h.dataDir,
        projectDir: h.dir,
        now: Date.now(),
        rollback,
        ...(values && { values }),
      });
      return executor.run(d.id);
    };

    const seenEnv = async (env: string) => {
      const port = (await h.agent.status(env)).listen.port;
      return (await (await fetch(`http://127.0.0.1:${port}/env`)).json()) as Record<string, string>;
    };

    before(async () => {
      YAML = yamlWith(await variant.setup());
      delete process.env.SLIPWAY_SECRET_KEY;
      process.env.SLIPWAY_USER = 'alice';
      h = await startHarness(new BuiltinRouter(), { log: (line) => agentLog.push(line) });
      writeFileSync(join(h.dir, 'slipway.yaml'), YAML);
      writeFileSync(
        join(h.dir, '.env.staging'),
        `GREETING=hello-staging\nDB_PASSWORD=${S.stagingDbPassword}\n`,
      );
      writeFileSync(
        join(h.dir, '.env.production'),
        `GREETING=hello-production\nDB_PASSWORD=${S.prodDbPassword}\n`,
      );
      const app = createApp({
        store: h.store,
        agent: h.agent,
        config: h.config(YAML),
        projectDir: h.dir,
        dataDir: h.dataDir,
        secrets: lazyProjectSecrets(h.config(YAML), h.dir),
        intervalMs: 50,
      });
      executor = app.executor();
      values = app.values;
      assert.equal((await run('secret', 'init')).code, 0);
      await setSecret('staging', 'STRIPE_KEY', S.stagingStripe1);
      await setSecret('staging', 'WEBHOOK_SECRET', S.stagingWebhook);
      await setSecret('production', 'STRIPE_KEY', S.prodStripe);
    });
    after(async () => {
      await h?.close();
      await variant.teardown(h);
    });

    test('a staging instance sees exactly staging config and secrets', async () => {
      const done = await deploy('staging', await release('1.0.0'));
      assert.equal(done.status, 'succeeded', done.reason ?? '');
      assert.deepEqual(await seenEnv('staging'), {
        DATABASE_URL: 'postgres://db.staging.internal/shop',
        DB_PASSWORD: S.stagingDbPassword,
        GREETING: 'hello-staging',
        LOG_LEVEL: 'debug',
        STRIPE_KEY: S.stagingStripe1,
        WEBHOOK_SECRET: S.stagingWebhook,
      });
      const state = JSON.stringify(done.state);
      assert.match(
        state,
        /"secretPins":\{"STRIPE_KEY":1,"WEBHOOK_SECRET":1\},"sensitiveKeys":\["DB_PASSWORD"\]/,
      );
    });

    test('a release that crashes printing a secret fails; the stored reason is redacted', async () => {
      await release('2.0.0', { crash: 'yes' });
      // Through the CLI, so its progress view and outcome line are searched too.
      const r = await run('deploy', '2.0.0', '--env', 'staging');
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /redacted:STRIPE_KEY/);
      const done = (await h.store.listDeployments({ app: 'shop', env: 'staging', limit: 1 }))[0]!;
      assert.equal(done.status, 'failed');
      assert.match(done.reason ?? '', /refused STRIPE_KEY=\[redacted:STRIPE_KEY/);
      if (process.env.SLIPWAY_E2E_VERBOSE) console.log(done.reason);
      assert.equal(
        (await seenEnv('staging')).STRIPE_KEY,
        S.stagingStripe1,
        'the stable release keeps serving',
      );
    });

    test('a rotated secret reaches the next release; a rollback restores the pinned version', async () => {
      await setSecret('staging', 'STRIPE_KEY', S.stagingStripe2);
      const v1 = await h.store.findRelease('shop', '1.0.0');
      assert.equal((await deploy('staging', await release('3.0.0'))).status, 'succeeded');
      assert.equal((await seenEnv('staging')).STRIPE_KEY, S.stagingStripe2);
      const back = await run('rollback', 'staging', '--to', (v1 as Release).version);
      assert.equal(back.code, 0, back.stdout + back.stderr);
      assert.match(back.stdout, /redeploying it/);
      assert.equal((await seenEnv('staging')).STRIPE_KEY, S.stagingStripe1, 'the version 1.0.0 shipped with');
    });

    test('a removed secret stays redacted while instances run with it; re-set, it gets a new version; a rollback gets the old value', async () => {
      // staging runs 1.0.0, pinned to STRIPE_KEY@1; 3.0.0 ran with STRIPE_KEY@2.
      const rm = await run('secret', 'rm', 'staging', 'STRIPE_KEY');
      assert.equal(rm.code, 0, rm.stderr);
      const logs = await run('logs', 'staging', '--lines', '1000');
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /starting with .*\[redacted:STRIPE_KEY/);
      for (const form of [...forms(S.stagingStripe1), ...forms(S.stagingStripe2)])
        assert.ok(!logs.stdout.includes(form), `slipway logs printed a removed secret as ${form}`);
      await setSecret('staging', 'STRIPE_KEY', S.stagingStripe3);
      const list = await run('secret', 'list', 'staging', '--json');
      const listed = (JSON.parse(list.stdout) as { key: string; latest: number }[]).find(
        (k) => k.key === 'STRIPE_KEY',
      );
      assert.ok((listed?.latest ?? 0) > 2, `a re-set secret reuses no version: ${list.stdout}`);
      const back = await run('rollback', 'staging', '--to', '3.0.0');
      assert.equal(back.code, 0, back.stdout + back.stderr);
      assert.equal((await seenEnv('staging')).STRIPE_KEY, S.stagingStripe2, 'the value 3.0.0 was pinned to');
      // And back to 1.0.0, pinned to STRIPE_KEY@1: removed since, still its exact value.
      const first = await run('rollback', 'staging', '--to', '1.0.0');
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.equal((await seenEnv('staging')).STRIPE_KEY, S.stagingStripe1);
    });

    const scanned = variant.scansReleaseFiles ? test : () => undefined;
    scanned(
      'a release holding a live-looking token is refused before anything starts, naming file and line',
      async () => {
        const token = `ghp_${'a1B2c3D4e5'.repeat(4)}`;
        const done = await deploy(
          'staging',
          await release('4.0.0', { 'src/config.js': `export const token = '${token}';\n` }),
        );
        assert.equal(done.status, 'failed');
        assert.match(done.reason ?? '', /secret scan: src\/config\.js:1 {2}github-token/);
        assert.ok(!(done.reason ?? '').includes(token), 'the token is masked');
        assert.deepEqual(
          (await h.agent.status('staging')).releases.map((r) => r.release),
          [(await h.store.findRelease('shop', '1.0.0'))?.id],
        );
      },
    );

    test('production stops at preflight while a secret is missing, then sees exactly its own config', async () => {
      const v1 = (await h.store.findRelease('shop', '1.0.0')) as Release;
      const refused = await deploy('production', v1);
      assert.equal(refused.status, 'failed');
      assert.match(refused.reason ?? '', /preflight: config: .*WEBHOOK_SECRET/);
      assert.equal(await h.agent.desired('production'), undefined, 'nothing started');
      await setSecret('production', 'WEBHOOK_SECRET', S.prodWebhook);
      const done = await deploy('production', v1);
      assert.equal(done.status, 'succeeded', done.reason ?? '');
      assert.deepEqual(await seenEnv('production'), {
        DATABASE_URL: 'postgres://db.prod.internal/shop',
        DB_PASSWORD: S.prodDbPassword,
        GREETING: 'hello-production',
        LOG_LEVEL: 'info',
        STRIPE_KEY: S.prodStripe,
        WEBHOOK_SECRET: S.prodWebhook,
      });
    });

    test('slipway logs shows the instances output with every secret redacted', async () => {
      const logs = await run('logs', 'staging');
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /starting with .*\[redacted:STRIPE_KEY(@\d+)?\]/);
      const one = await run('logs', 'staging', '--release', '1.0.0', '--lines', '5');
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout, /\[redacted:STRIPE_KEY(@\d+)?\]/);
      if (process.env.SLIPWAY_E2E_VERBOSE) console.log(logs.stdout);
      assert.equal((await run('logs', 'production')).code, 0);
      for (const argv of [
        ['config', 'show', 'staging', '--explain'],
        ['config', 'check', 'production'],
        ['config', 'diff', 'staging', 'production'],
        ['secret', 'list'],
      ])
        await run(...argv);
    });

    if (variant.runtimeHits)
      test('the runtime shows no secret value where engine users look', async () => {
        const hits = await variant.runtimeHits?.(h, Object.values(S).flatMap(forms));
        assert.deepEqual(hits, []);
      });

    test('no secret value or its base64 appears in any output, event, audit row, deployment or file slipway wrote', async () => {
      const secrets = Object.values(S).flatMap(forms);
      const hits: string[] = [];
      const search = (where: string, text: string) => {
        for (const s of secrets) if (text.includes(s)) hits.push(`${where}: ${s.slice(0, 12)}…`);
      };
      for (const [i, o] of outputs.entries()) search(`cli output ${i}`, o.stdout + o.stderr);
      search('events', JSON.stringify(await h.store.listEvents(undefined, 0, 100_000)));
      search('audit', JSON.stringify(await h.store.listAudit(0, 100_000)));
      search('deployments', JSON.stringify(await h.store.listDeployments({ limit: 1000 })));
      search('agent log', agentLog.join('\n'));
      // The agent's admin API, as the server and the CLI read it.
      const envs = await h.agent.statusAll();
      search('agent API status', JSON.stringify(envs));
      for (const env of envs) {
        search(`agent API desired ${env.env}`, JSON.stringify(await h.agent.desired(env.env)));
        for (const r of env.releases)
          search(
            `agent API logs ${env.env} ${r.release}`,
            (await h.agent.logs(env.env, r.release, 1000)).join('\n'),
          );
      }
      const appLogs: string[] = [];
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          const rel = relative(h.dir, path);
          if (statSync(path).isDirectory()) {
            if (rel !== 'builds') walk(path); // release sources the test wrote
          } else if (variant.appLog.test(rel)) {
            appLogs.push(readFileSync(path, 'latin1'));
            search(rel, readFileSync(path, 'latin1'));
          } else if (['slipway.yaml', '.env.staging', '.env.production'].includes(rel))
            continue; // the user's files
          else search(rel, readFileSync(path, 'latin1'));
        }
      };
      walk(h.dir);
      assert.deepEqual(hits, []);
      // The app did print them: where each value was, its log files hold the redaction mark.
      assert.ok(appLogs.some((text) => /starting with .*\[redacted:STRIPE_KEY\]/.test(text)));
      assert.ok(appLogs.length >= 3, `instance log files found: ${appLogs.length}`);
    });
  });
}

/** Registers `files` as a release of files, the way `slipway release create PATH` stores one. */
export async function folderRelease(
  h: Harness,
  version: string,
  files: Record<string, string>,
): Promise<Release> {
  const src = join(h.dir, 'builds', version);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(src, name, '..'), { recursive: true });
    writeFileSync(join(src, name), text);
  }
  const d = await digestOf(src);
  const { release: r } = await h.store.putRelease({
    app: 'shop',
    version,
    digest: d.digest,
    commit: null,
    ci: 'passed',
    createdBy: 'test',
    files: d.files,
    bytes: d.bytes,
    notes: null,
  });
  await storeArtifact(h.dataDir, r.digest, src);
  return r;
}
