/**
 * Turns zod's issues into problems a person can act on: where (file:line:column and the path),
 * what was expected, what was found, and a "did you mean" for a misspelled key or value.
 */
import type { z } from 'zod';
import type { ConfigPath } from './locate.ts';
import { describeValue, valueAt } from './locate.ts';
import { suggestion } from './suggest.ts';

export interface Problem {
  readonly path: ConfigPath;
  /** For an unknown key: the key itself, so the position points at it. */
  readonly key?: string;
  readonly message: string;
}

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/** The keys a mapping at `path` may hold, read from the schema itself. */
export function knownKeys(schema: AnySchema, path: ConfigPath): string[] {
  const candidates = schemasAt(schema, path);
  return [
    ...new Set(candidates.flatMap((s) => (s._zod.def.type === 'object' ? Object.keys(objectShape(s)) : []))),
  ];
}

function objectShape(schema: AnySchema): Record<string, AnySchema> {
  return (schema._zod.def as unknown as { shape: Record<string, AnySchema> }).shape;
}

function unwrap(schema: AnySchema): AnySchema[] {
  const def = schema._zod.def as unknown as Record<string, AnySchema | AnySchema[] | undefined> & {
    type: string;
  };
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
    case 'prefault':
    case 'readonly':
      return unwrap(def.innerType as AnySchema);
    case 'pipe':
      return unwrap(def.in as AnySchema);
    case 'union':
      return (def.options as AnySchema[]).flatMap(unwrap);
    default:
      return [schema];
  }
}

function schemasAt(schema: AnySchema, path: ConfigPath): AnySchema[] {
  let current = unwrap(schema);
  for (const step of path) {
    const next: AnySchema[] = [];
    for (const s of current) {
      const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
      if (def.type === 'object') {
        const child = objectShape(s)[String(step)];
        if (child) next.push(...unwrap(child));
      } else if (def.type === 'record') next.push(...unwrap(def.valueType as AnySchema));
      else if (def.type === 'array') next.push(...unwrap(def.element as AnySchema));
    }
    current = next;
  }
  return current;
}

function isZodDefault(message: string): boolean {
  return message.startsWith('Invalid') || message.startsWith('Too ') || message.startsWith('Unrecognized');
}

function expectedOf(issue: Issue): string {
  if (!isZodDefault(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${{ object: 'a mapping', record: 'a mapping', array: 'a list' }[issue.expected as string] ?? `a ${issue.expected}`}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `expected at least ${issue.minimum} item(s)`
        : issue.origin === 'string'
          ? 'expected a non-empty value'
          : `expected ${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}`;
    case 'too_big':
      return `expected ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => String(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

/** Problems for one zod issue (an issue listing several unknown keys gives one problem each). */
export function problemsOf(issue: Issue, data: unknown, schema: AnySchema, base: ConfigPath = []): Problem[] {
  const path = [...base, ...(issue.path as (string | number)[])];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = knownKeys(schema, path);
      return issue.keys.map((key) => ({
        path,
        key,
        message: `unknown key "${key}"${suggestion(key, allowed)}${allowed.length ? ` (allowed here: ${allowed.join(', ')})` : ''}`,
      }));
    }
    case 'invalid_union': {
      const found = valueAt(data, path);
      // A branch whose every issue is about the value as a whole did not match its shape at all;
      // the branch that got further (its issues are deeper) is the one the user meant.
      const deeper = issue.errors.filter((branch) => !branch.every((i) => i.path.length === 0));
      const sameType = issue.errors.filter((branch) => !branch.some((i) => i.code === 'invalid_type'));
      const branches = deeper.length > 0 ? deeper : sameType;
      const chosen = branches[0];
      if (chosen !== undefined && branches.length === 1) {
        return chosen.flatMap((inner) => problemsOf(inner, data, schema, path));
      }
      return [{ path, message: `${expectedOf(issue)}, found ${describeValue(found)}` }];
    }
    case 'invalid_key': {
      const key = path.at(-1);
      const parent = path.slice(0, -1);
      return [
        {
          path: parent,
          key: String(key),
          message: `${expectedOf(issue.issues[0] ?? issue)} as a key, found ${JSON.stringify(key)}`,
        },
      ];
    }
    case 'invalid_value': {
      const found = valueAt(data, path);
      const hint = typeof found === 'string' ? suggestion(found, issue.values.map(String)) : '';
      return [{ path, message: `${expectedOf(issue)}, found ${describeValue(found)}${hint}` }];
    }
    default: {
      const found = valueAt(data, path);
      const expected = expectedOf(issue);
      if (found === undefined) return [{ path, message: `missing; ${expected}` }];
      // Custom rules quote the value themselves.
      if (issue.code === 'custom' && !expected.startsWith('expected')) return [{ path, message: expected }];
      return [{ path, message: `${expected}, found ${describeValue(found)}` }];
    }
  }
}
