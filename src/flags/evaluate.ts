/**
 * Evaluation with flagd's semantics and OpenFeature's result shape: `{value, variant, reason,
 * errorCode}`. Rules are compiled once per flag set; an evaluation never throws (a bad context or a
 * failing rule gives the caller's default with an error code).
 */

import { type FlagDefinition, type FlagSet, type FlagType, type FlagValue, flagType } from './definition.ts';
import { type CompiledRule, compileRule, createEngine, type EngineState, prepareSplits } from './engine.ts';

/** OpenFeature's resolution reasons and error codes, as strings (the spec's wire values). */
export type Reason = 'STATIC' | 'DEFAULT' | 'TARGETING_MATCH' | 'DISABLED' | 'ERROR';
export type EvaluationErrorCode =
  | 'FLAG_NOT_FOUND'
  | 'PARSE_ERROR'
  | 'TYPE_MISMATCH'
  | 'TARGETING_KEY_MISSING'
  | 'INVALID_CONTEXT'
  | 'GENERAL';

export interface Resolution<T = unknown> {
  readonly value: T;
  readonly variant?: string;
  readonly reason: Reason;
  readonly errorCode?: EvaluationErrorCode;
  readonly errorMessage?: string;
  readonly flagMetadata?: { readonly [key: string]: string | number | boolean };
}

export type EvaluationContext = { readonly [key: string]: unknown };

interface Compiled {
  readonly key: string;
  readonly def: FlagDefinition;
  readonly type: FlagType;
  readonly rule: CompiledRule | undefined;
  /** The rule reads `$flagd.*`, so the data it sees must carry them (a copy of the context). */
  readonly readsFlagd: boolean;
  readonly metadata: { readonly [key: string]: string | number | boolean };
}

/** A checked flag set made ready to evaluate. */
export class CompiledFlags {
  readonly #flags = new Map<string, Compiled>();
  readonly #current: EngineState = { flagKey: '', splits: [], operatorError: false };
  readonly set: FlagSet;
  /** Flags present but unable to run (see parseFlagFileForEvaluation): they answer PARSE_ERROR. */
  readonly #broken: ReadonlyMap<string, string>;

  constructor(set: FlagSet, broken: ReadonlyMap<string, string> = new Map()) {
    this.set = set;
    this.#broken = broken;
    const engine = createEngine(this.#current);
    for (const [key, def] of Object.entries(set.flags)) {
      const hasRule =
        typeof def.targeting === 'object' && def.targeting !== null && Object.keys(def.targeting).length > 0;
      const text = hasRule ? JSON.stringify(def.targeting) : '';
      this.#flags.set(key, {
        key,
        def,
        type: flagType(def),
        rule: hasRule
          ? compileRule(engine, prepareSplits(def.targeting, this.#current.splits), this.#current, key)
          : undefined,
        readsFlagd: text.includes('$flagd'),
        metadata: { ...set.metadata, ...def.metadata },
      });
    }
  }

  keys(): readonly string[] {
    return [...this.#flags.keys()];
  }

  get(key: string): FlagDefinition | undefined {
    return this.#flags.get(key)?.def;
  }

  /**
   * Evaluate one flag. `type` is what the caller expects (a different flag type is TYPE_MISMATCH);
   * undefined takes the flag's own type.
   *
   * @example flags.evaluate('new-checkout', 'boolean', false, { targetingKey: 'user-17' })
   */
  evaluate<T>(key: string, type: FlagType | undefined, defaultValue: T, context: unknown): Resolution<T> {
    const flag = this.#flags.get(key);
    const broken = flag ? undefined : this.#broken.get(key);
    if (broken !== undefined)
      return { value: defaultValue, reason: 'ERROR', errorCode: 'PARSE_ERROR', errorMessage: broken };
    if (!flag)
      return {
        value: defaultValue,
        reason: 'ERROR',
        errorCode: 'FLAG_NOT_FOUND',
        errorMessage: `flag "${key}" not found`,
      };
    if (flag.def.state === 'DISABLED')
      return { value: defaultValue, reason: 'DISABLED', flagMetadata: flag.metadata };
    if (typeof context !== 'object' || context === null || Array.isArray(context))
      return error(defaultValue, 'INVALID_CONTEXT', 'the evaluation context must be an object', flag);
    const resolved = this.#resolve(flag, context as EvaluationContext);
    if (resolved.errorCode !== undefined || resolved.variant === undefined)
      return { ...resolved, value: defaultValue } as Resolution<T>;
    if (type !== undefined && type !== flag.type)
      return error(defaultValue, 'TYPE_MISMATCH', `flag "${key}" is of type ${flag.type}, not ${type}`, flag);
    return resolved as Resolution<T>;
  }

  #resolve(flag: Compiled, context: EvaluationContext): Resolution<FlagValue | undefined> {
    const { def } = flag;
    let variant: string | null | undefined;
    let reason: Reason;
    if (flag.rule === undefined) {
      variant = def.defaultVariant;
      reason = 'STATIC';
    } else {
      let out: unknown;
      try {
        this.#current.flagKey = flag.key;
        this.#current.operatorError = false;
        out = flag.rule(flag.readsFlagd ? withFlagd(context, flag.key) : context);
      } catch (e) {
        return {
          value: undefined,
          reason: 'ERROR',
          errorCode: 'GENERAL',
          errorMessage: `targeting of flag "${flag.key}" failed: ${(e as Error).message}`,
          flagMetadata: flag.metadata,
        };
      }
      // An operator used wrongly voids the whole rule: the default variant (flagd test bed).
      if (out === null || out === undefined || this.#current.operatorError) {
        variant = def.defaultVariant;
        reason = 'DEFAULT';
      } else {
        variant = String(out);
        reason = 'TARGETING_MATCH';
      }
    }
    if (variant === null || variant === undefined)
      return { value: undefined, reason: 'DEFAULT', flagMetadata: flag.metadata };
    const value = Object.hasOwn(def.variants, variant) ? def.variants[variant] : undefined;
    if (value === undefined)
      return {
        value: undefined,
        reason: 'ERROR',
        errorCode: 'GENERAL',
        errorMessage: `flag "${flag.key}" resolved to "${variant}", which is not one of its variants`,
        flagMetadata: flag.metadata,
      };
    return { value, variant, reason, flagMetadata: flag.metadata };
  }
}

function withFlagd(context: EvaluationContext, flagKey: string): EvaluationContext {
  return { ...context, $flagd: { flagKey, timestamp: Math.floor(Date.now() / 1000) } };
}

function error<T>(
  value: T,
  errorCode: EvaluationErrorCode,
  errorMessage: string,
  flag: Compiled,
): Resolution<T> {
  return { value, reason: 'ERROR', errorCode, errorMessage, flagMetadata: flag.metadata };
}
