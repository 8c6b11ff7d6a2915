/**
 * Resolving the config values of one environment, and explaining where each came from.
 *
 * Precedence, lowest to highest (a later layer overrides an earlier one):
 *   1. shared `config.values` in slipway.yaml
 *   2. `environments.<env>.config.values`
 *   3. `.env` file(s), in the order given (a later file overrides an earlier one)
 *   4. values stored in slipway (`slipway config set`)
 *   5. the process environment — only for keys declared in `require`, so a stray shell variable
 *      never leaks into an app.
 * Keys of type `secret` (and the environment's `secrets:` list) come from the secret store only;
 * plain values for them in the layers above are ignored and listed as such, and a secret written in
 * slipway.yaml is reported by `checkResolved`, because it is committed in plain text.
 * Pure: the caller reads files and the secret store and passes plain objects.
 */
import { looksLikeSecretName } from '../../secrets/key-names.ts';
import type { DotenvFile } from './dotenv-files.ts';
import { parseValueType, type RequireSpec, type ValueType } from './types.ts';

type Scalar = string | number | boolean | null;

/** The config block of slipway.yaml (shared or per environment). */
export interface ConfigBlock {
  readonly require?: Readonly<Record<string, RequireSpec>>;
  readonly values?: Readonly<Record<string, Scalar>>;
  readonly mustMatch?: readonly string[];
}

export interface ResolveInput {
  readonly env: string;
  readonly shared?: ConfigBlock;
  readonly environment?: ConfigBlock & { readonly secrets?: readonly string[] };
  readonly dotenv?: readonly DotenvFile[];
  readonly stored?: Readonly<Record<string, string>>;
  readonly processEnv?: Readonly<Record<string, string | undefined>>;
  /** Secret values read from the store for this environment, by key. Absent key = not in the store. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Name of the secret store, for messages ("local", "vault"). */
  readonly secretStoreName?: string;
}

export type SourceKind =
  | 'shared'
  | 'environment'
  | 'dotenv'
  | 'stored'
  | 'process'
  | 'secret-store'
  | 'default';

export interface Source {
  readonly kind: SourceKind;
  /** Human label: `slipway.yaml config.values`, `.env.production`, ... */
  readonly label: string;
}

export interface Overridden {
  readonly source: Source;
  /** Redacted for secret keys. */
  readonly value: string;
}

export interface ResolvedKey {
  readonly key: string;
  /** undefined when the key is not declared in `require` (a plain value). */
  readonly type: ValueType | undefined;
  /** The parse error of a bad `require` entry, if any. */
  readonly typeError: string | undefined;
  readonly secret: boolean;
  /** Secret, or named like a credential (DB_PASSWORD): its value is never shown. */
  readonly sensitive: boolean;
  /** The final value (real, not redacted): only for injection into the app. */
  readonly value: string | undefined;
  readonly source: Source | undefined;
  /** Lower-precedence values this one replaced, highest first. */
  readonly overrode: readonly Overridden[];
  /** Plain values given for a secret key, which are not used. */
  readonly ignored: readonly Overridden[];
}

export interface Resolution {
  readonly env: string;
  readonly keys: readonly ResolvedKey[];
  readonly secretStoreName: string;
}

export const REDACTED = '[redacted]';

function scalarText(v: Scalar): string | undefined {
  if (v === null || v === undefined) return undefined;
  // A list or map where a scalar belongs is passed as JSON, so the type check can name it.
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Resolve every key that is declared or given a value anywhere; sorted by key. */
export function resolveConfig(input: ResolveInput): Resolution {
  const envName = input.env;
  const requires: Record<string, RequireSpec> = {
    ...(input.shared?.require ?? {}),
    ...(input.environment?.require ?? {}),
  };
  const secretNames = new Set(input.environment?.secrets ?? []);
  for (const name of secretNames) if (!(name in requires)) requires[name] = 'secret';

  const layers: { source: Source; values: Record<string, string | undefined> }[] = [];
  const fromScalars = (values: Readonly<Record<string, Scalar>> | undefined) =>
    Object.fromEntries(Object.entries(values ?? {}).map(([k, v]) => [k, scalarText(v)]));
  layers.push({
    source: { kind: 'shared', label: 'slipway.yaml config.values' },
    values: fromScalars(input.shared?.values),
  });
  layers.push({
    source: { kind: 'environment', label: `slipway.yaml environments.${envName}.config.values` },
    values: fromScalars(input.environment?.values),
  });
  for (const f of input.dotenv ?? [])
    layers.push({ source: { kind: 'dotenv', label: f.file }, values: { ...f.values } });
  layers.push({
    source: { kind: 'stored', label: 'stored in slipway' },
    values: { ...(input.stored ?? {}) },
  });
  const declaredEnv: Record<string, string | undefined> = {};
  for (const key of Object.keys(requires)) declaredEnv[key] = input.processEnv?.[key];
  layers.push({ source: { kind: 'process', label: 'process environment' }, values: declaredEnv });

  const allKeys = new Set<string>(Object.keys(requires));
  for (const layer of layers)
    for (const [k, v] of Object.entries(layer.values)) if (v !== undefined) allKeys.add(k);

  const storeName = input.secretStoreName ?? 'secret store';
  const keys: ResolvedKey[] = [];
  for (const key of [...allKeys].sort()) {
    let type: ValueType | undefined;
    let typeError: string | undefined;
    if (key in requires) {
      try {
        type = parseValueType(key, requires[key]!);
      } catch (err) {
        typeError = (err as Error).message;
      }
    }
    const secret =
      type?.kind === 'secret' || secretNames.has(key) || /^\s*secret\s*$/.test(String(requires[key] ?? ''));
    const sensitive = secret || looksLikeSecretName(key);
    const given: Overridden[] = [];
    for (const layer of layers) {
      const v = layer.values[key];
      if (v !== undefined) given.push({ source: layer.source, value: v });
    }
    given.reverse(); // highest precedence first
    const shown = (o: Overridden): Overridden => (sensitive ? { source: o.source, value: REDACTED } : o);
    if (secret) {
      const value = input.secrets?.[key];
      keys.push({
        key,
        type,
        typeError,
        secret,
        sensitive,
        value,
        source:
          value === undefined ? undefined : { kind: 'secret-store', label: `secret store (${storeName})` },
        overrode: [],
        ignored: given.map(shown),
      });
      continue;
    }
    const [winner, ...rest] = given;
    if (winner === undefined && type?.default !== undefined) {
      keys.push({
        key,
        type,
        typeError,
        secret,
        sensitive,
        value: type.default,
        source: { kind: 'default', label: 'default in require' },
        overrode: [],
        ignored: [],
      });
      continue;
    }
    keys.push({
      key,
      type,
      typeError,
      secret,
      sensitive,
      value: winner?.value,
      source: winner?.source,
      overrode: rest.map(shown),
      ignored: [],
    });
  }
  return { env: envName, keys, secretStoreName: storeName };
}

/** The values to hand to the app's processes (secrets included, real values). */
export function resolvedVars(resolution: Resolution): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const k of resolution.keys) if (k.value !== undefined) vars[k.key] = k.value;
  return vars;
}

export interface ExplainLine {
  readonly key: string;
  readonly type: string;
  /** Final value, `[redacted]` for secrets, undefined when missing. */
  readonly value: string | undefined;
  readonly source: string;
  readonly overrode: readonly { readonly source: string; readonly value: string }[];
  readonly ignored: readonly { readonly source: string; readonly value: string }[];
}

/** `slipway config explain`: every key, its final value (secrets redacted), its source and what it overrode. */
export function explain(resolution: Resolution): ExplainLine[] {
  return resolution.keys.map((k) => ({
    key: k.key,
    type: k.type
      ? k.type.kind === 'enum'
        ? `enum(${k.type.choices.join(',')})`
        : k.type.kind
      : 'undeclared',
    value: k.value === undefined ? undefined : k.sensitive ? REDACTED : k.value,
    source: k.source?.label ?? 'missing',
    overrode: k.overrode.map((o) => ({ source: o.source.label, value: o.value })),
    ignored: k.ignored.map((o) => ({ source: o.source.label, value: o.value })),
  }));
}

/** Plain-text rendering of `explain`, one key per line plus indented overridden values. */
export function formatExplain(lines: readonly ExplainLine[]): string {
  const out: string[] = [];
  for (const l of lines) {
    out.push(`${l.key} (${l.type}) = ${l.value ?? '<missing>'}   from ${l.source}`);
    for (const o of l.overrode) out.push(`    overrode ${o.value}   from ${o.source}`);
    for (const o of l.ignored)
      out.push(`    ignored ${o.value}   from ${o.source} (secrets come from the secret store)`);
  }
  return out.join('\n');
}
