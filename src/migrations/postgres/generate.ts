/**
 * A rehearsal database when production data may not be copied: the environment's schema only
 * (pg_dump --schema-only, plus the rows of slipway_migrations so only pending files run), then N
 * generated rows in every table. Each column gets an expression of the row number g from
 * generate_series: distinct per row (so unique keys and primary keys hold), in range of its type,
 * never NULL. A foreign-key column gets the expression of the column it references, so row g of
 * the child points at row g of the parent; tables are filled parents first.
 */
import type pg from 'pg';
import { AppError } from '../../domain/errors.ts';
import { APPLIED_TABLE } from './apply.ts';

export interface GeneratedData {
  readonly rowsPerTable: number;
  readonly tables: readonly { readonly table: string; readonly rows: number; readonly ms: number }[];
}

interface Column {
  readonly rel: number;
  readonly table: string;
  readonly name: string;
  readonly num: number;
  readonly notNull: boolean;
  readonly hasDefault: boolean;
  readonly identity: string;
  readonly generated: string;
  /** The declared type, e.g. character varying(20) (the cast that also truncates). */
  readonly type: string;
  /** The base type (through a domain). */
  readonly base: string;
  readonly baseKind: string;
  readonly category: string;
  readonly typmod: number;
}

interface ForeignKey {
  readonly rel: number;
  readonly ref: number;
  readonly cols: readonly number[];
  readonly refCols: readonly number[];
}

const ident = (id: string) => `"${id.replaceAll('"', '""')}"`;
const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** An expression of g for a column of this type, or null when slipway has no rule for it. */
export function generatedValue(
  c: Pick<Column, 'base' | 'baseKind' | 'category' | 'typmod' | 'type'>,
): string | null {
  const text = "(g::text || '-' || md5(g::text))";
  const cast = (e: string) => `(${e})::${c.type}`;
  if (c.baseKind === 'e') {
    const range = `enum_range(NULL::${c.type})`;
    return `(${range})[1 + (g % array_length(${range}, 1))::int]`;
  }
  if (c.category === 'A') return cast("'{}'");
  switch (c.base) {
    case 'int2':
      return cast('g % 32767');
    case 'int4':
    case 'int8':
    case 'float4':
    case 'float8':
    case 'oid':
      return cast('g');
    case 'numeric': {
      if (c.typmod < 4) return cast('g');
      const precision = ((c.typmod - 4) >> 16) & 0xffff;
      const scale = (c.typmod - 4) & 0xffff;
      const digits = precision - scale;
      return digits <= 0 ? cast('0') : cast(`g % (10::numeric ^ ${digits})`);
    }
    case 'money':
      return cast('g::numeric');
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'citext':
      return cast(text);
    case 'bool':
      return 'g % 2 = 0';
    case 'date':
      return cast("date '2000-01-01' + g::int");
    case 'timestamp':
    case 'timestamptz':
      return cast("timestamp '2000-01-01' + g * interval '1 second'");
    case 'time':
    case 'timetz':
      return cast("time '00:00' + (g % 86400) * interval '1 second'");
    case 'interval':
      return cast("g * interval '1 second'");
    case 'uuid':
      return 'md5(g::text)::uuid';
    case 'json':
    case 'jsonb':
      return cast("json_build_object('n', g)");
    case 'bytea':
      return "decode(md5(g::text), 'hex')";
    case 'inet':
    case 'cidr':
      return cast("'10.0.0.0'::inet + g");
    default:
      return null;
  }
}

export async function readSchema(client: pg.Client): Promise<{ columns: Column[]; fks: ForeignKey[] }> {
  const columns = await client.query(
    `SELECT c.oid::int AS rel, format('%I.%I', n.nspname, c.relname) AS "table", a.attname AS name,
            a.attnum AS num, a.attnotnull AS "notNull", a.atthasdef AS "hasDefault",
            a.attidentity AS identity, a.attgenerated AS generated,
            format_type(a.atttypid, a.atttypmod) AS type, b.typname AS base, b.typtype AS "baseKind",
            b.typcategory AS category,
            CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        AND c.relname <> $1
      ORDER BY c.oid, a.attnum`,
    [APPLIED_TABLE],
  );
  const fks = await client.query(
    `SELECT conrelid::int AS rel, confrelid::int AS ref, conkey AS cols, confkey AS "refCols"
       FROM pg_constraint WHERE contype = 'f'`,
  );
  return { columns: columns.rows as Column[], fks: fks.rows as ForeignKey[] };
}

/** Parents before children; a cycle (other than a table referencing itself) cannot be ordered. */
function fillOrder(
  rels: readonly number[],
  fks: readonly ForeignKey[],
  names: Map<number, string>,
): number[] {
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (rel: number, path: number[]) => {
    if (state.get(rel) === 'done') return;
    if (state.get(rel) === 'visiting')
      throw new AppError(
        'MIGRATION_REFUSED',
        `generated data: the foreign keys of ${[...path.slice(path.indexOf(rel)), rel].map((r) => names.get(r)).join(' → ')} form a cycle, which slipway cannot fill in order; rehearse on a copy instead (drop --generate)`,
      );
    state.set(rel, 'visiting');
    for (const fk of fks)
      if (fk.rel === rel && fk.ref !== rel && names.has(fk.ref)) visit(fk.ref, [...path, rel]);
    state.set(rel, 'done');
    order.push(rel);
  };
  for (const rel of rels) visit(rel, []);
  return order;
}

/** Fill every table of the scratch database with `rows` generated rows. */
export async function generateData(client: pg.Client, rows: number): Promise<GeneratedData> {
  const { columns, fks } = await readSchema(client);
  const byRel = new Map<number, Column[]>();
  for (const c of columns) byRel.set(c.rel, [...(byRel.get(c.rel) ?? []), c]);
  const names = new Map([...byRel].map(([rel, cs]) => [rel, cs[0]?.table ?? String(rel)] as const));
  const column = (rel: number, num: number) => byRel.get(rel)?.find((c) => c.num === num);
  // A column's expression: the referenced column's (cast to its own type) when it is a foreign key.
  const expr = (c: Column, seen: readonly Column[] = []): string | null => {
    const fk = fks.find((f) => f.rel === c.rel && f.cols.includes(c.num));
    if (fk && !seen.includes(c)) {
      const parent = column(fk.ref, fk.refCols[fk.cols.indexOf(c.num)] as number);
      const e = parent && expr(parent, [...seen, c]);
      if (e) return `(${e})::${c.type}`;
    }
    return generatedValue(c);
  };
  const tables: { table: string; rows: number; ms: number }[] = [];
  for (const rel of fillOrder([...byRel.keys()], fks, names)) {
    const cols = (byRel.get(rel) ?? []).filter((c) => !c.generated);
    const filled: [Column, string][] = [];
    for (const c of cols) {
      const e = expr(c);
      if (e) filled.push([c, e]);
      else if (c.notNull && !c.hasDefault && !c.identity)
        throw new AppError(
          'MIGRATION_REFUSED',
          `generated data: ${c.table}.${c.name} is ${c.type} NOT NULL without a default, a type slipway cannot generate values for; rehearse on a copy instead (drop --generate)`,
        );
    }
    const table = names.get(rel) as string;
    const started = performance.now();
    const sql = `INSERT INTO ${table} (${filled.map(([c]) => ident(c.name)).join(', ')}) OVERRIDING SYSTEM VALUE
      SELECT ${filled.map(([, e]) => e).join(', ')} FROM generate_series(1, ${rows}::bigint) AS g`;
    try {
      await client.query(
        filled.length === 0 ? `INSERT INTO ${table} SELECT FROM generate_series(1, ${rows})` : sql,
      );
    } catch (error) {
      throw new AppError(
        'MIGRATION_REFUSED',
        `generated data: filling ${table} with ${rows} rows failed (${(error as Error).message}); a CHECK or a trigger may refuse generated values: rehearse on a copy instead (drop --generate)`,
      );
    }
    // Sequences behind serial and identity columns go past the generated keys, as in production.
    for (const [c] of filled.filter(
      ([c]) => (['int2', 'int4', 'int8'].includes(c.base) && c.hasDefault) || c.identity,
    ))
      await client.query(
        `SELECT setval(s, (SELECT coalesce(max(${ident(c.name)}), 0) + 1 FROM ${table})::bigint, false)
           FROM pg_get_serial_sequence(${literal(table)}, ${literal(c.name)}) AS s WHERE s IS NOT NULL`,
      );
    tables.push({ table, rows, ms: Math.round(performance.now() - started) });
  }
  // Fresh statistics, so the planner sees the generated sizes as it would production's.
  await client.query('ANALYZE');
  return { rowsPerTable: rows, tables };
}
