/**
 * Flag definitions in the flagd format (the OpenFeature project's flag definition schema): a flag
 * set is `{ flags: { KEY: { state, variants, defaultVariant, targeting?, metadata? } }, $evaluators? }`.
 */

export type FlagValue = boolean | string | number | { readonly [key: string]: unknown } | readonly unknown[];
export type FlagType = 'boolean' | 'string' | 'number' | 'object';
export const FLAG_STATES = ['ENABLED', 'DISABLED'] as const;
export type FlagState = (typeof FLAG_STATES)[number];

export interface FlagDefinition {
  readonly state: FlagState;
  readonly variants: { readonly [variant: string]: FlagValue };
  readonly defaultVariant?: string | null;
  /** JSON Logic; `{}` or absent means the default variant for everyone (reason STATIC). */
  readonly targeting?: unknown;
  readonly metadata?: { readonly [key: string]: string | number | boolean };
}

/** A checked flag set: `$ref`s expanded, every flag valid. */
export interface FlagSet {
  readonly flags: { readonly [key: string]: FlagDefinition };
  readonly metadata?: { readonly [key: string]: string | number | boolean };
}

/** One reason a definition is refused: the flag, a JSON pointer into the document, and what to fix. */
export interface FlagProblem {
  readonly flag?: string;
  readonly path: string;
  readonly message: string;
}

/** The type of a flag's values (all its variants share one). */
export function flagType(flag: FlagDefinition): FlagType {
  const first = Object.values(flag.variants)[0];
  return typeOfValue(first);
}

export function typeOfValue(value: unknown): FlagType {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  return 'object';
}

/** A JSON pointer segment (RFC 6901). */
export const pointer = (...parts: readonly (string | number)[]): string =>
  parts.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

/** "flag new-checkout at /flags/new-checkout/targeting/if/0: …", the one way problems are printed. */
export function describeProblem(p: FlagProblem): string {
  return `${p.flag === undefined ? '' : `flag "${p.flag}" `}at ${p.path || '/'}: ${p.message}`;
}
