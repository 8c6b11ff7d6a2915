/**
 * Reading slipway.yaml's text into a YAML document with limits, so hostile or accidental input
 * (an alias bomb, 10,000 nested brackets, a key set twice in a huge mapping) is refused with a message
 * instead of hanging, crashing, or silently changing the text. Each check is linear in the input.
 */
import { Composer, type Document, isAlias, isMap, isScalar, isSeq, LineCounter, Parser } from 'yaml';
import { type RawProblem, sizeProblem } from './bytes.ts';
import { type ConfigPath, formatPath } from './locate.ts';

export type { RawProblem };

/** Nesting levels of mappings and lists; slipway's own schema needs 8. */
export const MAX_DEPTH = 64;
/** Alias expansions (`*name`) while building the value; more means an alias bomb or a mistake. */
export const MAX_ALIASES = 100;

export type ReadResult =
  | { readonly ok: true; readonly doc: Document; readonly lines: LineCounter; readonly data: unknown }
  | { readonly ok: false; readonly lines: LineCounter; readonly problems: readonly RawProblem[] };

class NestingTooDeep extends Error {
  readonly offset: number;
  constructor(offset: number) {
    super('nesting too deep');
    this.offset = offset;
  }
}

/**
 * The yaml library's parser keeps its own stack (about one entry per level), but its composer
 * recurses; stopping the parser at a bound keeps the composer far from the call-stack limit.
 */
class BoundedParser extends Parser {
  override *next(source: string) {
    yield* super.next(source);
    if (this.stack.length > MAX_DEPTH + 1) throw new NestingTooDeep(this.offset);
  }
}

/** Parse text into one document and its plain value, or the problems that stop it. */
export function readYaml(text: string): ReadResult {
  const lines = new LineCounter();
  const size = sizeProblem(Buffer.byteLength(text, 'utf8'));
  if (size) return { ok: false, lines, problems: [size] };
  const parser = new BoundedParser(lines.addNewLine);
  // uniqueKeys off: the library's own check compares every key with every other (quadratic);
  // duplicateKeys below does the same in one pass.
  // logLevel error: the library's warnings go to the console; everything it notices is reported here.
  const composer = new Composer({ uniqueKeys: false, prettyErrors: false, logLevel: 'error' });
  let doc: Document | undefined;
  try {
    for (const d of composer.compose(parser.parse(text), true, text.length)) {
      if (doc) {
        return {
          ok: false,
          lines,
          problems: [
            {
              offset: d.range[0],
              path: 'YAML syntax',
              message: 'expected one YAML document, found a second one (after ---); keep one',
            },
          ],
        };
      }
      doc = d;
    }
  } catch (error) {
    if (!(error instanceof NestingTooDeep)) throw error;
    return {
      ok: false,
      lines,
      problems: [
        {
          offset: error.offset,
          path: 'YAML syntax',
          message: `nesting deeper than ${MAX_DEPTH} levels of mappings and lists; slipway.yaml never needs that many`,
        },
      ],
    };
  }
  // compose(…, forceDoc = true) always yields a document, an empty one for empty text.
  if (!doc) throw new Error('the yaml composer yielded no document');
  if (doc.errors.length > 0) {
    return {
      ok: false,
      lines,
      problems: capped(
        doc.errors.map((e) => ({ offset: e.pos[0], path: 'YAML syntax', message: yamlMessage(e.message) })),
      ),
    };
  }
  const duplicates = duplicateKeys(doc, lines);
  if (duplicates.length > 0) return { ok: false, lines, problems: capped(duplicates) };
  try {
    return { ok: true, doc, lines, data: doc.toJS({ maxAliasCount: MAX_ALIASES }) };
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    return { ok: false, lines, problems: [aliasProblem(doc, error)] };
  }
}

/** Most problems after a broken bracket are echoes of it; past this many, the rest are counted. */
export const MAX_PROBLEMS = 50;

export function moreProblems(count: number): string {
  return `and ${count} more problem(s) after this one; fix the first ones and run validate again`;
}

function capped(problems: RawProblem[]): RawProblem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  const shown = problems.slice(0, MAX_PROBLEMS);
  const last = shown[shown.length - 1] as RawProblem;
  shown.push({ ...last, message: moreProblems(problems.length - MAX_PROBLEMS) });
  return shown;
}

function yamlMessage(message: string): string {
  // The yaml library's messages end with its own position; ours come first already.
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

function aliasProblem(doc: Document, error: ReferenceError): RawProblem {
  const first = firstAlias(doc);
  const bomb = /resource exhaustion/.test(error.message);
  return {
    offset: first ?? 0,
    path: 'YAML syntax',
    message: bomb
      ? `aliases (*name) expand to more than ${MAX_ALIASES} copies; write the values out, or use fewer aliases`
      : `${error.message.replace(/ at line.*$/s, '')}; define the anchor (&name) before its alias (*name)`,
  };
}

interface Visit {
  readonly node: unknown;
  readonly parent: Visit | undefined;
  readonly step: string | number;
}

/** The path of a visited node, built only when a problem needs it. */
function pathOf(visit: Visit): ConfigPath {
  const path: (string | number)[] = [];
  for (let v: Visit | undefined = visit; v?.parent; v = v.parent) path.push(v.step);
  return path.reverse();
}

/** Visit every node without recursion (depth is bounded, but a wide file has many nodes). */
function walk(doc: Document, visit: (v: Visit) => void): void {
  const stack: Visit[] = [{ node: doc.contents, parent: undefined, step: '' }];
  for (let v = stack.pop(); v !== undefined; v = stack.pop()) {
    visit(v);
    const node = v.node;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isMap(pair.value) || isSeq(pair.value) || isAlias(pair.value))
          stack.push({
            node: pair.value,
            parent: v,
            step: isScalar(pair.key) ? String(pair.key.value) : '?',
          });
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const child = node.items[i];
        if (isMap(child) || isSeq(child) || isAlias(child)) stack.push({ node: child, parent: v, step: i });
      }
    }
  }
}

function firstAlias(doc: Document): number | undefined {
  let first: number | undefined;
  walk(doc, ({ node }) => {
    if (isAlias(node) && node.range && (first === undefined || node.range[0] < first)) first = node.range[0];
  });
  return first;
}

/**
 * Every key set twice in one mapping, with the line it was first set on (one pass, a set per
 * map), and keys that are lists or mappings, which no slipway key is.
 */
function duplicateKeys(doc: Document, lines: LineCounter): RawProblem[] {
  const problems: RawProblem[] = [];
  walk(doc, (visit) => {
    const node = visit.node;
    if (!isMap(node)) return;
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      if (isMap(pair.key) || isSeq(pair.key)) {
        problems.push({
          offset: pair.key.range?.[0] ?? 0,
          path: formatPath(pathOf(visit)),
          message: `expected a plain key, found ${isMap(pair.key) ? 'a mapping' : 'a list'} used as a key; write the key as text`,
        });
        continue;
      }
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      const at = pair.key.range?.[0] ?? 0;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, at);
        continue;
      }
      problems.push({
        offset: at,
        path: formatPath([...pathOf(visit), key]),
        message: `duplicate key "${key}", first set on line ${lines.linePos(first).line}; keep one of them`,
      });
    }
  });
  return problems.sort((a, b) => a.offset - b.offset);
}
