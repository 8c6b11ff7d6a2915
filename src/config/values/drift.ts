/**
 * Drift between two environments' config: keys missing on either side, `mustMatch` keys whose
 * values differ, and values that look like they belong to the other environment (a production URL
 * on a "staging" host, localhost in production, staging pointing at production's database).
 * Pure. Values of sensitive keys are compared but never printed; for them only the host is named,
 * and only as "contains 'staging'".
 */
import { BlockList, isIP } from 'node:net';
import type { Resolution } from './resolve.ts';

export type EnvRole = 'production' | 'staging' | 'other';

export interface DriftSide {
  readonly env: string;
  /** Final values by key; undefined = declared but not set. */
  readonly values: Readonly<Record<string, string | undefined>>;
  /** Keys whose values must never be printed. */
  readonly sensitive: ReadonlySet<string>;
  /** Defaults to a guess from the name: prod/prd/live → production, stag/stage/stg/preprod/uat → staging. */
  readonly role?: EnvRole;
  /**
   * Keys allowed to point at this machine in production (environments.X.config.allowLoopback):
   * a one-machine install legitimately has its database on loopback. Said as a hint, never silent.
   */
  readonly allowLoopback?: ReadonlySet<string>;
}

export interface DriftFinding {
  readonly kind: 'missing' | 'mismatch' | 'wrong-environment';
  readonly severity: 'error' | 'warning' | 'hint';
  readonly key: string;
  readonly message: string;
}

/** The side of a resolved environment, ready for `diff`. */
export function driftSide(
  resolution: Resolution,
  role?: EnvRole,
  allowLoopback: readonly string[] = [],
): DriftSide {
  const values: Record<string, string | undefined> = {};
  const sensitive = new Set<string>();
  for (const k of resolution.keys) {
    values[k.key] = k.value;
    if (k.sensitive) sensitive.add(k.key);
  }
  return {
    env: resolution.env,
    values,
    sensitive,
    ...(role !== undefined && { role }),
    ...(allowLoopback.length > 0 && { allowLoopback: new Set(allowLoopback) }),
  };
}

export function guessRole(env: string): EnvRole {
  if (/stag|stg|preprod|pre-prod|uat/i.test(env)) return 'staging';
  if (/prod|prd|live/i.test(env)) return 'production';
  return 'other';
}

const NON_PROD_TOKEN = /^(staging|stage|stg|dev|develop|development|test|testing|qa|sandbox)\d*$/;
const PROD_TOKEN = /^(prod|production|prd|live)\d*$/;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('0.0.0.0', 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('::', 'ipv6');
const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('169.254.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');

/** The host a value points at: from a URL, or a bare `host[:port]`; undefined for anything else. */
export function hostOf(value: string): string | undefined {
  const v = value.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    try {
      const host = new URL(v).hostname.replace(/^\[|\]$/g, '');
      return host === '' ? undefined : host.toLowerCase();
    } catch {
      return undefined;
    }
  }
  const bare = /^([a-z0-9-]+(?:\.[a-z0-9-]+)+|localhost|\[[0-9a-f:]+\])(?::\d{1,5})?$/i.exec(v);
  return bare ? bare[1]!.replace(/^\[|\]$/g, '').toLowerCase() : undefined;
}

function ipFamily(host: string): 'ipv4' | 'ipv6' | undefined {
  const f = isIP(host);
  return f === 4 ? 'ipv4' : f === 6 ? 'ipv6' : undefined;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = ipFamily(host);
  return family !== undefined && LOOPBACK.check(host, family);
}

function isPrivate(host: string): boolean {
  const family = ipFamily(host);
  return family !== undefined && PRIVATE.check(host, family);
}

function tokenIn(host: string, pattern: RegExp): string | undefined {
  return host.split(/[.\-_]/).find((t) => pattern.test(t));
}

function show(side: DriftSide, key: string): string {
  return side.sensitive.has(key) ? '[redacted]' : JSON.stringify(side.values[key]);
}

function wrongEnvironment(side: DriftSide, other: DriftSide, role: EnvRole): DriftFinding[] {
  const findings: DriftFinding[] = [];
  const where = (key: string, host: string) =>
    side.sensitive.has(key) ? `${side.env} ${key} (secret)` : `${side.env} ${key} (host ${host})`;
  for (const [key, value] of Object.entries(side.values)) {
    const host = value === undefined ? undefined : hostOf(value);
    if (host === undefined) continue;
    const add = (severity: DriftFinding['severity'], message: string) =>
      findings.push({ kind: 'wrong-environment', severity, key, message });
    if (role === 'production') {
      const token = tokenIn(host, NON_PROD_TOKEN);
      if (token)
        add(
          'error',
          `${where(key, host)} points at a host containing "${token}"; production should not use a ${token} service`,
        );
      else if (isLoopback(host) && side.allowLoopback?.has(key))
        add(
          'hint',
          `${where(key, host)} points at this machine (loopback), allowed by environments.${side.env}.config.allowLoopback (a one-machine install)`,
        );
      else if (isLoopback(host))
        add(
          'error',
          `${where(key, host)} points at this machine (loopback); production needs a real host, or, when it runs on this one machine, list ${key} in environments.${side.env}.config.allowLoopback`,
        );
      else if (isPrivate(host))
        add(
          'warning',
          `${where(key, host)} points at a private address; fine inside your network, wrong if it is a developer machine`,
        );
    } else if (role === 'staging') {
      const token = tokenIn(host, PROD_TOKEN);
      const otherValue = other.values[key];
      if (token)
        add(
          'error',
          `${where(key, host)} points at a host containing "${token}"; staging must not touch production`,
        );
      else if (
        otherValue !== undefined &&
        hostOf(otherValue) === host &&
        guessRoleOf(other) === 'production'
      ) {
        add(
          'hint',
          `${where(key, host)} points at the same host as ${other.env}; check that staging does not share production's ${key}`,
        );
      }
    }
  }
  return findings;
}

function guessRoleOf(side: DriftSide): EnvRole {
  return side.role ?? guessRole(side.env);
}

/** Compare two environments; findings are ordered missing, mismatch, wrong-environment, each by key. */
export function diff(
  a: DriftSide,
  b: DriftSide,
  options: { mustMatch?: readonly string[] } = {},
): DriftFinding[] {
  const missing: DriftFinding[] = [];
  const keys = [...new Set([...Object.keys(a.values), ...Object.keys(b.values)])].sort();
  for (const key of keys) {
    const inA = a.values[key] !== undefined;
    const inB = b.values[key] !== undefined;
    if (inA === inB) continue;
    const [has, lacks] = inA ? [a, b] : [b, a];
    missing.push({
      kind: 'missing',
      severity: 'error',
      key,
      message: `${key} is set in ${has.env} but missing in ${lacks.env}`,
    });
  }
  const mismatch: DriftFinding[] = [];
  for (const key of [...(options.mustMatch ?? [])].sort()) {
    const va = a.values[key];
    const vb = b.values[key];
    if (va === undefined || vb === undefined || va === vb) continue;
    mismatch.push({
      kind: 'mismatch',
      severity: 'error',
      key,
      message: `${key} must match across environments (mustMatch) but ${a.env} has ${show(a, key)} and ${b.env} has ${show(b, key)}`,
    });
  }
  const wrong = [...wrongEnvironment(a, b, guessRoleOf(a)), ...wrongEnvironment(b, a, guessRoleOf(b))].sort(
    (x, y) => x.key.localeCompare(y.key),
  );
  return [...missing, ...mismatch, ...wrong];
}
