/**
 * Maps a path in the parsed config (`['environments', 'production', 'strategy']`) back to a line
 * and column in the YAML text, so every problem can say exactly where it is.
 */
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';

export type ConfigPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly column: number;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | undefined)?.range;
  return range ? range[0] : undefined;
}

// One index per mapping, built on first use: a file with thousands of problems in a mapping of
// thousands of keys would otherwise search the mapping once per problem.
const indexes = new WeakMap<YAMLMap, Map<string, Pair>>();

function keyIndex(map: YAMLMap): Map<string, Pair> {
  let index = indexes.get(map);
  if (!index) {
    index = new Map();
    for (const item of map.items) {
      if (isPair(item) && isScalar(item.key) && !index.has(String(item.key.value)))
        index.set(String(item.key.value), item as Pair);
    }
    indexes.set(map, index);
  }
  return index;
}

/**
 * The position of the value at `path`; with `key`, the position of that key inside the mapping
 * at `path` (for unknown keys). A path that does not exist points at its deepest existing parent.
 */
export function locate(doc: Document, lines: LineCounter, path: ConfigPath, key?: string): Position {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  const steps = key === undefined ? path : [...path, key];
  for (const [index, step] of steps.entries()) {
    const isKeyStep = key !== undefined && index === steps.length - 1;
    if (isMap(node)) {
      const pair = keyIndex(node).get(String(step));
      if (!pair) break;
      if (isKeyStep) {
        offset = rangeStart(pair.key) ?? offset;
        break;
      }
      // A key with no value (`weight:`) points at the key itself.
      offset = rangeStart(pair.value) ?? rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/** `environments.production.strategy.canary.steps[2].weight` */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else out += out === '' ? step : `.${step}`;
  }
  return out === '' ? '(top level)' : out;
}

/** A value as a user would describe what they wrote. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty mapping' : 'a mapping';
  return String(value);
}

export function valueAt(data: unknown, path: ConfigPath): unknown {
  let current = data;
  for (const step of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}
