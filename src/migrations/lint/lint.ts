/**
 * Linting one migration file: parse with PostgreSQL's parser, apply the rules, then honour
 * `-- slipway:allow RULE[, RULE] because REASON` comments on the statement they precede (or share a
 * line with). An accepted finding stays in the result with its reason; an allow without a reason
 * or naming an unknown rule is a finding of its own, so nothing is ever silenced quietly.
 */
import {
  type ParsedComment,
  type ParsedFile,
  type ParsedStatement,
  parseSql,
  SqlParseError,
} from '../parse.ts';
import { type CheckOptions, checkStatements } from './check.ts';
import { isRuleId, type LockMode, RULES, type RuleId } from './rules.ts';

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly rule: RuleId | 'invalid-allow';
  readonly lock: LockMode;
  readonly message: string;
  readonly fix: string;
  /** Set when an inline allow accepted it: the reason given. */
  readonly allowed?: string;
}

export interface FileLint {
  readonly file: string;
  readonly statements: number;
  /** Open findings first; accepted ones have `allowed`. */
  readonly findings: readonly Finding[];
  /** expand: safe while the previous release runs; contract: breaks it (drops, renames, NOT NULL…). */
  readonly kind: 'expand' | 'contract';
  readonly parseError?: { readonly line: number; readonly column: number; readonly message: string };
  /**
   * `-- slipway:contract-after VERSION`: a contract migration for releases from VERSION on. Its
   * contract findings are accepted here; the deployment checks the releases before it runs.
   */
  readonly contractAfter?: string;
}

export const DEFAULT_PG_VERSION = 17;

interface Allow {
  readonly rules: readonly string[];
  readonly reason: string;
  readonly comment: ParsedComment;
}

function allowsOf(comments: readonly ParsedComment[]): Allow[] {
  const out: Allow[] = [];
  for (const c of comments) {
    const body = (c.text.startsWith('--') ? c.text.slice(2) : c.text.slice(2, -2)).trim();
    if (!body.startsWith('slipway:allow')) continue;
    const rest = body.slice('slipway:allow'.length).trim();
    const cut = rest.search(/\bbecause\b/);
    const ids = (cut < 0 ? rest : rest.slice(0, cut)).split(/[\s,]+/).filter(Boolean);
    const reason = cut < 0 ? '' : rest.slice(cut + 'because'.length).trim();
    out.push({ rules: ids, reason, comment: c });
  }
  return out;
}

function contractAfterOf(comments: readonly ParsedComment[]): string | undefined {
  for (const c of comments) {
    const body = c.text.startsWith('--') ? c.text.slice(2).trim() : '';
    if (body.startsWith('slipway:contract-after '))
      return body.slice('slipway:contract-after '.length).trim();
  }
  return undefined;
}

/** The statement an allow comment speaks for: the one ending on its line before it, else the next one. */
function targetOf(parsed: ParsedFile, c: ParsedComment): number {
  const endLine = (s: ParsedStatement) => s.line + s.text.split('\n').length - 1;
  const same = parsed.statements.findLastIndex((s) => s.end <= c.start && endLine(s) === c.line);
  if (same >= 0) return same;
  return parsed.statements.findIndex((s) => s.start >= c.end);
}

export function lintSql(file: string, text: string, opts: CheckOptions): FileLint {
  let parsed: ParsedFile;
  try {
    parsed = parseSql(text);
  } catch (error) {
    if (!(error instanceof SqlParseError)) throw error;
    const parseError = { line: error.line, column: error.column, message: error.message };
    return { file, statements: 0, findings: [], kind: 'expand', parseError };
  }
  const raw = checkStatements(parsed, opts);
  const findings: Finding[] = [];
  const allowed = new Map<string, string>(); // `${statement}:${rule}` → reason
  for (const a of allowsOf(parsed.comments)) {
    const where = { file, line: a.comment.line, column: 1, lock: 'none' as const };
    const unknown = a.rules.filter((r) => !isRuleId(r));
    if (a.rules.length === 0 || unknown.length > 0 || a.reason === '') {
      findings.push({
        ...where,
        rule: 'invalid-allow',
        message:
          a.rules.length === 0
            ? 'slipway:allow names no rule'
            : unknown.length > 0
              ? `slipway:allow names unknown rule ${unknown.join(', ')}`
              : `slipway:allow ${a.rules.join(', ')} gives no reason`,
        fix: 'write it as -- slipway:allow RULE because WHY, with a rule id from `slipway migrations lint --rules`',
      });
      continue;
    }
    const target = targetOf(parsed, a.comment);
    for (const r of a.rules) allowed.set(`${target}:${r}`, a.reason);
  }
  const after = contractAfterOf(parsed.comments);
  let contract = false;
  for (const f of raw) {
    const rule = RULES[f.rule];
    if (rule.contract) contract = true;
    const reason =
      allowed.get(`${f.statement}:${f.rule}`) ??
      (rule.contract && after
        ? `contract migration after ${after}: runs only once no live or rollback-target release predates ${after}`
        : undefined);
    findings.push({
      file,
      line: f.line,
      column: f.column,
      rule: f.rule,
      lock: rule.lock,
      message: `${f.detail}: ${rule.why}`,
      fix: rule.fix,
      ...(reason !== undefined && { allowed: reason }),
    });
  }
  findings.sort(
    (a, b) =>
      Number(a.allowed !== undefined) - Number(b.allowed !== undefined) ||
      a.line - b.line ||
      a.column - b.column,
  );
  return {
    file,
    statements: parsed.statements.length,
    findings,
    kind: contract ? 'contract' : 'expand',
    ...(after && { contractAfter: after }),
  };
}

/** Findings that make `lint` exit 1: not accepted inline. */
export const openFindings = (r: FileLint): Finding[] => r.findings.filter((f) => f.allowed === undefined);

/** `file:line:col rule: why; do this instead` */
export function formatFinding(f: Finding): string {
  const head = `${f.file}:${f.line}:${f.column} ${f.rule}: ${f.message}`;
  return f.allowed !== undefined ? `${head} (allowed: ${f.allowed})` : `${head}; ${f.fix}`;
}
