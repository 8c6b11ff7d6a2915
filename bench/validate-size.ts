/**
 * `slipway validate` on generated 1, 5 and 10 MB configs (issue 13, benchmark a): goal linear and
 * at most 1 s per MB. Each config is a chain of environments (each `after` the one before, with a
 * canary, windows, smoke checks, rollback triggers and config values), so every rule runs over
 * thousands of environments and keys. Measured in the same run, as the peer: the `yaml` library's
 * plain parse of the same text (`parse`, with its default duplicate-key check and without it).
 * Times are this process's CPU time (wall time in brackets): on a shared machine the wall time
 * mostly measures the other processes. The last column of the table, the whole `slipway validate`
 * command, adds process start (loading and type-stripping every module) to the validation.
 *
 * Run: node_modules/.bin/node bench/validate-size.ts [sizes in MB, default 1 5 10] (RUNS=3: best of)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfigFile } from '../src/config/load.ts';

const args = process.argv.slice(2).map(Number);
const sizes = args.length > 0 ? args : [1, 5, 10];
const runs = Number(process.env.RUNS ?? 3);
const MB = 1024 * 1024;

function environment(i: number): string {
  const name = `env-${String(i).padStart(6, '0')}`;
  const after = i > 0 ? `\n    after: env-${String(i - 1).padStart(6, '0')}` : '';
  const values = Array.from({ length: 8 }, (_, k) => `        KEY_${k}: value-${i}-${k}`).join('\n');
  return `  ${name}:${after}
    strategy:
      canary:
        stickiness: header:x-user-id
        steps:
          - { weight: 5, pause: 1h30m }
          - { weight: 25, analysis: default }
          - { weight: 100 }
    windows:
      allow: ["Mon-Wed 10:00-14:00 Europe/Berlin", "Thu 09:00-12:00 Europe/Berlin"]
      freeze: ["2026-12-20/2027-01-02"]
      holidays: ["2027-05-01"]
    rollbackIf:
      errorRate: { above: 5%, within: 10m }
      latency: { p95AboveBaseline: 2x, for: 5m }
    smoke:
      - { get: /health }
      - { get: /api/products, expect: "<500" }
    config:
      values:
${values}
      mustMatch: [GREETING]
    watch: 30m
`;
}

function generate(bytes: number): string {
  const head = `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 2s, timeout: 1s, startTimeout: 30s }
config:
  require: { GREETING: string }
  values: { GREETING: hello }
users: { alice: [deployer, approver], bob: [approver] }
environments:
`;
  const parts = [head];
  let size = head.length;
  for (let i = 0; size < bytes; i++) {
    const env = environment(i);
    parts.push(env);
    size += env.length;
  }
  return parts.join('');
}

/** Best of `runs`: wall time and this process's CPU time (user + system), in ms. */
function best(fn: () => void): { wall: number; cpu: number } {
  let wall = Number.POSITIVE_INFINITY;
  let cpu = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall = Math.min(wall, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

const dir = mkdtempSync(join(tmpdir(), 'slipway-validate-bench-'));
const rows: string[][] = [];
const perMb: number[] = [];
try {
  for (const size of sizes) {
    const text = generate(size * MB);
    const file = join(dir, `slipway-${size}mb.yaml`);
    writeFileSync(file, text);
    const mb = Buffer.byteLength(text) / MB;
    const check = loadConfigFile(file);
    if (!check.ok)
      throw new Error(`the generated config is invalid: ${JSON.stringify(check.problems.slice(0, 3))}`);
    const validate = best(() => loadConfigFile(file));
    const peerPlain = best(() => parse(text, { uniqueKeys: false }));
    const peerDefault = best(() => parse(text));
    // The whole command as a user runs it: process start, read, validate, print.
    const cli = best(() => {
      const r = spawnSync(
        process.execPath,
        [
          '--disable-warning=ExperimentalWarning',
          join(import.meta.dirname, '../bin/slipway.js'),
          'validate',
          '-f',
          file,
        ],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`validate exited ${r.status}: ${r.stderr}`);
    });
    perMb.push(validate.cpu / mb);
    rows.push([
      `${mb.toFixed(1)} MB`,
      String(Object.keys(check.config.environments).length),
      `${validate.cpu.toFixed(0)} ms (${validate.wall.toFixed(0)})`,
      `${(validate.cpu / mb).toFixed(0)} ms/MB`,
      `${cli.wall.toFixed(0)} ms`,
      `${peerPlain.cpu.toFixed(0)} ms (${peerPlain.wall.toFixed(0)})`,
      `${(validate.cpu / peerPlain.cpu).toFixed(2)}x`,
      `${peerDefault.cpu.toFixed(0)} ms (${peerDefault.wall.toFixed(0)})`,
    ]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const header = [
  'size',
  'environments',
  'validate: CPU (wall)',
  'CPU per MB',
  'slipway validate process: wall',
  'yaml parse, no dup check: CPU (wall)',
  'validate / parse (CPU)',
  'yaml parse, default: CPU (wall)',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
for (const row of [header, ...rows]) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
const worst = Math.max(...perMb);
// Linear: the cost per MB of the largest file is within 1.5x of the smallest one's.
const linear = (perMb.at(-1) ?? 0) <= (perMb[0] ?? 0) * 1.5;
console.log(
  `\ngoal ≤ 1000 ms per MB (CPU): worst ${worst.toFixed(0)} ms/MB — ${worst <= 1000 ? 'met' : 'NOT met'}`,
);
console.log(
  `goal linear: ${(perMb[0] ?? 0).toFixed(0)} ms/MB at ${sizes[0]} MB, ${(perMb.at(-1) ?? 0).toFixed(0)} ms/MB at ${sizes.at(-1)} MB — ${linear ? 'met' : 'NOT met'}`,
);
