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

/** A `fractional` split whose buckets are literals, weighed once when the rule is compiled. */
export interface Split {
  readonly variants: readonly Variant[];
  /** Running sums of the weights. */
  readonly upTo: readonly number[];
  readonly total: number;
}

/**
 * The split of literal buckets `[variant, weight?]...` (a missing weight is 1, a negative one 0), or
 * undefined when one is not literal or not well formed (then it is read at each evaluation).
 */
export function literalSplit(buckets: readonly unknown[]): Split | undefined {
  const variants: Variant[] = [];
  const upTo: number[] = [];
  let total = 0;
  for (const entry of buckets) {
    if (!Array.isArray(entry) || entry.length === 0 || entry.length > 2) return undefined;
    const v = entry[0] ?? null;
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      return undefined;
    let weight = 1;
    if (entry.length === 2) {
      if (typeof entry[1] !== 'number' || !Number.isInteger(entry[1])) return undefined;
      weight = Math.max(0, entry[1]);
    }
    total += weight;
    variants.push(v);
    upTo.push(total);
  }
  return { variants, upTo, total };
}

/** The variant `bucketBy` falls in: the first bucket whose running weight exceeds its bucket. */
export function pick(split: Split, bucketBy: string): Variant {
  if (split.total > MAX_WEIGHT) return null;
  const bucket = bucketOf(murmur3(bucketBy), split.total);
  for (let i = 0; i < split.upTo.length; i++)
    if ((split.upTo[i] as number) > bucket) return split.variants[i] as Variant;
  return null;
}

/**
 * `fractional`: `[bucketBy?, [variant, weight?]...]`. Without a string first argument the key is
 * `$flagd.flagKey + targetingKey`; weights are relative integers (a missing one is 1, a negative one 0).
 */
export function fractional(args: unknown, targetingKey: unknown, flagKey: string): Variant {
  if (!Array.isArray(args) || args.length < 1) return null;
  const custom = typeof args[0] === 'string';
  if (!custom && !targetingKey) return null;
  const split = literalSplit(custom ? args.slice(1) : args);
  if (!split) return null;
  return pick(split, custom ? (args[0] as string) : `${flagKey}${targetingKey as string}`);
}

/** Versions already read (few distinct ones recur: app versions, rule literals); emptied when full. */
const versions = new Map<string, semver.SemVer | null>();
const MAX_CACHED_VERSIONS = 10_000;

/** A version as flagd reads it: an optional v/V prefix, and `1` or `1.2` completed to `1.2.0`. */
function version(raw: unknown): semver.SemVer | null {
  const text = String(raw);
  const known = versions.get(text);
  if (known !== undefined) return known;
  const bare = text.replace(/^[vV]/, '');
  const parsed = semver.parse(bare) ?? (/^\d+(\.\d+)?$/.test(bare) ? semver.coerce(bare) : null);
  if (versions.size >= MAX_CACHED_VERSIONS) versions.clear();
  versions.set(text, parsed);
  return parsed;
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
