/**
 * The value types a `config.require` entry can name, and checking one value against its type.
 * Pure: no I/O. A type spec is either a string (`url`, `enum(debug,info)`) or an object
 * `{ type, optional?, default? }`.
 */
import { AppError } from '../../domain/errors.ts';
import { parseDuration as parseUnitDuration } from '../units.ts';

export const VALUE_TYPE_NAMES = [
  'string',
  'url',
  'int',
  'bool',
  'enum',
  'duration',
  'port',
  'secret',
] as const;
export type ValueTypeName = (typeof VALUE_TYPE_NAMES)[number];

/** A `require` entry as written in slipway.yaml. */
export type RequireSpec =
  | string
  | { readonly type: string; readonly optional?: boolean; readonly default?: string | number | boolean };

export interface ValueType {
  readonly kind: ValueTypeName;
  /** The allowed values of an `enum(...)`; empty for other kinds. */
  readonly choices: readonly string[];
  readonly optional: boolean;
  readonly default: string | undefined;
}

/** How a type is written back to a user, e.g. in "expected enum(debug,info)". */
export function describeType(type: ValueType): string {
  return type.kind === 'enum' ? `enum(${type.choices.join(',')})` : type.kind;
}

/** Parse one `require` entry; an unknown type is an AppError naming the key and the types there are. */
export function parseValueType(key: string, spec: RequireSpec): ValueType {
  const raw = typeof spec === 'string' ? spec : spec?.type;
  if (typeof raw !== 'string') {
    throw new AppError(
      'CONFIG_INVALID',
      `config.require.${key}: expected a type name or { type, optional, default }; got ${JSON.stringify(spec)}`,
    );
  }
  const optional = typeof spec === 'object' && spec.optional === true;
  const def = typeof spec === 'object' && spec.default !== undefined ? String(spec.default) : undefined;
  const text = raw.trim();
  const enumMatch = /^enum\((.*)\)$/s.exec(text);
  let type: ValueType;
  if (enumMatch) {
    const choices = enumMatch[1]!
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '');
    if (choices.length === 0) {
      throw new AppError(
        'CONFIG_INVALID',
        `config.require.${key}: enum() needs at least one value, e.g. enum(a,b)`,
      );
    }
    type = { kind: 'enum', choices, optional, default: def };
  } else if ((VALUE_TYPE_NAMES as readonly string[]).includes(text) && text !== 'enum') {
    type = { kind: text as ValueTypeName, choices: [], optional, default: def };
  } else {
    throw new AppError(
      'CONFIG_INVALID',
      `config.require.${key}: unknown type "${text}"; use one of string, url, int, bool, enum(a,b), duration, port, secret`,
    );
  }
  if (def !== undefined && type.kind === 'secret') {
    throw new AppError(
      'CONFIG_INVALID',
      `config.require.${key}: a secret cannot have a default; remove "default"`,
    );
  }
  if (def !== undefined) {
    const problem = checkValue(type, def);
    if (problem) {
      throw new AppError(
        'CONFIG_INVALID',
        `config.require.${key}: default ${JSON.stringify(def)} ${problem}`,
      );
    }
  }
  return type;
}

/** `250ms`, `30s`, `10m`, `1h`, `1h30m` → milliseconds; undefined when not a duration (units.ts's grammar). */
export function parseDuration(text: string): number | undefined {
  return parseUnitDuration(text) ?? undefined;
}

const TRUE_WORDS = ['true', '1', 'yes'];
const FALSE_WORDS = ['false', '0', 'no'];

/** `true/false/1/0/yes/no` (any case) → boolean; undefined otherwise. */
export function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (TRUE_WORDS.includes(t)) return true;
  if (FALSE_WORDS.includes(t)) return false;
  return undefined;
}

/**
 * Check one present value against its type. Returns undefined when valid, otherwise the end of a
 * sentence saying what is wrong ("is not a whole number"), never including the value itself so a
 * caller can decide how (and whether) to show it.
 */
export function checkValue(type: ValueType, value: string): string | undefined {
  switch (type.kind) {
    case 'string':
    case 'secret':
      return undefined;
    case 'url': {
      if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value)) {
        return 'is not a URL with a scheme (expected e.g. postgres://db.internal:5432/shop)';
      }
      try {
        new URL(value);
        return undefined;
      } catch {
        return 'is not a valid URL (check for spaces or unescaped characters)';
      }
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
        return 'is not a whole number (expected e.g. 4)';
      }
      return undefined;
    }
    case 'bool':
      return parseBool(value) === undefined
        ? 'is not a boolean (expected true/false, 1/0 or yes/no)'
        : undefined;
    case 'enum':
      return type.choices.includes(value) ? undefined : `is not one of ${type.choices.join(', ')}`;
    case 'duration':
      return parseDuration(value.trim()) === undefined
        ? 'is not a duration (expected e.g. 250ms, 30s, 10m, 1h or 1h30m)'
        : undefined;
    case 'port': {
      const n = Number(value.trim());
      if (!/^\d+$/.test(value.trim()) || n < 1 || n > 65535) return 'is not a port (expected 1-65535)';
      return undefined;
    }
  }
}
