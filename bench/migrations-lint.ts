/**
 * Migration lint speed and coverage (issue 16, benchmark a): statements per second on a
 * 5,000-statement migration set, slipway against squawk (the npm package squawk-cli, a Rust
 * binary shipped inside the registry package) on the same files in the same run, and what each
 * catches that the other misses on the lint corpus (src/migrations/lint/corpus, one finding set
 * per file). The set is the corpus's 75 migrations repeated until it holds 5,000 statements.
 * Both are timed as whole commands on the folder (process start included, best of RUNS), and
 * slipway also in-process (parser loaded once).
 *
 * Run: node_modules/.bin/node bench/migrations-lint.ts   (RUNS=3)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lintSql } from '../src/migrations/lint/lint.ts';
import { loadParser, parseSql } from '../src/migrations/parse.ts';

const runs = Number(process.env.RUNS ?? 3);
const root = new URL('..', import.meta.url).pathname;
const corpusDir = join(root, 'src/migrations/lint/corpus');
const squawk = join(root, 'node_modules/.bin/squawk');
const slipway = join(root, 'bin/slipway.js');

await loadParser();
const corpus = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .map((f) => ({ name: f, sql: readFileSync(join(corpusDir, f), 'utf8') }));
const count = (sql: string) => parseSql(sql).statements.length;

const dir = mkdtempSync(join(tmpdir(), 'slipway-lint-bench-'));
let statements = 0;
const files: { name: string; sql: string }[] = [];
for (let i = 0; statements < 5000; i++) {
  const c = corpus[i % corpus.length] as { name: string; sql: string };
  const name = `${String(i).padStart(5, '0')}_${c.name}`;
  writeFileSync(join(dir, name), c.sql);
  files.push({ name, sql: c.sql });
  statements += count(c.sql);
}

function best(fn: () => void): number {
  let b = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    fn();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}
const opts = { pgVersion: 17, runnerSetsLockTimeout: false };
const inProcess = best(() => {
  for (const f of files) lintSql(f.name, f.sql, opts);
});
const slipwayCli = best(() => {
  const r = spawnSync(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', slipway, '--json', 'migrations', 'lint', dir],
    { maxBuffer: 1 << 28 },
  );
  if (r.status !== 1) throw new Error(`slipway lint exited ${r.status}: ${r.stderr}`);
});
const squawkRun = spawnSync(squawk, ['--version'], { encoding: 'utf8' });
const haveSquawk = squawkRun.status === 0;
const squawkCli = haveSquawk
  ? best(() => {
      const r = spawnSync(squawk, ['--reporter', 'json', '--pg-version', '17', `${dir}/*.sql`], {
        maxBuffer: 1 << 28,
      });
      if (r.status !== 1) throw new Error(`squawk exited ${r.status}: ${r.stderr}`);
    })
  : Number.NaN;

const rate = (ms: number) => Math.round((statements / ms) * 1000).toLocaleString('en');
console.log(`${files.length} files, ${statements} statements (best of ${runs})\n`);
console.log('| linter | ms | statements/s |\n|---|---:|---:|');
console.log(`| slipway, in-process (parser loaded) | ${inProcess.toFixed(0)} | ${rate(inProcess)} |`);
console.log(`| slipway migrations lint (whole command) | ${slipwayCli.toFixed(0)} | ${rate(slipwayCli)} |`);
console.log(
  haveSquawk
    ? `| ${squawkRun.stdout.trim()} (whole command) | ${squawkCli.toFixed(0)} | ${rate(squawkCli)} |`
    : '| squawk | not installed | - |',
);
console.log(`\nslipway / squawk time, whole commands: ${(slipwayCli / squawkCli).toFixed(2)}×`);

// Coverage on the corpus: squawk's rules mapped onto slipway's where they mean the same hazard.
const SAME: Record<string, string> = {
  'adding-required-field': 'add-required-column',
  'adding-field-with-default': 'add-column-rewrite',
  'adding-serial-primary-key-field': 'add-unique-constraint',
  'ban-drop-column': 'drop-column',
  'ban-drop-table': 'drop-table',
  'renaming-column': 'rename-column',
  'renaming-table': 'rename-table',
  'changing-column-type': 'change-column-type',
  'adding-not-nullable-field': 'set-not-null',
  'require-concurrent-index-creation': 'create-index',
  'require-concurrent-index-deletion': 'drop-index',
  'ban-concurrent-index-creation-in-transaction': 'concurrently-in-transaction',
  'adding-foreign-key-constraint': 'add-foreign-key',
  'require-concurrent-reindex': 'reindex',
  'disallowed-unique-constraint': 'add-unique-constraint',
  'ban-truncate-cascade': 'truncate',
  'ban-drop-database': 'drop-database',
  'require-lock-timeout': 'require-lock-timeout',
};
const cdir = mkdtempSync(join(tmpdir(), 'slipway-lint-corpus-'));
for (const c of corpus) writeFileSync(join(cdir, c.name), c.sql);
const sq = haveSquawk
  ? (JSON.parse(
      spawnSync(squawk, ['--reporter', 'json', '--pg-version', '17', `${cdir}/*.sql`], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      }).stdout || '[]',
    ) as {
      file: string;
      rule_name: string;
    }[])
  : [];
const onlySlipway = new Map<string, string[]>();
const onlySquawk = new Map<string, string[]>();
const squawkStyle = new Map<string, number>();
let both = 0;
for (const c of corpus) {
  const ours = new Set(
    lintSql(c.name, c.sql, opts)
      .findings.filter((f) => !f.allowed)
      .map((f) => f.rule as string),
  );
  const theirs = sq.filter((x) => x.file.endsWith(`/${c.name}`)).map((x) => x.rule_name);
  const mapped = new Set(theirs.map((r) => SAME[r]).filter((r): r is string => !!r));
  for (const r of theirs)
    if (!SAME[r] && r !== 'constraint-missing-not-valid') squawkStyle.set(r, (squawkStyle.get(r) ?? 0) + 1);
  // constraint-missing-not-valid is squawk's one rule for checks, foreign keys and unique constraints.
  if (theirs.includes('constraint-missing-not-valid'))
    for (const r of ['add-check-constraint', 'add-foreign-key', 'add-unique-constraint'])
      if (ours.has(r)) mapped.add(r);
  for (const r of ours) {
    if (r === 'invalid-allow') continue;
    if (mapped.has(r)) both++;
    else onlySlipway.set(r, [...(onlySlipway.get(r) ?? []), c.name]);
  }
  for (const r of mapped) if (!ours.has(r)) onlySquawk.set(r, [...(onlySquawk.get(r) ?? []), c.name]);
}
console.log(`\ncorpus: ${corpus.length} files; findings both raise (same hazard): ${both}`);
console.log('\n| only slipway | files |\n|---|---|');
for (const [r, fs] of onlySlipway)
  console.log(`| ${r} | ${fs.length}: ${fs.slice(0, 3).join(', ')}${fs.length > 3 ? ' …' : ''} |`);
console.log('\n| only squawk (mapped rules) | files |\n|---|---|');
for (const [r, fs] of onlySquawk)
  console.log(`| ${r} | ${fs.length}: ${fs.slice(0, 3).join(', ')}${fs.length > 3 ? ' …' : ''} |`);
console.log('\n| squawk rules with no slipway counterpart (style and robustness) | findings |\n|---|---:|');
for (const [r, n] of [...squawkStyle].sort((a, b) => b[1] - a[1])) console.log(`| ${r} | ${n} |`);
rmSync(dir, { recursive: true, force: true });
rmSync(cdir, { recursive: true, force: true });
