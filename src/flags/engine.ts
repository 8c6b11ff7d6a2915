/**
 * The JSON Logic engine flags run on: json-logic-engine (the engine flagd's JavaScript evaluator
 * uses, so the standard operators behave alike) plus flagd's operators. Rules are compiled once.
 */
import { LogicEngine } from 'json-logic-engine';
import { endsWith, fractional, type RuleData, semVer, startsWith } from './operators.ts';

export type CompiledRule = (data: RuleData) => unknown;

/** A fresh engine with flagd's operators; `fractional` reads the key being evaluated from `current`. */
export function createEngine(current: { flagKey: string }): LogicEngine {
  const engine = new LogicEngine();
  engine.addMethod('fractional', (args: unknown, data: RuleData) =>
    fractional(args, data?.targetingKey, current.flagKey),
  );
  engine.addMethod('sem_ver', (args: unknown) => semVer(args));
  engine.addMethod('starts_with', (args: unknown) => startsWith(args));
  engine.addMethod('ends_with', (args: unknown) => endsWith(args));
  return engine;
}

/** Every operator name the engine knows (what a definition check accepts). */
export function operatorNames(): readonly string[] {
  return Object.keys(createEngine({ flagKey: '' }).methods);
}
