/**
 * The rules applied to one file's statements, in order, with what earlier statements taught:
 * tables created in this file (exempt: nobody reads them yet), lock_timeout set, transaction
 * blocks, CHECK (col IS NOT NULL) constraints validated. Only top-level statements are walked, so
 * function bodies and DO blocks (strings to the parser) never trigger a rule.
 */
import type { Node, ParsedFile, ParsedStatement } from '../parse.ts';
import type { RuleId } from './rules.ts';

export interface RawFinding {
  readonly rule: RuleId;
  readonly statement: number;
  readonly line: number;
  readonly column: number;
  /** Words specific to this statement, before the rule's explanation. */
  readonly detail: string;
}

export interface CheckOptions {
  /** The PostgreSQL major version the migration will run on. */
  readonly pgVersion: number;
  /** slipway's runner sets lock_timeout itself (files it runs); tools run by `command:` do not. */
  readonly runnerSetsLockTimeout: boolean;
}

const SERIAL = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);
/** Built-in functions PostgreSQL marks VOLATILE that people put in defaults. */
const VOLATILE = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
  'setseed',
]);
/** Locks that queue every reader or writer behind them while they wait. */
const NEEDS_TIMEOUT = new Set<RuleId>([
  'drop-column',
  'drop-table',
  'rename-column',
  'rename-table',
  'change-column-type',
  'set-not-null',
  'add-column-rewrite',
  'add-required-column',
  'create-index',
  'drop-index',
  'add-foreign-key',
  'add-check-constraint',
  'add-unique-constraint',
  'add-exclusion-constraint',
  'truncate',
  'cluster',
  'vacuum-full',
  'reindex',
  'lock-table',
]);
const DDL = new Set([
  'AlterTableStmt',
  'RenameStmt',
  'IndexStmt',
  'DropStmt',
  'TruncateStmt',
  'LockStmt',
  'ClusterStmt',
]);
const WORDS: Record<string, string> = {
  AlterTableStmt: 'ALTER TABLE',
  RenameStmt: 'RENAME on',
  IndexStmt: 'CREATE INDEX on',
  DropStmt: 'DROP',
  TruncateStmt: 'TRUNCATE',
  LockStmt: 'LOCK TABLE',
  ClusterStmt: 'CLUSTER',
};
/** Statements that cannot run in a transaction block: a file holding one is run statement by statement. */
export function isNonTransactional(s: ParsedStatement): boolean {
  if (s.type === 'IndexStmt' || (s.type === 'DropStmt' && s.node.removeType === 'OBJECT_INDEX'))
    return s.node.concurrent === true;
  if (s.type === 'ReindexStmt') return hasOption(s.node.params, 'concurrently');
  if (s.type === 'VacuumStmt') return s.node.is_vacuumcmd === true;
  if (s.type === 'RefreshMatViewStmt') return s.node.concurrent === true;
  return s.type === 'CreatedbStmt' || s.type === 'DropdbStmt';
}
export const isTxControl = (s: ParsedStatement): boolean => s.type === 'TransactionStmt';

const hasOption = (params: Node[] | undefined, name: string): boolean =>
  (params ?? []).some((p) => p.DefElem?.defname === name);
const relName = (r: Node | undefined): string =>
  r ? `${r.schemaname ?? 'public'}.${r.relname as string}` : '?';
const names = (list: Node[] | undefined): string[] =>
  (list ?? []).map((n) => n.String?.sval as string).filter(Boolean);
const funcName = (e: Node | undefined): string | undefined =>
  e?.FuncCall ? names(e.FuncCall.funcname).at(-1) : undefined;

/** True when an expression calls a volatile built-in anywhere inside it. */
function volatile(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  if (Array.isArray(e)) return e.some(volatile);
  const fn = funcName(e as Node);
  if (fn && VOLATILE.has(fn)) return true;
  return Object.values(e as Node).some(volatile);
}

export function checkStatements(file: ParsedFile, opts: CheckOptions): RawFinding[] {
  const out: RawFinding[] = [];
  const created = new Set<string>();
  const createdIndexes = new Set<string>();
  const notNullChecks = new Map<string, string>(); // constraint name → table.column
  const provenNotNull = new Set<string>(); // table.column with a valid CHECK (col IS NOT NULL)
  const stmts = file.statements;
  // Transaction units: an explicit BEGIN…COMMIT block, or the whole file when a runner wraps it.
  const explicit = stmts.some(isTxControl);
  const wrapped = !explicit && !stmts.some(isNonTransactional);
  const unit: number[] = [];
  let block = -1;
  stmts.forEach((s, i) => {
    if (s.type === 'TransactionStmt') {
      const k = s.node.kind as string;
      if (k === 'TRANS_STMT_BEGIN' || k === 'TRANS_STMT_START') block = i;
      else if (k === 'TRANS_STMT_COMMIT' || k === 'TRANS_STMT_ROLLBACK') block = -1;
      unit.push(-2 - i);
      return;
    }
    unit.push(wrapped ? 0 : block >= 0 ? block : -2 - i);
  });
  const inTransaction = (i: number) => (unit[i] as number) >= 0;
  let lockTimeout = opts.runnerSetsLockTimeout;
  let toldTimeout = false;
  const ddlUnits = new Set<number>();
  const dml: number[] = [];

  stmts.forEach((s, i) => {
    const found: { rule: RuleId; detail: string; loc?: number }[] = [];
    const add = (rule: RuleId, detail: string, loc?: number) =>
      found.push({ rule, detail, ...(loc !== undefined && { loc }) });
    const n = s.node;
    switch (s.type) {
      case 'VariableSetStmt':
        if (n.name === 'lock_timeout') lockTimeout = n.kind === 'VAR_SET_VALUE' && !zero(n.args);
        break;
      case 'CreateStmt':
        created.add(relName(n.relation));
        break;
      case 'CreateTableAsStmt':
        created.add(relName(n.into?.rel));
        break;
      case 'IndexStmt': {
        const table = relName(n.relation);
        if (created.has(table)) {
          if (n.idxname) createdIndexes.add(n.idxname as string);
          break;
        }
        if (n.concurrent) {
          if (inTransaction(i) && explicit)
            add('concurrently-in-transaction', `CREATE INDEX CONCURRENTLY on ${table}`);
        } else add('create-index', `index ${n.idxname ?? '(unnamed)'} on ${table}`);
        break;
      }
      case 'DropStmt':
        dropStmt(n, i);
        break;
      case 'RenameStmt': {
        const table = relName(n.relation);
        if (created.has(table)) break;
        if (n.renameType === 'OBJECT_COLUMN') add('rename-column', `${table}.${n.subname} → ${n.newname}`);
        else if (n.renameType === 'OBJECT_TABLE') add('rename-table', `${table} → ${n.newname}`);
        break;
      }
      case 'AlterTableStmt':
        if (n.objtype === 'OBJECT_TABLE') alterTable(n, i);
        break;
      case 'TruncateStmt':
        for (const r of n.relations ?? []) {
          const table = relName(r.RangeVar);
          if (!created.has(table)) add('truncate', `TRUNCATE ${table}`);
        }
        break;
      case 'VacuumStmt':
        if (n.is_vacuumcmd && hasOption(n.options, 'full')) add('vacuum-full', 'VACUUM FULL');
        break;
      case 'ClusterStmt':
        if (!created.has(relName(n.relation)))
          add('cluster', `CLUSTER ${n.relation ? relName(n.relation) : '(every clustered table)'}`);
        break;
      case 'ReindexStmt':
        if (!hasOption(n.params, 'concurrently'))
          add(
            'reindex',
            opts.pgVersion < 12 ? 'REINDEX (CONCURRENTLY needs PostgreSQL 12+: plan a window)' : 'REINDEX',
          );
        else if (explicit && inTransaction(i)) add('concurrently-in-transaction', 'REINDEX CONCURRENTLY');
        break;
      case 'RefreshMatViewStmt':
        if (!n.concurrent && !created.has(relName(n.relation)))
          add('refresh-materialized-view', relName(n.relation));
        else if (n.concurrent && explicit && inTransaction(i))
          add('concurrently-in-transaction', 'REFRESH … CONCURRENTLY');
        break;
      case 'LockStmt':
        // Modes are numbered as in lockdefs.h: 6 EXCLUSIVE … 8 ACCESS EXCLUSIVE; 4 SHARE blocks writes too.
        if (
          (n.mode as number) >= 4 &&
          (n.relations ?? []).some((r: Node) => !created.has(relName(r.RangeVar)))
        )
          add('lock-table', `LOCK TABLE in mode ${n.mode}`);
        break;
      case 'AlterEnumStmt':
        if (n.newVal !== undefined && opts.pgVersion < 12 && inTransaction(i))
          add('enum-value-in-transaction', `ALTER TYPE ${names(n.typeName).join('.')} ADD VALUE`);
        break;
      case 'DropdbStmt':
        add('drop-database', `DROP DATABASE ${n.dbname}`);
        break;
      case 'UpdateStmt':
      case 'DeleteStmt':
        if (!created.has(relName(n.relation))) dml.push(i);
        break;
      case 'InsertStmt':
        if (n.selectStmt?.SelectStmt?.fromClause && !created.has(relName(n.relation))) dml.push(i);
        break;
    }
    // Any schema change of a live table locks it until its transaction ends: a backfill beside it
    // holds that lock; and without lock_timeout it queues every query behind a long one while it waits.
    const live = DDL.has(s.type) && !created.has(relName(n.relation));
    if (live) ddlUnits.add(unit[i] as number);
    const waits = (live && !isNonTransactional(s)) || found.some((f) => NEEDS_TIMEOUT.has(f.rule));
    if (waits && !lockTimeout && !toldTimeout) {
      toldTimeout = true;
      out.push({
        rule: 'require-lock-timeout',
        statement: i,
        line: s.line,
        column: s.column,
        detail: `${WORDS[s.type] ?? found[0]?.rule ?? s.type}${n.relation ? ` ${relName(n.relation)}` : ''}`,
      });
    }
    for (const f of found) {
      if (NEEDS_TIMEOUT.has(f.rule)) ddlUnits.add(unit[i] as number);
      const where = f.loc !== undefined && f.loc >= 0 ? file.at(f.loc) : s;
      out.push({ rule: f.rule, statement: i, line: where.line, column: where.column, detail: f.detail });
    }

    function dropStmt(d: Node, _i: number) {
      const objects: string[] = (d.objects ?? []).map((o: Node) =>
        o.List ? names(o.List.items).join('.') : (o.String?.sval as string),
      );
      const qualified = (o: string) => (o.includes('.') ? o : `public.${o}`);
      if (d.removeType === 'OBJECT_TABLE') {
        for (const o of objects) if (!created.has(qualified(o))) add('drop-table', `DROP TABLE ${o}`);
      } else if (d.removeType === 'OBJECT_INDEX') {
        const pending = objects.filter((o) => !createdIndexes.has(o.split('.').at(-1) as string));
        if (pending.length === 0) return;
        if (!d.concurrent) add('drop-index', `DROP INDEX ${pending.join(', ')}`);
        else if (explicit && inTransaction(_i)) add('concurrently-in-transaction', 'DROP INDEX CONCURRENTLY');
      } else if (d.removeType === 'OBJECT_SCHEMA') add('drop-database', `DROP SCHEMA ${objects.join(', ')}`);
    }

    function alterTable(a: Node, _i: number) {
      const table = relName(a.relation);
      if (created.has(table)) return;
      for (const c of a.cmds ?? []) {
        const cmd = c.AlterTableCmd as Node;
        const col = cmd.name as string | undefined;
        switch (cmd.subtype) {
          case 'AT_DropColumn':
            add('drop-column', `${table}.${col}`);
            break;
          case 'AT_AlterColumnType':
            add(
              'change-column-type',
              `${table}.${col} TYPE ${names(cmd.def?.ColumnDef?.typeName?.names).at(-1)}`,
            );
            break;
          case 'AT_SetNotNull':
            if (!(opts.pgVersion >= 12 && provenNotNull.has(`${table}.${col}`)))
              add(
                'set-not-null',
                opts.pgVersion < 12
                  ? `${table}.${col} (before PostgreSQL 12 even a valid CHECK does not spare the scan)`
                  : `${table}.${col}`,
              );
            break;
          case 'AT_AddColumn':
            addColumn(table, cmd.def?.ColumnDef as Node);
            break;
          case 'AT_AddConstraint':
            addConstraint(table, cmd.def?.Constraint as Node);
            break;
          case 'AT_ValidateConstraint': {
            const proven = notNullChecks.get(`${table}:${cmd.name}`);
            if (proven) provenNotNull.add(proven);
            break;
          }
        }
      }
    }

    function addColumn(table: string, def: Node) {
      const type = names(def.typeName?.names).at(-1) ?? '';
      const cons: Node[] = (def.constraints ?? []).map((x: Node) => x.Constraint);
      const dflt = cons.find((x) => x.contype === 'CONSTR_DEFAULT');
      const here = def.location as number | undefined;
      const what = `${table}.${def.colname}`;
      if (SERIAL.has(type))
        add('add-column-rewrite', `${what} is ${type}: its nextval() default is volatile`, here);
      else if (cons.some((x) => x.contype === 'CONSTR_IDENTITY'))
        add('add-column-rewrite', `${what} is an identity column: every row gets a value`, here);
      else if (cons.some((x) => x.contype === 'CONSTR_GENERATED' && x.generated_kind === 's'))
        add('add-column-rewrite', `${what} is GENERATED … STORED: every row is computed`, here);
      else if (dflt && volatile(dflt.raw_expr))
        add(
          'add-column-rewrite',
          `${what} has a volatile default (${funcName(findCall(dflt.raw_expr)) ?? 'volatile'}())`,
          here,
        );
      else if (dflt && opts.pgVersion < 11 && !isNullConst(dflt.raw_expr))
        add(
          'add-column-rewrite',
          `${what} has a default: before PostgreSQL 11 any default rewrites the table`,
          here,
        );
      else if (!dflt && cons.some((x) => x.contype === 'CONSTR_NOTNULL' || x.contype === 'CONSTR_PRIMARY'))
        add('add-required-column', `${what} is NOT NULL without a default`, here);
      for (const x of cons)
        if (x.contype === 'CONSTR_UNIQUE' || x.contype === 'CONSTR_PRIMARY')
          add(
            'add-unique-constraint',
            `${what} ${x.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE'}`,
            here,
          );
    }

    function addConstraint(table: string, c: Node) {
      const name = (c.conname as string | undefined) ?? '(unnamed)';
      const here = c.location as number | undefined;
      switch (c.contype) {
        case 'CONSTR_FOREIGN':
          if (!c.skip_validation) add('add-foreign-key', `${name} on ${table} → ${relName(c.pktable)}`, here);
          break;
        case 'CONSTR_CHECK': {
          const nt = c.raw_expr?.NullTest as Node | undefined;
          const column =
            nt?.nulltesttype === 'IS_NOT_NULL' ? names(nt.arg?.ColumnRef?.fields).at(-1) : undefined;
          if (column && c.conname) notNullChecks.set(`${table}:${c.conname}`, `${table}.${column}`);
          if (!c.skip_validation) {
            add('add-check-constraint', `${name} on ${table}`, here);
            if (column) provenNotNull.add(`${table}.${column}`);
          }
          break;
        }
        case 'CONSTR_UNIQUE':
        case 'CONSTR_PRIMARY':
          if (!c.indexname)
            add(
              'add-unique-constraint',
              `${c.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE'} ${name} on ${table}`,
              here,
            );
          break;
        case 'CONSTR_EXCLUSION':
          add('add-exclusion-constraint', `${name} on ${table}`, here);
          break;
      }
    }
  });

  for (const i of dml)
    if (ddlUnits.has(unit[i] as number) && (unit[i] as number) >= 0) {
      const s = stmts[i] as ParsedStatement;
      out.push({
        rule: 'backfill-in-transaction',
        statement: i,
        line: s.line,
        column: s.column,
        detail: s.type.replace('Stmt', '').toUpperCase(),
      });
    }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

function findCall(e: unknown): Node | undefined {
  if (!e || typeof e !== 'object') return undefined;
  if (Array.isArray(e)) return e.map(findCall).find(Boolean);
  const fn = funcName(e as Node);
  if (fn && VOLATILE.has(fn)) return e as Node;
  return Object.values(e as Node)
    .map(findCall)
    .find(Boolean);
}
const isNullConst = (e: Node | undefined) => e?.A_Const?.isnull === true;
const zero = (args: Node[] | undefined) => {
  const c = args?.[0]?.A_Const;
  return c?.ival !== undefined ? !c.ival.ival : c?.sval?.sval === '0';
};
