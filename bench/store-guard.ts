/**
 * What guarding the store costs: an audit append with and without the guard (which moves the
 * audit anchor after each append), opening a store of 50,000 audit entries when it is unchanged
 * vs changed outside slipway (PRAGMA quick_check), and an online backup of it. SQLite, in a temp
 * folder, removed afterwards. Goal: a guarded append costs at most 1.2× a plain one.
 *
 * node_modules/.bin/node --disable-warning=ExperimentalWarning bench/store-guard.ts
 */
import { mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/factory.ts';
import type { SqlStore } from '../src/store/sql/sql-store.ts';
import { backupSqlite } from '../src/store/sqlite/backup.ts';
import { sqliteHandle } from '../src/store/sqlite/store.ts';

const APPENDS = 200;
const ENTRIES = 50_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function appendCost(guarded: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-guard-'));
  try {
    const data = join(dir, '.slipway');
    const store = await openStore(join(data, 'slipway.db'), dir, guarded ? { dataDir: data } : {});
    const times: number[] = [];
    for (let i = 0; i < APPENDS; i++) {
      const t = performance.now();
      await store.appendAudit({ actor: 'bench', action: 'bench', target: 't', data: { i } });
      times.push(performance.now() - t);
    }
    await store.close();
    return median(times);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const plain = await appendCost(false);
const guarded = await appendCost(true);

const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-guard-'));
try {
  const data = join(dir, '.slipway');
  const file = join(data, 'slipway.db');
  const store = await openStore(file, dir, { dataDir: data });
  // Rows of the size a real entry has, in one transaction: the figures below read pages, not hashes.
  await (store as SqlStore).db.transaction().execute(async (trx) => {
    for (let i = 1; i <= ENTRIES; i += 500) {
      const rows = Array.from({ length: Math.min(500, ENTRIES - i + 1) }, (_, j) => ({
        seq: 1_000_000 + i + j,
        at: new Date().toISOString(),
        actor: 'bench',
        action: 'deployment.step',
        target: `dep-${i + j}`,
        data: JSON.stringify({ step: i + j, weight: 25, note: 'canary step finished' }),
        prev_hash: `sha256:${'0'.repeat(64)}`,
        hash: `sha256:${'1'.repeat(64)}`,
      }));
      await trx.insertInto('audit').values(rows).execute();
    }
  });
  const backupStart = performance.now();
  await backupSqlite(
    sqliteHandle(store) as NonNullable<ReturnType<typeof sqliteHandle>>,
    join(dir, 'copy.db'),
  );
  const backupMs = performance.now() - backupStart;
  await store.close();
  const open = async () => {
    const t = performance.now();
    const s = await openStore(file, dir, { dataDir: data });
    const ms = performance.now() - t;
    await s.close();
    return ms;
  };
  const unchanged = await open();
  const st = statSync(file);
  utimesSync(file, st.atime, new Date(st.mtimeMs + 1000));
  const changed = await open();
  const ratio = guarded / plain;
  console.log(`| figure | value |\n|---|---|`);
  console.log(`| audit append, plain (median of ${APPENDS}) | ${plain.toFixed(2)} ms |`);
  console.log(
    `| audit append, guarded (anchor moved) | ${guarded.toFixed(2)} ms (${ratio.toFixed(2)}×; goal ≤ 1.2×: ${ratio <= 1.2 ? 'met' : 'NOT met'}) |`,
  );
  console.log(
    `| open, ${ENTRIES} entries (${(st.size / 1e6).toFixed(1)} MB), unchanged | ${unchanged.toFixed(0)} ms |`,
  );
  console.log(`| open, changed outside slipway (quick_check) | ${changed.toFixed(0)} ms |`);
  console.log(`| store backup (online backup API + integrity_check) | ${backupMs.toFixed(0)} ms |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
