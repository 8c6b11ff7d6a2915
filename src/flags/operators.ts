/**
 * flagd's custom JSON Logic operators (`fractional`, `sem_ver`, `starts_with`, `ends_with`), written
 * to flagd's documented semantics: any malformed use yields null (the flag's default variant), never
 * an exception.
 */
import semver from 'semver';
import { bucketOf, murmur3 } from './hash.ts';

/** What the evaluator puts under `$flagd` in the data an evaluation sees. */
export interface FlagdProperties {
  readonly flagKey: string;
  readonly timestamp: number;
}

/** The data a compiled rule runs against: the caller's context plus `$flagd`. */
export interface RuleData {
  readonly $flagd?: FlagdProperties;
  readonly targetingKey?: unknown;
  readonly [key: string]: unknown;
}

/** Sums of weights above this are refused by flagd (Go's MaxInt32). */
const MAX_WEIGHT = 2_147_483_647;

type Variant = string | number | boolean | null;

/**
 * `fractional`: `[bucketBy?, [variant, weight?]...]`. Without a string first argument the key is
 * `$flagd.flagKey + targetingKey`; weights are relative integers (a missing one is 1, a negative one 0).
 */
export function fractional(args: unknown, targetingKey: unknown, flagKey: string): Variant {
  if (!Array.isArray(args) || args.length < 1) return null;
  let bucketBy: string;
  let first = 0;
  if (typeof args[0] === 'string') {
    bucketBy = args[0];
    first = 1;
  } else {
    if (!targetingKey) return null;
    bucketBy = `${flagKey}${targetingKey as string}`;
  }
  let total = 0;
  const variants: Variant[] = [];
  const weights: number[] = [];
  for (let i = first; i < args.length; i++) {
    const entry = args[i];
    if (!Array.isArray(entry) || entry.length === 0 || entry.length > 2) return null;
    const v = entry[0];
    if (
      v !== null &&
      v !== undefined &&
      typeof v !== 'string' &&
      typeof v !== 'number' &&
      typeof v !== 'boolean'
    )
      return null;
    let weight = 1;
    if (entry.length === 2) {
      if (typeof entry[1] !== 'number' || !Number.isInteger(entry[1])) return null;
      weight = Math.max(0, entry[1]);
    }
    variants.push(v ?? null);
    weights.push(weight);
    total += weight;
  }
  if (total > MAX_WEIGHT) return null;
  const bucket = bucketOf(murmur3(bucketBy), total);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i] as number;
    if (sum > bucket) return variants[i] as Variant;
  }
  return null;
}

/** A version as flagd reads it: an optional v/V prefix, and `1` or `1.2` completed to `1.2.0`. */
function version(raw: unknown): semver.SemVer | null {
  const text = String(raw).replace(/^[vV]/, '');
  const strict = semver.parse(text);
  if (strict) return strict;
  return /^\d+(\.\d+)?$/.test(text) ? semver.coerce(text) : null;
}

/** `sem_ver`: `[a, op, b]` with op one of = != < <= > >= ^ (same major) ~ (same major.minor). */
export function semVer(args: unknown): boolean | null {
  if (!Array.isArray(args) || args.length !== 3) return null;
  const a = version(args[0]);
  const b = version(args[2]);
  if (!a || !b) return null;
  const order = semver.compare(a, b);
  switch (String(args[1])) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '^':
      return a.major === b.major;
    case '~':
      return a.major === b.major && a.minor === b.minor;
    default:
      return null;
  }
}

/** `starts_with` / `ends_with`: `[text, affix]`, both strings, else null. */
export function startsWith(args: unknown): boolean | null {
  if (!Array.isArray(args) || args.length !== 2) return null;
  const [text, affix] = args;
  return typeof text === 'string' && typeof affix === 'string' ? text.startsWith(affix) : null;
}

export function endsWith(args: unknown): boolean | null {
  if (!Array.isArray(args) || args.length !== 2) return null;
  const [text, affix] = args;
  return typeof text === 'string' && typeof affix === 'string' ? text.endsWith(affix) : null;
}

/** Operators whose validity a definition check knows beyond JSON Logic's own. */
export const SEM_VER_OPERATORS = ['=', '!=', '<', '<=', '>', '>=', '^', '~'] as const;
