/**
 * Checking a resolved environment: every missing or invalid key at once, each with its type, the
 * value found (redacted when sensitive) and the fix. Pure; `assertResolved` turns the list into one
 * AppError for the CLI and the deployment preflight.
 */
import { AppError } from '../../domain/errors.ts';
import type { DotenvLineError } from './dotenv-files.ts';
import { REDACTED, type Resolution, type ResolveInput, resolveConfig } from './resolve.ts';
import { checkValue, describeType } from './types.ts';

export const ISSUE_KINDS = ['missing', 'invalid', 'bad-type', 'secret-in-yaml', 'dotenv-syntax'] as const;
export type IssueKind = (typeof ISSUE_KINDS)[number];

export interface ConfigIssue {
  readonly kind: IssueKind;
  readonly key: string;
  /** `url`, `enum(debug,info)`, ...; empty for a syntax error in a .env file. */
  readonly expected: string;
  /** The value found, `[redacted]` when sensitive, undefined when missing. */
  readonly found: string | undefined;
  /** One line: what is wrong and how to fix it. */
  readonly message: string;
}

function quoted(value: string | undefined, sensitive: boolean): string {
  if (value === undefined) return 'nothing';
  return sensitive ? REDACTED : JSON.stringify(value);
}

/** Every problem of a resolution (plus .env syntax errors found while reading); empty when all is well. */
export function checkResolved(
  resolution: Resolution,
  dotenvErrors: readonly DotenvLineError[] = [],
): ConfigIssue[] {
  const env = resolution.env;
  const issues: ConfigIssue[] = [];
  for (const e of dotenvErrors) {
    issues.push({ kind: 'dotenv-syntax', key: '', expected: '', found: undefined, message: e.message });
  }
  for (const k of resolution.keys) {
    if (k.typeError !== undefined) {
      issues.push({ kind: 'bad-type', key: k.key, expected: '', found: undefined, message: k.typeError });
      continue;
    }
    const type = k.type;
    if (type === undefined) continue; // undeclared plain values are passed through unchecked
    const expected = describeType(type);
    const found = k.value === undefined ? undefined : k.sensitive ? REDACTED : k.value;
    if (k.secret) {
      const inYaml = k.ignored.filter((o) => o.source.kind === 'shared' || o.source.kind === 'environment');
      for (const o of inYaml) {
        issues.push({
          kind: 'secret-in-yaml',
          key: k.key,
          expected,
          found: REDACTED,
          message: `${k.key}: a secret is written in plain text in ${o.source.label}; remove it there and run \`slipway secret set ${env} ${k.key}\``,
        });
      }
      if (k.value === undefined || k.value === '') {
        issues.push({
          kind: 'missing',
          key: k.key,
          expected,
          found: undefined,
          message: `${k.key} (secret) is not in the ${resolution.secretStoreName} secret store for "${env}"; set it with \`slipway secret set ${env} ${k.key}\``,
        });
      }
      continue;
    }
    if (k.value === undefined || k.value === '') {
      if (type.optional) continue;
      issues.push({
        kind: 'missing',
        key: k.key,
        expected,
        found: k.value,
        message: `${k.key} (${expected}) is ${k.value === '' ? 'empty' : 'missing'} in "${env}"; set it in environments.${env}.config.values, a .env file, or \`slipway config set --env ${env} ${k.key}=...\`, or mark it optional`,
      });
      continue;
    }
    const problem = checkValue(type, k.value);
    if (problem !== undefined) {
      issues.push({
        kind: 'invalid',
        key: k.key,
        expected,
        found,
        message: `${k.key} (${expected}) ${problem}: found ${quoted(k.value, k.sensitive)} from ${k.source?.label ?? 'nowhere'}; fix the value there`,
      });
    }
  }
  return issues;
}

/** Resolve and check in one call: `check(input)` lists every missing or invalid key of `input.env`. */
export function check(input: ResolveInput, dotenvErrors: readonly DotenvLineError[] = []): ConfigIssue[] {
  return checkResolved(resolveConfig(input), dotenvErrors);
}

/** Throw one CONFIG_VALUES_INVALID AppError listing every issue, or return when there are none. */
export function assertNoIssues(env: string, issues: readonly ConfigIssue[]): void {
  if (issues.length === 0) return;
  throw new AppError(
    'CONFIG_VALUES_INVALID',
    `${issues.length} config value problem${issues.length === 1 ? '' : 's'} in environment "${env}"`,
    { details: issues.map((i) => i.message) },
  );
}
