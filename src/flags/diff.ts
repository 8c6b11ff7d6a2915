/** Drift between two environments' flags: what differs, flag by flag, in words (pure). */
import { isDeepStrictEqual } from 'node:util';
import type { FlagDefinition } from './definition.ts';

export interface FlagDrift {
  readonly key: string;
  /** What differs: "only in staging", "state ENABLED ≠ DISABLED", "targeting", … */
  readonly differences: readonly string[];
}

const FIELDS = ['state', 'defaultVariant', 'variants', 'targeting', 'metadata'] as const;

/** Flags that differ between `a` (named `aName`) and `b`, by key; identical flags are left out. */
export function diffFlags(
  aName: string,
  a: ReadonlyMap<string, FlagDefinition>,
  bName: string,
  b: ReadonlyMap<string, FlagDefinition>,
): FlagDrift[] {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: FlagDrift[] = [];
  for (const key of keys) {
    const x = a.get(key);
    const y = b.get(key);
    if (!x || !y) {
      out.push({ key, differences: [`only in ${x ? aName : bName}`] });
      continue;
    }
    const differences: string[] = [];
    for (const f of FIELDS) {
      const u = x[f] ?? (f === 'targeting' || f === 'metadata' ? {} : null);
      const v = y[f] ?? (f === 'targeting' || f === 'metadata' ? {} : null);
      if (isDeepStrictEqual(u, v)) continue;
      differences.push(
        f === 'state' || f === 'defaultVariant'
          ? `${f} ${JSON.stringify(u)} in ${aName}, ${JSON.stringify(v)} in ${bName}`
          : `${f} differ`,
      );
    }
    if (differences.length > 0) out.push({ key, differences });
  }
  return out;
}
