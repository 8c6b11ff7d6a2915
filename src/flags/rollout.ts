/**
 * Pure edits of a flag definition: a percentage rollout (one `fractional` split moved, or made) and a
 * kill (everyone gets the off variant). The result is checked like any definition before it is stored.
 */
import { AppError } from '../domain/errors.ts';
import type { FlagDefinition } from './definition.ts';

export interface RolloutOptions {
  /** Percentage of users (0–100) who get `variant`. */
  readonly percent: number;
  /** The variant rolled out; default "on" when there is one, else the first that is not the default. */
  readonly variant?: string;
  /** Bucket by this context attribute instead of the targeting key (a new split only), e.g. userId. */
  readonly by?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The variant everyone else gets: the default variant, or the first other one. */
export function offVariant(def: FlagDefinition, on: string): string {
  const names = Object.keys(def.variants);
  if (def.defaultVariant && def.defaultVariant !== on) return def.defaultVariant;
  const other = names.find((n) => n !== on);
  if (!other) throw new AppError('USAGE', `a rollout needs two variants; the flag has only "${on}"`);
  return other;
}

export function rolloutVariant(def: FlagDefinition, wanted?: string): string {
  const names = Object.keys(def.variants);
  if (wanted !== undefined) {
    if (!names.includes(wanted))
      throw new AppError('USAGE', `--variant ${wanted}: the flag's variants are ${names.join(', ')}`);
    return wanted;
  }
  if (names.includes('on')) return 'on';
  const first = names.find((n) => n !== def.defaultVariant);
  if (!first) throw new AppError('USAGE', 'a rollout needs two variants; the flag has one');
  return first;
}

/** The flag with `percent`% of users on the rolled-out variant, enabled. */
export function withRollout(def: FlagDefinition, o: RolloutOptions): FlagDefinition {
  if (!Number.isInteger(o.percent) || o.percent < 0 || o.percent > 100)
    throw new AppError('USAGE', `--percent ${o.percent}: a whole number from 0 to 100`);
  const on = rolloutVariant(def, o.variant);
  const off = offVariant(def, on);
  const splits = findFractionals(def.targeting);
  const empty = !isObject(def.targeting) || Object.keys(def.targeting).length === 0;
  let targeting: unknown;
  if (splits.length === 0 && empty) {
    const buckets = [
      [on, o.percent],
      [off, 100 - o.percent],
    ];
    targeting = {
      fractional: o.by ? [{ cat: [{ var: '$flagd.flagKey' }, { var: o.by }] }, ...buckets] : buckets,
    };
  } else if (splits.length === 1) {
    targeting = structuredClone(def.targeting);
    const [split] = findFractionals(targeting) as [unknown[]];
    let moved = false;
    for (const bucket of split) {
      if (!Array.isArray(bucket)) continue;
      if (bucket[0] === on) {
        bucket[1] = o.percent;
        moved = true;
      } else bucket[1] = 0;
    }
    const rest = split.filter((b) => Array.isArray(b) && b[0] !== on) as unknown[][];
    if (!moved || rest.length === 0)
      throw new AppError(
        'USAGE',
        `the flag's split has no bucket for "${on}" and another variant; edit it with \`slipway flags set\``,
      );
    (rest[0] as unknown[])[1] = 100 - o.percent;
  } else {
    throw new AppError(
      'USAGE',
      `the flag's targeting has ${splits.length === 0 ? 'no fractional split' : `${splits.length} fractional splits`} to move; edit it with \`slipway flags set\``,
    );
  }
  return { ...def, state: 'ENABLED', targeting };
}

/** Everyone gets `variant` (default: the off variant): targeting cleared, the flag enabled. */
export function withKill(def: FlagDefinition, variant?: string): FlagDefinition {
  const names = Object.keys(def.variants);
  const off = variant ?? (def.defaultVariant || (names.includes('off') ? 'off' : undefined));
  if (off === undefined || !names.includes(off))
    throw new AppError('USAGE', `name the variant everyone gets with --variant (one of ${names.join(', ')})`);
  return { ...def, state: 'ENABLED', defaultVariant: off, targeting: {} };
}

/** The `fractional` argument lists in a JSON Logic tree (live references into it). */
export function findFractionals(node: unknown): unknown[][] {
  if (Array.isArray(node)) return node.flatMap(findFractionals);
  if (!isObject(node)) return [];
  const out: unknown[][] = [];
  for (const [k, v] of Object.entries(node)) {
    if (k === 'fractional' && Array.isArray(v)) out.push(v);
    else out.push(...findFractionals(v));
  }
  return out;
}

/** The share of users on `variant` in the flag's only split, or undefined when there is none. */
export function rolloutPercent(def: FlagDefinition, variant: string): number | undefined {
  const splits = findFractionals(def.targeting);
  if (splits.length !== 1) return undefined;
  const buckets = (splits[0] as unknown[]).filter(Array.isArray) as unknown[][];
  const total = buckets.reduce((s, b) => s + (typeof b[1] === 'number' ? b[1] : b.length === 1 ? 1 : 0), 0);
  const mine = buckets.find((b) => b[0] === variant);
  if (!mine || total === 0) return undefined;
  return (100 * (typeof mine[1] === 'number' ? mine[1] : 1)) / total;
}
