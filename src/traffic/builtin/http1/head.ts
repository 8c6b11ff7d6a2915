/**
 * Strict parsing of HTTP/1.x message heads (RFC 9112) for the built-in router's proxy.
 *
 * The router forwards bytes; it parses only what it must decide on: the start line, the field
 * names and values, and from them the message's framing. Anything a lenient parser would have to
 * guess at (a field line without a colon, obs-fold, control characters, a bare CR or LF) is
 * refused, because a proxy and its backend that frame one message two ways is how request
 * smuggling works. The head is scanned on its bytes and kept as one latin1 string (one character
 * per byte), so field lines can be forwarded byte for byte as slices of it.
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

/** A Buffer needle: a string one is encoded again on every search. */
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/**
 * The index just past the "\r\n\r\n" that ends a head starting at `from` in buf[0, to), or -1
 * when it is not all there yet.
 */
export function headEnd(buf: Buffer, from: number, to = buf.length): number {
  // A loop over the first bytes: Buffer#indexOf costs ~130 ns a call (a native call and its
  // checks), more than scanning a typical head. Longer searches go native.
  const near = Math.min(to - 3, from + SCAN_NEAR);
  for (let i = from; i < near; i++) {
    if (buf[i] !== 13) continue;
    if (buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i + 4;
  }
  if (near < from + SCAN_NEAR) return -1;
  const i = buf.indexOf(HEAD_END, near);
  return i < 0 || i + 4 > to ? -1 : i + 4;
}
const SCAN_NEAR = 512;

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

const NONE: readonly string[] = Object.freeze([]);
const KEEP_ALIVE: readonly string[] = Object.freeze(['keep-alive']);
const CLOSE: readonly string[] = Object.freeze(['close']);

/** The lower-cased tokens of a comma-separated list field such as Connection. */
export function tokens(value: string | undefined): readonly string[] {
  if (!value) return NONE;
  // The values nearly every message carries, answered without allocating.
  if (value === 'keep-alive' || value === 'Keep-Alive') return KEEP_ALIVE;
  if (value === 'close' || value === 'Close') return CLOSE;
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

/**
 * Field names as messages usually carry them, lower-cased, by length: a name matching one is not
 * sliced and lower-cased again (two string allocations per field). Letters and "-" only, so
 * comparing a token character with its 0x20 bit set cannot confuse any other token with them.
 */
const KNOWN_NAMES: string[][] = [];
for (const name of [
  'te',
  'age',
  'via',
  'date',
  'etag',
  'host',
  'vary',
  'accept',
  'cookie',
  'expect',
  'origin',
  'server',
  'referer',
  'upgrade',
  'expires',
  'location',
  'connection',
  'keep-alive',
  'set-cookie',
  'user-agent',
  'content-type',
  'x-request-id',
  'authorization',
  'cache-control',
  'last-modified',
  'content-length',
  'x-slipway-flag',
  'accept-encoding',
  'accept-language',
  'x-forwarded-for',
  'content-encoding',
  'proxy-connection',
  'x-forwarded-host',
  'transfer-encoding',
  'x-forwarded-proto',
  'x-slipway-release',
]) {
  const same = KNOWN_NAMES[name.length] ?? [];
  same.push(name);
  KNOWN_NAMES[name.length] = same;
}

/** SP or HTAB. */
function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** text[from, to), a token with upper-case letters, lower-cased. */
function lowerName(text: string, from: number, to: number): string {
  const known = KNOWN_NAMES[to - from];
  if (known !== undefined) {
    for (const name of known) {
      let k = 0;
      while (k < name.length && (text.charCodeAt(from + k) | 0x20) === name.charCodeAt(k)) k++;
      if (k === name.length) return name;
    }
  }
  return text.slice(from, to).toLowerCase();
}

/**
 * Parses the field lines of `text` from `pos`; returns an error reason or null. `text` is
 * bytes[base, base + text.length) as latin1 (one character per byte): the lines are scanned on
 * the bytes, a load each, where charCodeAt checks the string's representation for every
 * character; names and values are slices of `text`. One pass over each well-formed line; a line
 * that is not is parsed again by `checkedFields`, which names what is wrong with it.
 */
function parseFields(text: string, bytes: Buffer, base: number, pos: number, head: Head): string | null {
  const len = text.length;
  while (pos < len) {
    // The name: token characters up to the colon (no whitespace before it, no obs-fold).
    let i = pos;
    let upper = false;
    let c = 0;
    while (i < len) {
      c = bytes[base + i]!;
      if (CHAR[c] !== 1) break;
      if (c >= 65 && c <= 90) upper = true;
      i++;
    }
    if (i === pos || i === len || c !== 58) return checkedFields(text, pos, head);
    const colon = i;
    let vs = colon + 1;
    while (vs < len && isSpace(bytes[base + vs]!)) vs++;
    // The value runs to the first control character, which must be the CR of the line's CRLF.
    let eol = vs;
    while (eol < len && CHAR[bytes[base + eol]!] !== 2) eol++;
    if (eol < len && (bytes[base + eol] !== 13 || eol + 1 >= len || bytes[base + eol + 1] !== 10))
      return checkedFields(text, pos, head);
    let ve = eol;
    while (ve > vs && isSpace(bytes[base + ve - 1]!)) ve--;
    head.names.push(upper ? lowerName(text, pos, colon) : text.slice(pos, colon));
    head.values.push(text.slice(vs, ve));
    head.lineStarts.push(pos);
    head.lineEnds.push(eol);
    pos = eol + 2;
  }
  return null;
}

/** parseFields one check at a time, for the line at `pos` on: the reason a line is refused. */
function checkedFields(text: string, pos: number, head: Head): string | null {
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

/** "HTTP/1." followed by 0 or 1 at `at`: the minor version, or -1. */
function version(text: string, at: number): number {
  if (!text.startsWith('HTTP/1.', at)) return -1;
  const minor = text.charCodeAt(at + 7) - 48;
  return minor === 0 || minor === 1 ? minor : -1;
}

/** The head in buf[start, end), as `headEnd()` delimits it without its final "\r\n\r\n". */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead | HeadError {
  const text = buf.toString('latin1', start, end);
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  // method SP target SP HTTP/1.x (the target: visible ASCII or bytes above 0x7f, no space)
  const sp = text.indexOf(' ');
  const suffix = eol - 9;
  let minor = sp > 0 && sp + 1 < suffix && text.charCodeAt(suffix) === 32 ? version(text, suffix + 1) : -1;
  if (minor >= 0 && !isToken(text, 0, sp)) minor = -1;
  for (let i = sp + 1; minor >= 0 && i < suffix; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c > 0xff) minor = -1;
  }
  if (minor < 0) {
    const line = text.slice(0, eol);
    if (OTHER_VERSION.test(line)) return fail(505, 'only HTTP/1.0 and HTTP/1.1 are served here');
    return fail(400, 'malformed request line');
  }
  const head: RequestHead = {
    text,
    minor,
    startLineEnd: eol,
    method: text.slice(0, sp),
    target: text.slice(sp + 1, suffix),
    names: [],
    values: [],
    lineStarts: [],
    lineEnds: [],
  };
  const bad = parseFields(text, buf, start, eol + 2, head);
  return bad ? fail(400, bad) : head;
}

/** HTTP/1.x SP 3-digit status (100–999), then nothing or SP and a reason without control characters. */
function statusOf(text: string, eol: number): number {
  if (eol < 12 || text.charCodeAt(8) !== 32) return -1;
  const d0 = text.charCodeAt(9) - 48;
  const d1 = text.charCodeAt(10) - 48;
  const d2 = text.charCodeAt(11) - 48;
  if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return -1;
  if (eol > 12) {
    if (text.charCodeAt(12) !== 32) return -1;
    for (let i = 13; i < eol; i++) {
      const c = text.charCodeAt(i);
      if (c > 255 || CHAR[c] === 2) return -1;
    }
  }
  return d0 * 100 + d1 * 10 + d2;
}

/** The head in buf[start, end), as parseRequestHead's. */
export function parseResponseHead(buf: Buffer, start: number, end: number): ResponseHead | HeadError {
  const text = buf.toString('latin1', start, end);
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  const minor = version(text, 0);
  const status = minor < 0 ? -1 : statusOf(text, eol);
  if (status < 0) return fail(502, 'malformed status line');
  const head: ResponseHead = {
    text,
    minor,
    startLineEnd: eol,
    status,
    names: [],
    values: [],
    lineStarts: [],
    lineEnds: [],
  };
  const bad = parseFields(text, buf, start, eol + 2, head);
  return bad ? fail(502, bad) : head;
}

export function isHeadError(h: Head | HeadError): h is HeadError {
  return (h as HeadError).error !== undefined;
}
