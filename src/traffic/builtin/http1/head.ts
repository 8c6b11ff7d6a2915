/**
 * Strict parsing of HTTP/1.x message heads (RFC 9112) for the built-in router's proxy.
 *
 * The router forwards bytes; it parses only what it must decide on: the start line, the field
 * names and values, and from them the message's framing. Anything a lenient parser would have to
 * guess at (a field line without a colon, obs-fold, control characters, a bare CR or LF) is
 * refused, because a proxy and its backend that frame one message two ways is how request
 * smuggling works. The head stays one latin1 string, so field lines can be forwarded byte for
 * byte as slices of it.
 */

/** Largest head accepted, start line and fields together (node:http's default too). */
export const MAX_HEAD_BYTES = 16 * 1024;

/**
 * Per latin1 code: 1 = a token character (RFC 9110 §5.6.2), 2 = a control character other than
 * HTAB (CR and LF included), never inside a field value. Field lines are checked by table, one
 * code at a time, rather than by a regular expression per line: this runs for every field of
 * every request and response.
 */
const CHAR = new Uint8Array(256);
for (const c of "!#$%&'*+.^_`|~-") CHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) CHAR[c] = 1;
for (let c = 65; c <= 90; c++) CHAR[c] = 1;
for (let c = 97; c <= 122; c++) CHAR[c] = 1;
for (let c = 0; c <= 31; c++) if (c !== 9) CHAR[c] = 2;
CHAR[127] = 2;

function isToken(text: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c > 255 || CHAR[c] !== 1) return false;
  }
  return true;
}

function hasControl(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 256 && CHAR[c] === 2) return true;
  }
  return false;
}
/** The target may carry raw bytes above 0x7e (some clients send UTF-8 unencoded): they pass as they are. */
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e\x80-\xff]+) HTTP\/1\.([01])$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const OTHER_VERSION = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ [\x21-\x7e]+ HTTP\/\d\.\d$/;

export interface Head {
  /** The head as latin1 text, up to (not including) the empty line that ends it. */
  readonly text: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minor: number;
  /** Where the start line ends in `text`. */
  readonly startLineEnd: number;
  /** Field names, lower-cased. */
  readonly names: string[];
  /** Field values, without surrounding whitespace. */
  readonly values: string[];
  /** Start and end of each field line in `text` (for forwarding it unchanged). */
  readonly lineStarts: number[];
  readonly lineEnds: number[];
}

export interface RequestHead extends Head {
  readonly method: string;
  readonly target: string;
}

export interface ResponseHead extends Head {
  readonly status: number;
}

export interface HeadError {
  /** The status to answer with: 400, 431 or 505. */
  readonly error: number;
  readonly reason: string;
}

/**
 * The index just past the "\r\n\r\n" that ends a head starting at `from`, or -1 when it is not
 * all there yet.
 */
export function headEnd(buf: Buffer, from: number): number {
  const i = buf.indexOf('\r\n\r\n', from, 'latin1');
  return i < 0 ? -1 : i + 4;
}

/** The value of the first field named `lower`, or undefined. */
export function field(head: Head, lower: string): string | undefined {
  const names = head.names;
  for (let i = 0; i < names.length; i++) if (names[i] === lower) return head.values[i];
  return undefined;
}

/** Every value of the fields named `lower` joined as one list (RFC 9110 §5.3), or undefined. */
export function fieldList(head: Head, lower: string): string | undefined {
  let out: string | undefined;
  const names = head.names;
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== lower) continue;
    out = out === undefined ? head.values[i] : `${out}, ${head.values[i]}`;
  }
  return out;
}

/** The lower-cased tokens of a comma-separated list field such as Connection. */
export function tokens(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  for (const part of value.split(',')) {
    const t = part.trim().toLowerCase();
    if (t) out.push(t);
  }
  return out;
}

function fail(error: number, reason: string): HeadError {
  return { error, reason };
}

/** Parses the field lines of `text` from `pos`; returns an error reason or null. */
function parseFields(text: string, pos: number, head: Head): string | null {
  while (pos < text.length) {
    let eol = text.indexOf('\r\n', pos);
    if (eol < 0) eol = text.length;
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon > eol) return 'a header line has no colon';
    // Also refuses obs-fold (a line starting with whitespace) and whitespace before the colon.
    if (!isToken(text, pos, colon))
      return `header name ${JSON.stringify(text.slice(pos, Math.min(colon, pos + 40)))} is not a token`;
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
    const name = text.slice(pos, colon);
    if (hasControl(text, vs, ve)) return `header ${name} has a control character in its value`;
    head.names.push(name.toLowerCase());
    head.values.push(text.slice(vs, ve));
    head.lineStarts.push(pos);
    head.lineEnds.push(eol);
    pos = eol + 2;
  }
  return null;
}

/** `text` is a head as `headEnd()` delimits it, without its final "\r\n\r\n". */
export function parseRequestHead(text: string): RequestHead | HeadError {
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  const line = text.slice(0, eol);
  const m = REQUEST_LINE.exec(line);
  if (!m) {
    if (OTHER_VERSION.test(line)) return fail(505, 'only HTTP/1.0 and HTTP/1.1 are served here');
    return fail(400, 'malformed request line');
  }
  const head: RequestHead = {
    text,
    minor: m[3] === '1' ? 1 : 0,
    startLineEnd: eol,
    method: m[1]!,
    target: m[2]!,
    names: [],
    values: [],
    lineStarts: [],
    lineEnds: [],
  };
  const bad = parseFields(text, eol + 2, head);
  return bad ? fail(400, bad) : head;
}

export function parseResponseHead(text: string): ResponseHead | HeadError {
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  const m = STATUS_LINE.exec(text.slice(0, eol));
  if (!m) return fail(502, 'malformed status line');
  const head: ResponseHead = {
    text,
    minor: m[1] === '1' ? 1 : 0,
    startLineEnd: eol,
    status: Number(m[2]),
    names: [],
    values: [],
    lineStarts: [],
    lineEnds: [],
  };
  const bad = parseFields(text, eol + 2, head);
  return bad ? fail(502, bad) : head;
}

export function isHeadError(h: Head | HeadError): h is HeadError {
  return (h as HeadError).error !== undefined;
}
