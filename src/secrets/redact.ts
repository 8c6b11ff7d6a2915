/**
 * Redaction: known secret values (and their base64, base64url, URL-encoded, hex and JSON-escaped
 * forms) are replaced by `[redacted:KEY]` in strings, in deep objects (API responses, events) and
 * in streams (instance logs). One Aho-Corasick pass finds every form of every secret. On top, a
 * key-name heuristic hides values of keys named like credentials (DB_PASSWORD, GITHUB_TOKEN,
 * *_KEY, *SECRET*), as object properties and as `NAME=value` / `NAME: value` in text.
 *
 * @example
 * const redactor = new Redactor({ STRIPE_KEY: 'sk_live_abc123' });
 * redactor.redact('charging with sk_live_abc123'); // 'charging with [redacted:STRIPE_KEY]'
 * child.stdout.pipe(redactor.stream()).pipe(logFile);
 */

import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { AhoCorasick, mergeMatches, type Span } from './aho-corasick.ts';
import { looksLikeSecretName } from './key-names.ts';

export interface RedactorOptions {
  /** Values shorter than this are not searched for (they would shred ordinary text); default 4. */
  readonly minLength?: number;
  /** Apply the key-name heuristic to `NAME=value` in text; default true. */
  readonly assignments?: boolean;
}

/** The forms in which a secret value tends to leak. */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value]);
  const bytes = Buffer.from(value, 'utf8');
  forms.add(bytes.toString('base64'));
  forms.add(bytes.toString('base64').replace(/=+$/, ''));
  forms.add(bytes.toString('base64url'));
  forms.add(encodeURIComponent(value));
  forms.add(encodeURIComponent(value).replace(/%20/g, '+'));
  forms.add(JSON.stringify(value).slice(1, -1));
  forms.add(bytes.toString('hex'));
  forms.add(bytes.toString('hex').toUpperCase());
  return [...forms].filter((f) => f.length > 0);
}

// NAME=value, NAME: value, "NAME": "value", where NAME holds a credential word; the final say is
// looksLikeSecretName's. Anchoring on the words keeps this fast on logs full of other key=value pairs.
const ASSIGNMENT =
  /(["']?)([\w.-]*(?:password|passwd|passphrase|secret|credential|token|key|[_.-]pat(?![a-z]))[\w.-]*)\1(\s*[=:]\s*)(["']?)((?!\[redacted)[^\s"'&,;}\]]+)/gi;

export class Redactor {
  readonly #matcher: AhoCorasick | undefined;
  /** Label of each pattern, by pattern index. */
  readonly #labels: string[] = [];
  readonly #assignments: boolean;
  /** Keys whose values are too short to search for; the caller may warn about them. */
  readonly skipped: readonly string[];

  constructor(
    secrets: Readonly<Record<string, string>> | ReadonlyMap<string, string>,
    options: RedactorOptions = {},
  ) {
    const minLength = options.minLength ?? 4;
    const entries = secrets instanceof Map ? [...secrets] : Object.entries(secrets);
    const byForm = new Map<string, string[]>();
    const skipped: string[] = [];
    for (const [key, value] of entries.sort(([a], [b]) => a.localeCompare(b))) {
      if (typeof value !== 'string' || value.length < minLength) {
        skipped.push(key);
        continue;
      }
      for (const form of secretForms(value)) {
        if (form.length < minLength) continue;
        const keys = byForm.get(form) ?? [];
        if (!keys.includes(key)) keys.push(key);
        byForm.set(form, keys);
      }
    }
    const patterns = [...byForm.keys()];
    this.#labels = patterns.map((p) => byForm.get(p)!.join(','));
    this.#matcher = patterns.length > 0 ? new AhoCorasick(patterns) : undefined;
    this.#assignments = options.assignments ?? true;
    this.skipped = skipped;
  }

  #label(span: Span): string {
    const keys = new Set(span.patterns.flatMap((p) => this.#labels[p]!.split(',')));
    return `[redacted:${[...keys].join(',')}]`;
  }

  /** Replace the spans in `text`, then apply the assignment heuristic. Spans index into `text`. */
  #render(text: string, spans: readonly Span[]): string {
    let out = '';
    let at = 0;
    for (const span of spans) {
      out += text.slice(at, span.start) + this.#label(span);
      at = span.end;
    }
    out += text.slice(at);
    if (!this.#assignments) return out;
    return out.replace(ASSIGNMENT, (whole, q1: string, name: string, sep: string, q2: string) =>
      looksLikeSecretName(name) ? `${q1}${name}${q1}${sep}${q2}[redacted:${name}]` : whole,
    );
  }

  /** Redact one string. */
  redact(text: string): string {
    const spans = this.#matcher ? mergeMatches(this.#matcher.scan(text).matches) : [];
    return this.#render(text, spans);
  }

  /**
   * A redacted deep copy: strings redacted, values of credential-named properties replaced whole.
   * Objects with toJSON (Dates, ...) are redacted as their JSON form; cycles become "[circular]".
   */
  redactDeep<T>(value: T): T {
    const seen = new WeakSet<object>();
    const walk = (v: unknown, name: string | undefined): unknown => {
      if (
        name !== undefined &&
        looksLikeSecretName(name) &&
        v !== null &&
        v !== undefined &&
        typeof v !== 'object'
      ) {
        return `[redacted:${name}]`;
      }
      if (typeof v === 'string') return this.redact(v);
      if (typeof v !== 'object' || v === null) return v;
      if (seen.has(v)) return '[circular]';
      seen.add(v);
      try {
        if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
          return walk((v as { toJSON: () => unknown }).toJSON(), name);
        }
        if (Array.isArray(v)) return v.map((item) => walk(item, undefined));
        if (v instanceof Error) {
          return { name: v.name, message: this.redact(v.message), ...(walk({ ...v }, undefined) as object) };
        }
        const out: Record<string, unknown> = {};
        for (const [k, item] of Object.entries(v)) out[k] = walk(item, k);
        return out;
      } finally {
        seen.delete(v);
      }
    };
    return walk(value, undefined) as T;
  }

  /**
   * A Transform for log streams (bytes or strings in, UTF-8 strings out). Output goes out line by
   * line; a line longer than `maxLineHold` goes out in parts. Whatever could still be the start of
   * a secret is held back until the next chunk, so a secret split across chunks is still caught.
   */
  stream(options: { maxLineHold?: number } = {}): Transform {
    const maxHold = options.maxLineHold ?? 16 * 1024;
    const decoder = new StringDecoder('utf8');
    let pending = '';
    const take = (final: boolean): string => {
      const scan = this.#matcher?.scan(pending);
      const spans = scan ? mergeMatches(scan.matches) : [];
      let cut = pending.length;
      if (!final) {
        const safe = pending.length - (scan ? this.#matcher!.pendingLength(scan.state) : 0);
        cut = pending.lastIndexOf('\n', safe - 1) + 1;
        if (cut === 0 && pending.length > maxHold) cut = safe;
        // Never split a found span; hold it back whole instead.
        for (const s of spans) if (s.start < cut && s.end > cut) cut = s.start;
      }
      const emitted = this.#render(
        pending.slice(0, cut),
        spans.filter((s) => s.end <= cut),
      );
      pending = pending.slice(cut);
      return emitted;
    };
    return new Transform({
      decodeStrings: false,
      transform(chunk: Buffer | string, _encoding, callback) {
        pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
        const out = take(false);
        callback(null, out === '' ? undefined : out);
      },
      flush(callback) {
        pending += decoder.end();
        const out = take(true);
        callback(null, out === '' ? undefined : out);
      },
    });
  }
}
