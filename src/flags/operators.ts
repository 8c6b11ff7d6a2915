/**
 * flagd's custom JSON Logic operators (`fractional`, `sem_ver`, `starts_with`, `ends_with`), written
 * to flagd's documented semantics, never throwing. A malformed use (a version that is not one, a
 * non-string affix, a wrong argument count, no bucketing key, weights summing to 0) is an operator
 * error: the operator reports it through `onError` and yields null, and the evaluation then gives the
 * flag's default variant with reason DEFAULT, as flagd's test bed requires (flagd issue 1874) —
 * not the `else` branch a plain null would pick.
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

/** Called by an operator that was used wrongly (the evaluation falls back to the default variant). */
export type OnError = () => null;

/** The variant `bucketBy` falls in: the first bucket whose running weight exceeds its bucket. */
export function pick(split: Split, bucketBy: string): Variant {
  if (split.total > MAX_WEIGHT) return null;
  const bucket = bucketOf(murmur3(bucketBy), split.total);
  for (let i = 0; i < split.upTo.length; i++)
    if ((split.upTo[i] as number) > bucket) return split.variants[i] as Variant;
  return null;
}

/**
 * A split ready to pick from with the bucketing key it needs (`undefined`: none needed, one bucket),
 * or null for an operator error: weights summing to 0 or past flagd's limit, or no key to hash.
 */
export function splitKey(split: Split, bucketBy: unknown): string | undefined | null {
  if (split.total <= 0 || split.total > MAX_WEIGHT) return null;
  // One bucket takes everyone, key or not (flagd test bed: "single entry always resolves").
  if (split.variants.length === 1) return undefined;
  return typeof bucketBy === 'string' ? bucketBy : null;
}

/** The bucketing key without a custom one: `$flagd.flagKey + targetingKey` (null when there is no key). */
export function defaultKey(flagKey: string, targetingKey: unknown): string | null {
  return typeof targetingKey === 'string' && targetingKey !== '' ? `${flagKey}${targetingKey}` : null;
}

/**
 * `fractional`: `[bucketBy?, [variant, weight?]...]`. Without a string first argument the key is
 * `$flagd.flagKey + targetingKey`; weights are relative integers (a missing one is 1, a negative one 0).
 * A first argument that evaluated to null (a missing attribute) is dropped, as flagd (Go) does.
 */
export function fractional(args: unknown, targetingKey: unknown, flagKey: string, onError: OnError): Variant {
  if (!Array.isArray(args) || args.length < 1) return onError();
  const custom = typeof args[0] === 'string';
  const buckets = custom || args[0] === null ? args.slice(1) : args;
  const split = literalSplit(buckets);
  if (!split) return onError();
  const key = splitKey(split, custom ? args[0] : defaultKey(flagKey, targetingKey));
  if (key === null) return onError();
  return key === undefined ? (split.variants[0] as Variant) : pick(split, key);
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
export function semVer(args: unknown, onError: OnError): boolean | null {
  if (!Array.isArray(args) || args.length !== 3) return onError();
  const a = version(args[0]);
  const b = version(args[2]);
  if (!a || !b) return onError();
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
      return onError();
  }
}

/** `starts_with` / `ends_with`: `[text, affix]`, both strings, else null. */
export function startsWith(args: unknown, onError: OnError): boolean | null {
  if (!Array.isArray(args) || args.length !== 2) return onError();
  const [text, affix] = args;
  return typeof text === 'string' && typeof affix === 'string' ? text.startsWith(affix) : onError();
}

export function endsWith(args: unknown, onError: OnError): boolean | null {
  if (!Array.isArray(args) || args.length !== 2) return onError();
  const [text, affix] = args;
  return typeof text === 'string' && typeof affix === 'string' ? text.endsWith(affix) : onError();
}

/** Operators whose validity a definition check knows beyond JSON Logic's own. */
export const SEM_VER_OPERATORS = ['=', '!=', '<', '<=', '>', '>=', '^', '~'] as const;
