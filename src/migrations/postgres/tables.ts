/**
 * Per-table row counts and content checksums, to prove a restore brought back every row. The
 * checksum is the sum of a 64-bit hash of each row's text: independent of row order, cheap to
 * compute in one scan, and changed by any lost, added or altered row (short of a hash collision).
 */
import type pg from 'pg';

export type TableSums = Readonly<Record<string, { readonly rows: number; readonly checksum: string }>>;

const quote = (id: string) => `"${id.replaceAll('"', '""')}"`;

export async function tableSums(client: pg.Client): Promise<TableSums> {
  const tables = await client.query(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY 1, 2`,
  );
  const out: Record<string, { rows: number; checksum: string }> = {};
  for (const t of tables.rows as { schema: string; name: string }[]) {
    const r = await client.query(
      `SELECT count(*)::bigint AS rows, coalesce(sum(hashtextextended(x::text, 0)::numeric), 0)::text AS sum FROM ONLY ${quote(t.schema)}.${quote(t.name)} x`,
    );
    out[`${t.schema}.${t.name}`] = { rows: Number(r.rows[0].rows), checksum: r.rows[0].sum };
  }
  return out;
}

/** The tables whose rows or checksum differ, in words; empty when all agree. */
export function compareSums(expected: TableSums, actual: TableSums): string[] {
  const out: string[] = [];
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name];
    if (!a) out.push(`${name}: missing after restore`);
    else if (a.rows !== e.rows) out.push(`${name}: ${a.rows} rows, expected ${e.rows}`);
    else if (a.checksum !== e.checksum)
      out.push(`${name}: same row count (${a.rows}) but different contents`);
  }
  for (const name of Object.keys(actual)) if (!expected[name]) out.push(`${name}: not in the backup`);
  return out;
}
