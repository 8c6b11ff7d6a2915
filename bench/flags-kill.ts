/**
 * Issue 18 · b: the kill switch. A `slipway server` process with a flag at 100%, 50 OpenFeature
 * providers (SlipwayProvider, each with its own change stream) in this process; then 20 times:
 * `slipway flags kill` through SLIPWAY_URL (the CLI's command, run in this process), and the time
 * until every one of the 50 providers returns the off variant; then the flag is rolled back to 100%
 * and every provider is seen on again. Goal: p99 ≤ 1 s.
 *
 *   node_modules/.bin/node bench/flags-kill.ts         (PROVIDERS=50 KILLS=20 VIA=api by default)
 */
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../src/cli/main.ts';
import { SlipwayProvider } from '../src/flags/provider.ts';
import { repoRoot, tempDir } from '../src/testing.ts';

const PROVIDERS = Number(process.env.PROVIDERS ?? 50);
const KILLS = Number(process.env.KILLS ?? 20);
/** `api`: the CLI through SLIPWAY_URL (the server announces at once); `store`: the CLI on the store
 *  directly, as on the server's machine (the server finds the change at its next revision poll). */
const VIA = process.env.VIA === 'store' ? 'store' : 'api';
const dir = tempDir('slipway-bench-flags-');
copyFileSync(join(repoRoot, 'examples/shop/slipway.yaml'), join(dir.path, 'slipway.yaml'));
const server = spawn(
  process.execPath,
  [
    '--disable-warning=ExperimentalWarning',
    join(repoRoot, 'bin/slipway.js'),
    'server',
    '--init',
    '--port',
    '0',
  ],
  { cwd: dir.path, env: { ...process.env, SLIPWAY_URL: '', SLIPWAY_TOKEN: '' } },
);
let output = '';
const { url, token } = await new Promise<{ url: string; token: string }>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 60_000);
  server.stdout.on('data', (c) => {
    output += c;
    const m = /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (m) {
      clearTimeout(timer);
      resolve({ url: m[1] as string, token: /^(slw_\S+)$/m.exec(output)?.[1] as string });
    }
  });
  server.stderr.on('data', (c) => (output += c));
  server.once('exit', (code) => reject(new Error(`server exited ${code}: ${output}`)));
});

async function slipway(...argv: string[]): Promise<void> {
  process.env.SLIPWAY_URL = VIA === 'api' ? url : '';
  process.env.SLIPWAY_TOKEN = VIA === 'api' ? token : '';
  const out = new PassThrough();
  let text = '';
  out.on('data', (c) => (text += c));
  const code = await main(argv, { cwd: dir.path, streams: { stdout: out, stderr: out } });
  if (code !== 0) throw new Error(`slipway ${argv.join(' ')}: exit ${code}: ${text}`);
}

const providers: SlipwayProvider[] = [];
try {
  const flag = {
    state: 'ENABLED',
    variants: { on: true, off: false },
    defaultVariant: 'off',
    targeting: {
      fractional: [
        ['on', 100],
        ['off', 0],
      ],
    },
  };
  await slipway(
    'flags',
    'set',
    'new-checkout',
    '--env',
    'production',
    '--reason',
    'bench',
    '--definition',
    JSON.stringify(flag),
  );
  for (let i = 0; i < PROVIDERS; i++) {
    const p = new SlipwayProvider({ url, token, env: 'production' });
    providers.push(p);
  }
  await Promise.all(providers.map((p) => p.initialize()));
  const value = async (p: SlipwayProvider) =>
    (await p.resolveBooleanEvaluation('new-checkout', true, { targetingKey: 'user-17' })).value;

  /** Resolves with the ms from `start` until every provider returns `want` (checked every 1 ms). */
  const allAt = (want: boolean, start: number) =>
    new Promise<number>((resolve, reject) => {
      const pending = new Set(providers);
      const give = setTimeout(
        () => reject(new Error(`not every provider reached ${want} within 30 s`)),
        30_000,
      );
      const tick = async () => {
        for (const p of [...pending]) if ((await value(p)) === want) pending.delete(p);
        if (pending.size === 0) {
          clearTimeout(give);
          resolve(performance.now() - start);
        } else setTimeout(tick, 1);
      };
      void tick();
    });

  await allAt(true, performance.now());
  const times: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    const start = performance.now();
    const done = allAt(false, start);
    await slipway('flags', 'kill', 'new-checkout', '--env', 'production', '--reason', `bench kill ${k + 1}`);
    times.push(await done);
    await slipway(
      'flags',
      'rollout',
      'new-checkout',
      '--env',
      'production',
      '--percent',
      '100',
      '--reason',
      'bench back on',
    );
    await allAt(true, performance.now());
  }
  const sorted = [...times].sort((a, b) => a - b);
  const q = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  console.log(
    `via ${VIA}, providers: ${PROVIDERS}, kills: ${KILLS}; ms from \`slipway flags kill\` to every provider returning the off variant`,
  );
  console.log('| p50 | p90 | p99 | max | goal p99 ≤ 1000 ms |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| ${q(50).toFixed(0)} | ${q(90).toFixed(0)} | ${q(99).toFixed(0)} | ${sorted.at(-1)?.toFixed(0)} | ${q(99) <= 1000 ? 'met' : 'NOT met'} |`,
  );
} finally {
  await Promise.all(providers.map((p) => p.onClose()));
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  dir.cleanup();
}
