/**
 * The JSON Logic engine flags run on: json-logic-engine (the engine flagd's JavaScript evaluator
 * uses, so the standard operators behave alike) plus flagd's operators. Rules are compiled once;
 * `fractional` splits with literal buckets are weighed at compile time (see `prepareSplits`).
 */
import { LogicEngine } from 'json-logic-engine';
import {
  defaultKey,
  endsWith,
  fractional,
  literalSplit,
  pick,
  type RuleData,
  type Split,
  semVer,
  splitKey,
  startsWith,
} from './operators.ts';

export type CompiledRule = (data: RuleData) => unknown;

/** What the engine's operators read at evaluation time: the flag being evaluated and its splits. */
export interface EngineState {
  flagKey: string;
  readonly splits: Split[];
  /** Set by an operator used wrongly during the current evaluation (reset before each). */
  operatorError: boolean;
}

/** The variant of a prepared split for a bucketing key (see `splitKey`), flagging operator errors. */
function fromSplit(state: EngineState, split: Split, bucketBy: unknown): unknown {
  const key = splitKey(split, bucketBy);
  if (key === null) {
    state.operatorError = true;
    return null;
  }
  return key === undefined ? split.variants[0] : pick(split, key);
}

/** Internal operator for a prepared split; not a name users may write (the check refuses it). */
const SPLIT = '$slipway_split';

/** A fresh engine with flagd's operators. */
export function createEngine(state: EngineState): LogicEngine {
  const engine = new LogicEngine();
  const onError = (): null => {
    state.operatorError = true;
    return null;
  };
  engine.addMethod('fractional', (args: unknown, data: RuleData) =>
    fractional(args, data?.targetingKey, state.flagKey, onError),
  );
  engine.addMethod(SPLIT, (args: unknown, data: RuleData) => {
    const [index, bucketBy] = args as [number, unknown];
    const split = state.splits[index] as Split;
    // A custom key that evaluated to null falls back to the targeting key (flagd's Go evaluator).
    const key =
      (args as unknown[]).length === 2 && bucketBy !== null
        ? bucketBy
        : defaultKey(state.flagKey, data?.targetingKey);
    return fromSplit(state, split, key);
  });
  engine.addMethod('sem_ver', (args: unknown) => semVer(args, onError));
  engine.addMethod('starts_with', (args: unknown) => startsWith(args, onError));
  engine.addMethod('ends_with', (args: unknown) => endsWith(args, onError));
  return engine;
}

/**
 * A prepared rule as a function. A rule that is nothing but a split on the targeting key (a plain
 * percentage rollout) skips the engine: it is the same hash and walk the engine's operator does.
 */
export function compileRule(
  engine: LogicEngine,
  prepared: unknown,
  state: EngineState,
  flagKey: string,
): CompiledRule {
  const args = isObject(prepared) ? prepared[SPLIT] : undefined;
  if (Array.isArray(args) && args.length === 1) {
    const split = state.splits[args[0] as number] as Split;
    return (data) => fromSplit(state, split, defaultKey(flagKey, data?.targetingKey));
  }
  return engine.build(prepared) as CompiledRule;
}

/** Every operator name a flag definition may use. */
export function operatorNames(): readonly string[] {
  return Object.keys(createEngine({ flagKey: '', splits: [], operatorError: false }).methods).filter(
    (m) => m !== SPLIT,
  );
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A copy of a rule with each `fractional` whose buckets are literals replaced by a prepared split
 * (appended to `splits`), so an evaluation only hashes and walks running sums. Only bucketing keys
 * that are surely strings or absent are prepared (a literal string, `cat`, or the targeting key);
 * anything else stays `fractional` and is read as flagd reads it.
 */
export function prepareSplits(rule: unknown, splits: Split[]): unknown {
  if (Array.isArray(rule)) return rule.map((r) => prepareSplits(r, splits));
  if (!isObject(rule)) return rule;
  const keys = Object.keys(rule);
  if (keys.length === 1 && keys[0] === 'fractional' && Array.isArray(rule.fractional)) {
    const args = rule.fractional as unknown[];
    const first = args[0];
    const keyed =
      typeof first === 'string' || (isObject(first) && Object.keys(first).length === 1 && 'cat' in first);
    if (keyed || Array.isArray(first)) {
      const split = literalSplit(keyed ? args.slice(1) : args);
      if (split && split.variants.length > 0) {
        splits.push(split);
        const index = splits.length - 1;
        return { [SPLIT]: keyed ? [index, prepareSplits(first, splits)] : [index] };
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = prepareSplits(rule[k], splits);
  return out;
}
