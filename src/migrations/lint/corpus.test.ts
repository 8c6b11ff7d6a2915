/**
 * The lint corpus: real-looking migrations, unsafe and tricky-safe, each with the rules it must
 * raise (`-- expect:`) and why, reasoned from PostgreSQL's documentation of the lock each
 * statement takes (`-- why:`). `-- pg: N` judges for that version; `-- runner: tool` lints it as
 * run by a migration tool that sets no lock_timeout.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadParser } from '../parse.ts';
import { lintSql, openFindings } from './lint.ts';

const dir = join(import.meta.dirname, 'corpus');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.sql'))
  .sort();
const header = (sql: string, key: string) =>
  sql
    .split('\n')
    .find((l) => l.startsWith(`-- ${key}:`))
    ?.slice(`-- ${key}:`.length)
    .trim();

test('the corpus has at least 60 migrations, each with an expectation and its reason', () => {
  assert.ok(files.length >= 60, `${files.length} files`);
  for (const f of files) {
    const sql = readFileSync(join(dir, f), 'utf8');
    assert.ok(header(sql, 'expect'), `${f} has -- expect:`);
    assert.ok((header(sql, 'why') ?? '').length > 20, `${f} says why`);
  }
});

for (const f of files) {
  test(`corpus ${f}`, async () => {
    await loadParser();
    const sql = readFileSync(join(dir, f), 'utf8');
    const expect = header(sql, 'expect') as string;
    const want = expect === 'none' ? [] : expect.split(/\s+/).sort();
    const result = lintSql(f, sql, {
      pgVersion: Number(header(sql, 'pg') ?? 17),
      runnerSetsLockTimeout: header(sql, 'runner') !== 'tool',
    });
    assert.equal(result.parseError, undefined, `${f} parses`);
    const got = openFindings(result)
      .map((x) => x.rule)
      .sort();
    assert.deepEqual(got, want, `${f}: ${header(sql, 'why')}`);
  });
}
