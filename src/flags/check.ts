/**
 * The check every flag definition passes before it is used or stored: the flagd shape, variants of
 * one type, a default that exists, and targeting that is valid JSON Logic over known operators whose
 * literal results are variants of the flag. Problems name the flag and a JSON pointer.
 */
import { suggestion } from '../config/suggest.ts';
import {
  FLAG_STATES,
  type FlagDefinition,
  type FlagProblem,
  type FlagSet,
  pointer,
  typeOfValue,
} from './definition.ts';
import { operatorNames } from './engine.ts';
import { SEM_VER_OPERATORS } from './operators.ts';

const FLAG_KEYS = ['state', 'variants', 'defaultVariant', 'targeting', 'metadata'];
const SET_KEYS = ['$schema', 'flags', '$evaluators', 'metadata'];
const OPERATORS = new Set(operatorNames());
/** Operators whose listed argument positions are what the rule returns (`if` then/else). */
const BRANCHING = new Set(['if', '?:']);

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly FlagProblem[] };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * How strict the check is. `store` (default): everything a stored flag must satisfy. `evaluate`: only
 * what flagd itself needs to read a file — targeting that returns a name that is not a variant, weights
 * not summing to 100 (or negative), and sem_ver/starts_with misuse pass, and are judged at evaluation
 * as flagd judges them, so `slipway flags evaluate` answers what flagd answers for the same file.
 */
export interface CheckOptions {
  readonly mode?: 'store' | 'evaluate';
}

/** Check a whole flagd document (`{flags, $evaluators?}`), expanding `$ref`s first. */
export function checkFlagSet(doc: unknown, options: CheckOptions = {}): Checked<FlagSet> {
  const problems: FlagProblem[] = [];
  if (!isObject(doc))
    return { ok: false, problems: [{ path: '', message: 'a flag set is a JSON object with "flags"' }] };
  for (const key of Object.keys(doc))
    if (!SET_KEYS.includes(key))
      problems.push({ path: pointer(key), message: `unknown key "${key}"${suggestion(key, SET_KEYS)}` });
  const evaluators = doc.$evaluators ?? {};
  if (!isObject(evaluators))
    problems.push({ path: '/$evaluators', message: 'must be an object of named rules' });
  if (!isObject(doc.flags)) {
    problems.push({ path: '/flags', message: 'must be an object of flags by key' });
    return { ok: false, problems };
  }
  const flags: Record<string, FlagDefinition> = {};
  for (const [key, raw] of Object.entries(doc.flags)) {
    const expanded = isObject(evaluators)
      ? expandRefs(raw, evaluators, key, pointer('flags', key), problems)
      : raw;
    const checked = checkFlag(key, expanded, pointer('flags', key), options);
    if (checked.ok) flags[key] = checked.value;
    else problems.push(...checked.problems);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: isObject(doc.metadata) ? { flags, metadata: doc.metadata as never } : { flags } };
}

/** Replace every `{"$ref": "name"}` with the named evaluator (nested references too; cycles refused). */
function expandRefs(
  node: unknown,
  evaluators: Record<string, unknown>,
  flag: string,
  path: string,
  problems: FlagProblem[],
  seen: readonly string[] = [],
): unknown {
  if (Array.isArray(node))
    return node.map((n, i) => expandRefs(n, evaluators, flag, `${path}/${i}`, problems, seen));
  if (!isObject(node)) return node;
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === '$ref') {
    const name = node.$ref;
    if (typeof name !== 'string' || !(name in evaluators)) {
      const names = Object.keys(evaluators);
      problems.push({
        flag,
        path: `${path}/$ref`,
        message: `no evaluator named ${JSON.stringify(name)} in "$evaluators"${typeof name === 'string' ? suggestion(name, names) : ''}`,
      });
      return node;
    }
    if (seen.includes(name)) {
      problems.push({
        flag,
        path: `${path}/$ref`,
        message: `evaluators refer to each other in a cycle: ${[...seen, name].join(' → ')}`,
      });
      return node;
    }
    return expandRefs(evaluators[name], evaluators, flag, pointer('$evaluators', name), problems, [
      ...seen,
      name,
    ]);
  }
  const out: Record<string, unknown> = {};
  for (const k of keys)
    out[k] = expandRefs(node[k], evaluators, flag, `${path}${pointer(k)}`, problems, seen);
  return out;
}

/** Check one flag definition (already free of `$ref`s) found at `path`. */
export function checkFlag(
  key: string,
  raw: unknown,
  path: string = pointer('flags', key),
  options: CheckOptions = {},
): Checked<FlagDefinition> {
  const problems: FlagProblem[] = [];
  const add = (at: string, message: string): void => {
    problems.push({ flag: key, path: at, message });
  };
  if (key.length === 0) add(path, 'a flag key cannot be empty');
  if (!isObject(raw)) {
    add(path, 'a flag is an object with "state", "variants" and "defaultVariant"');
    return { ok: false, problems };
  }
  for (const k of Object.keys(raw))
    if (!FLAG_KEYS.includes(k)) add(`${path}${pointer(k)}`, `unknown key "${k}"${suggestion(k, FLAG_KEYS)}`);
  if (!FLAG_STATES.includes(raw.state as never))
    add(`${path}/state`, `must be "ENABLED" or "DISABLED", not ${JSON.stringify(raw.state)}`);
  const variants = raw.variants;
  if (!isObject(variants) || Object.keys(variants).length === 0) {
    add(`${path}/variants`, 'must be an object with at least one variant, e.g. {"on": true, "off": false}');
    return { ok: false, problems };
  }
  const types = new Set(Object.values(variants).map(typeOfValue));
  for (const [name, value] of Object.entries(variants)) {
    if (name.length === 0) add(`${path}/variants`, 'a variant name cannot be empty');
    if (value === null) add(`${path}/variants${pointer(name)}`, 'a variant value cannot be null');
  }
  if (types.size > 1)
    add(
      `${path}/variants`,
      `all variants must have one type (boolean, string, number or object); found ${[...types].join(', ')}`,
    );
  const names = Object.keys(variants);
  const dflt = raw.defaultVariant;
  if (dflt !== undefined && dflt !== null) {
    if (typeof dflt !== 'string')
      add(`${path}/defaultVariant`, 'must be the name of a variant (a string) or null');
    // flagd reads such a file and answers GENERAL when the missing variant is chosen.
    else if (options.mode !== 'evaluate' && !(dflt in variants))
      add(
        `${path}/defaultVariant`,
        `no variant "${dflt}"; the variants are ${names.join(', ')}${suggestion(dflt, names)}`,
      );
  }
  if (raw.metadata !== undefined && !isObject(raw.metadata)) add(`${path}/metadata`, 'must be an object');
  const targeting = raw.targeting;
  if (targeting !== undefined && !isObject(targeting))
    add(`${path}/targeting`, 'must be a JSON Logic object (or {} for none)');
  else if (targeting !== undefined)
    checkRule(targeting, `${path}/targeting`, true, { names, add, strict: options.mode !== 'evaluate' });
  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, value: raw as unknown as FlagDefinition };
}

interface RuleScope {
  readonly names: readonly string[];
  readonly add: (at: string, message: string) => void;
  /** Refuse what flagd would only judge at evaluation (see CheckOptions). */
  readonly strict: boolean;
}

/** Walk a JSON Logic tree; `result` marks a position whose literal value the rule returns (a variant). */
function checkRule(node: unknown, path: string, result: boolean, scope: RuleScope): void {
  if (typeof node === 'string') {
    if (result && scope.strict && !scope.names.includes(node))
      scope.add(
        path,
        `returns "${node}", which is not a variant of this flag (${scope.names.join(', ')})${suggestion(node, scope.names)}`,
      );
    return;
  }
  if (Array.isArray(node)) {
    node.forEach((n, i) => {
      checkRule(n, `${path}/${i}`, false, scope);
    });
    return;
  }
  if (!isObject(node)) return;
  const keys = Object.keys(node);
  if (keys.length === 0) return;
  if (keys.length > 1) {
    scope.add(
      path,
      `a JSON Logic operation has exactly one operator; found ${keys.map((k) => `"${k}"`).join(', ')}`,
    );
    return;
  }
  const op = keys[0] as string;
  const at = `${path}${pointer(op)}`;
  if (!OPERATORS.has(op)) {
    scope.add(at, `unknown operator "${op}"${suggestion(op, [...OPERATORS])}`);
    return;
  }
  const raw = node[op];
  const args = Array.isArray(raw) ? raw : [raw];
  if (op === 'fractional') {
    checkFractional(args, at, scope);
    return;
  }
  if (op === 'sem_ver' && scope.strict) {
    if (args.length !== 3) scope.add(at, 'sem_ver takes [version, operator, version]');
    else if (typeof args[1] === 'string' && !SEM_VER_OPERATORS.includes(args[1] as never))
      scope.add(
        `${at}/1`,
        `unknown sem_ver operator "${args[1]}"; use one of ${SEM_VER_OPERATORS.join(' ')}`,
      );
  }
  if (scope.strict && (op === 'starts_with' || op === 'ends_with') && args.length !== 2)
    scope.add(at, `${op} takes [text, prefix-or-suffix]`);
  args.forEach((arg, i) => {
    const returned = BRANCHING.has(op) && (i % 2 === 1 || i === args.length - 1) && result;
    checkRule(arg, Array.isArray(raw) ? `${at}/${i}` : at, returned, scope);
  });
}

/** `fractional`: buckets `[variant, weight]` with known variants, whole non-negative weights, at most 100 in all. */
function checkFractional(args: readonly unknown[], at: string, scope: RuleScope): void {
  let first = 0;
  if (args.length > 0 && !Array.isArray(args[0])) {
    checkRule(args[0], `${at}/0`, false, scope);
    first = 1;
  }
  if (args.length - first < 1) {
    if (scope.strict) scope.add(at, 'fractional needs at least one bucket, e.g. ["on", 5], ["off", 95]');
    return;
  }
  let total = 0;
  let literal = true;
  for (let i = first; i < args.length; i++) {
    const bucket = args[i];
    const bat = `${at}/${i}`;
    if (!Array.isArray(bucket) || bucket.length === 0 || bucket.length > 2) {
      if (scope.strict) scope.add(bat, 'a bucket is [variant, weight] (or [variant] for weight 1)');
      continue;
    }
    checkRule(bucket[0], `${bat}/0`, true, scope);
    const weight = bucket.length === 2 ? bucket[1] : 1;
    if (typeof weight === 'number') {
      if (scope.strict && (!Number.isInteger(weight) || weight < 0))
        scope.add(`${bat}/1`, `a weight is a whole number from 0, not ${weight}`);
      else total += weight;
    } else {
      literal = false;
      checkRule(weight, `${bat}/1`, false, scope);
    }
  }
  if (scope.strict && literal && total > 100)
    scope.add(at, `the weights add up to ${total}, over 100; give each bucket its percentage of users`);
}
