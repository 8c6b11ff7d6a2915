/**
 * A seeded differential fuzz of the built-in router's HTTP/1.1 forwarding. 300 random valid
 * requests go over a few keep-alive connections (some pipelined in one write, every write split
 * at random byte offsets) to a raw backend that records every byte it gets and answers each
 * request with a random response. Every request must reach the backend as the client sent it
 * (hop-by-hop fields removed, X-Forwarded-* and a request id added), and every response must
 * reach the client as the backend sent it (hop-by-hop fields removed, a request id added).
 *
 * The backend and the client parse HTTP on their own here, independently of ./http1.
 * A failure names its seed: rerun it with FUZZ_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { mulberry32 } from '../../analysis/judges/seeded.ts';
import { freePort } from '../testing.ts';
import { BuiltinRouter } from './router.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const REQUESTS = 300;
const TAG = `[FUZZ_SEED=${SEED}]`;
/** The longest a client waits for the router before the test fails. */
const WAIT_MS = 8_000;

// ---------------------------------------------------------------------------------------------
// Randomness: every request, response and write plan has a generator of its own, derived from
// the seed, so what is sent does not depend on the order in which things happen.

type Rand = ReturnType<typeof rng>;

function rng(seed: number) {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    range: (lo: number, hi: number) => lo + int(hi - lo + 1),
    chance: (p: number) => next() < p,
    pick: <T>(xs: ArrayLike<T>): T => xs[int(xs.length)]!,
  };
}

/** murmur3's 32-bit finalizer: every input bit moves every output bit. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A seed for one stream (`kind`) and one item (`n`) of this run. */
function subSeed(kind: number, n: number): number {
  return mix32(mix32(SEED + Math.imul(kind + 1, 0x9e3779b1)) + Math.imul(n + 1, 0x27d4eb2f));
}

function shuffle<T>(r: Rand, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function randCase(r: Rand, s: string): string {
  if (r.chance(0.5)) return s;
  let out = '';
  for (const ch of s) out += r.chance(0.5) ? ch.toUpperCase() : ch.toLowerCase();
  return out;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UNRESERVED = `${ALNUM}-._~`;

/** Random bytes, as a latin1 string (one char per byte). */
function bytes(r: Rand, n: number): string {
  const codes = new Array<number>(n);
  for (let i = 0; i < n; i++) codes[i] = r.int(256);
  let out = '';
  for (let i = 0; i < n; i += 4096) out += String.fromCharCode(...codes.slice(i, i + 4096));
  return out;
}

/** A field value: visible ASCII, inner spaces and tabs, and obs-text (latin1 0x80-0xff). */
function fieldValue(r: Rand, max = 24): string {
  let s = '';
  for (let n = r.int(max + 1); n > 0; n--) {
    const x = r.next();
    if (x < 0.7) s += String.fromCharCode(0x21 + r.int(0x7e - 0x21 + 1));
    else if (x < 0.8) s += r.pick([' ', '\t']);
    else s += String.fromCharCode(0x80 + r.int(0x80));
  }
  return s;
}

function latin1Value(r: Rand): string {
  let s = '';
  for (let n = r.range(1, 12); n > 0; n--) s += String.fromCharCode(0x80 + r.int(0x80));
  return `caf${s} ${fieldValue(r, 6)}`;
}

/** A random field name, all tchars; distinct from every name the test gives a meaning. */
function fieldName(r: Rand): string {
  let s = 'X-Fz-';
  for (let n = r.range(1, 10); n > 0; n--) s += r.chance(0.85) ? r.pick(ALNUM) : r.pick("!#$%&'*+.^_`|~-");
  return randCase(r, s);
}

/** Optional whitespace around a field value. */
function owsBefore(r: Rand): string {
  return r.pick(['', ' ', ' ', ' ', '  ', '\t', ' \t ']);
}
function owsAfter(r: Rand): string {
  return r.pick(['', '', '', ' ', '\t', '  ']);
}

function fieldLine(r: Rand, name: string, value: string): string {
  return `${randCase(r, name)}:${owsBefore(r)}${value}${owsAfter(r)}`;
}

/** Connection options as one field line or, sometimes, split over two. */
function connectionLines(r: Rand, options: string[]): string[] {
  if (options.length === 0) return [];
  const join = (xs: string[]) => xs.join(r.pick([', ', ',', ' , ']));
  if (options.length >= 2 && r.chance(0.3)) {
    const cut = r.range(1, options.length - 1);
    return [
      fieldLine(r, 'Connection', join(options.slice(0, cut))),
      fieldLine(r, 'Connection', join(options.slice(cut))),
    ];
  }
  return [fieldLine(r, 'Connection', join(options))];
}

function hex2(r: Rand): string {
  const h = r.int(256).toString(16).padStart(2, '0');
  return r.chance(0.5) ? h.toUpperCase() : h;
}

function pchar(r: Rand): string {
  const x = r.next();
  if (x < 0.12) return `%${hex2(r)}`;
  if (x < 0.2) return r.pick("!$&'()*+,;=:@");
  return r.pick(UNRESERVED);
}

function makeTarget(r: Rand): string {
  let path = '';
  for (let n = r.int(5); n > 0; n--) {
    path += '/';
    for (let m = r.range(1, 8); m > 0; m--) path += pchar(r);
  }
  if (path === '' || r.chance(0.15)) path += '/';
  let query = '';
  if (r.chance(0.5)) {
    const params: string[] = [];
    for (let n = r.int(4); n > 0; n--) {
      let k = '';
      let v = '';
      for (let m = r.range(1, 6); m > 0; m--) k += pchar(r);
      for (let m = r.int(10); m > 0; m--) v += r.chance(0.1) ? r.pick('/?') : pchar(r);
      params.push(r.chance(0.1) ? k : `${k}=${v}`);
    }
    query = `?${params.join('&')}`;
  }
  const origin = r.chance(0.05) ? r.pick(['http://example.test', 'http://app.internal:8080']) : '';
  return `${origin}${path}${query}`;
}

function chunkExt(r: Rand): string {
  const latin = String.fromCharCode(0x80 + r.int(0x80), 0x80 + r.int(0x80));
  return r.pick([';a=b', ';flag', ' ;bws=1', ';q="x y"', ';a=1;b=2', `;n="v${latin}"`]);
}

/** `data` as a chunked body: random chunk sizes, sometimes extensions and trailers. */
function chunked(r: Rand, data: string): string {
  let out = '';
  const big = r.chance(0.2);
  for (let pos = 0; pos < data.length; ) {
    const size = Math.min(data.length - pos, 1 + r.int(big ? 8000 : 600));
    let hex = size.toString(16);
    if (r.chance(0.3)) hex = hex.toUpperCase();
    if (r.chance(0.1)) hex = `0${hex}`;
    out += `${hex}${r.chance(0.2) ? chunkExt(r) : ''}\r\n${data.slice(pos, pos + size)}\r\n`;
    pos += size;
  }
  out += `${r.chance(0.1) ? '000' : '0'}${r.chance(0.15) ? chunkExt(r) : ''}\r\n`;
  if (r.chance(0.25))
    for (let n = r.range(1, 2); n > 0; n--) out += `${fieldLine(r, fieldName(r), fieldValue(r))}\r\n`;
  return `${out}\r\n`;
}

// ---------------------------------------------------------------------------------------------
// A small HTTP/1.1 reader of the test's own, for the backend (requests) and the client (responses).

function nameOf(line: string): string {
  return line.slice(0, line.indexOf(':')).toLowerCase();
}

/** The value of a field line without the optional whitespace (SP and HTAB only) around it. */
function fieldValueOf(line: string): string {
  return line.slice(line.indexOf(':') + 1).replace(/^[ \t]+|[ \t]+$/g, '');
}

/** The lower-cased options of every Connection line, taken together as one list. */
function connectionOptions(lines: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const l of lines) {
    if (nameOf(l) !== 'connection') continue;
    for (const part of fieldValueOf(l).split(',')) {
      const t = part.trim().toLowerCase();
      if (t) out.add(t);
    }
  }
  return out;
}

/** Where a chunked body starting at `from` ends, or -1 when it has not all arrived. */
function chunkedEnd(buf: string, from: number): number {
  let pos = from;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return -1;
    const m = /^[0-9a-fA-F]+/.exec(buf.slice(pos, eol));
    if (!m) throw new Error(`bad chunk-size line ${show(buf.slice(pos, eol))}`);
    const size = Number.parseInt(m[0], 16);
    if (size === 0) {
      // The trailer section ends with an empty line; from the last-chunk's own CRLF, the first
      // CRLFCRLF is that end (with no trailers, it is the last-chunk's CRLF and the empty line).
      const end = buf.indexOf('\r\n\r\n', eol);
      return end < 0 ? -1 : end + 4;
    }
    const next = eol + 2 + size;
    if (buf.length < next + 2) return -1;
    if (buf.slice(next, next + 2) !== '\r\n') throw new Error(`chunk data not followed by CRLF at ${next}`);
    pos = next + 2;
  }
}

interface Message {
  readonly start: string;
  readonly lines: string[];
  /** The body's bytes as they came (for chunked: with their framing). */
  readonly body: string;
  readonly end: number;
  readonly status: number;
}

/** One message from the start of `buf`, or null when it has not all arrived. */
function parseMessage(buf: string, kind: 'request' | 'response', method: string): Message | null {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const all = buf.slice(0, headEnd).split('\r\n');
  const start = all[0]!;
  const lines = all.slice(1);
  for (const l of lines)
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:/.test(l)) throw new Error(`bad field line ${show(l)}`);
  let status = 0;
  if (kind === 'response') {
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(start);
    if (!m) throw new Error(`bad status line ${show(start)}`);
    status = Number(m[1]);
  } else if (!/^[A-Z]+ [^ ]+ HTTP\/1\.1$/.test(start)) throw new Error(`bad request line ${show(start)}`);
  const bodyStart = headEnd + 4;
  let end = bodyStart;
  const bodyless =
    kind === 'response' && (method === 'HEAD' || status < 200 || status === 204 || status === 304);
  if (!bodyless) {
    const te = lines
      .filter((l) => nameOf(l) === 'transfer-encoding')
      .map(fieldValueOf)
      .join(',')
      .toLowerCase();
    const cl = lines.find((l) => nameOf(l) === 'content-length');
    if (te !== '') {
      if (!/(^|,)[ \t]*chunked$/.test(te)) throw new Error(`unexpected transfer-encoding ${show(te)}`);
      end = chunkedEnd(buf, bodyStart);
      if (end < 0) return null;
    } else if (cl !== undefined) {
      end = bodyStart + Number(fieldValueOf(cl));
      if (buf.length < end) return null;
    } else if (kind === 'response') throw new Error(`a response without framing: ${show(start)}`);
  }
  return { start, lines, body: buf.slice(bodyStart, end), end, status };
}

function show(x: unknown): string {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 1500 ? `${s.slice(0, 1500)}... (${s.length} chars)` : s;
}

// ---------------------------------------------------------------------------------------------
// Requests.

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'] as const;
/** Request fields the router must not forward: hop-by-hop, or set by the router itself. */
const DROP_REQUEST = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'upgrade',
  'expect',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection']);
const HOSTS = ['example.test', 'app.internal:8080', '127.0.0.1', 'xn--bcher-kva.example', '[::1]:3000'];

interface Req {
  readonly seq: number;
  readonly conn: number;
  readonly method: string;
  readonly target: string;
  /** Field lines as sent, in order. */
  readonly lines: string[];
  /** The lines the backend must receive unchanged, in order. */
  readonly kept: string[];
  readonly host: string;
  /** The X-Forwarded-For values the client sent, in order. */
  readonly xff: string[];
  /** An X-Request-Id of the client's own. */
  readonly requestId: string | undefined;
  /** Body bytes as sent (a chunked body with its framing). */
  readonly body: string;
  /** The router should answer 100 Continue first. */
  readonly expectContinue: boolean;
  /** The last request of its connection, sent with Connection: close. */
  readonly closes: boolean;
  readonly bytes: string;
}

function makeRequest(seq: number, conn: number, closes: boolean): Req {
  const r = rng(subSeed(1, seq));
  const method = r.pick(METHODS);
  const target = method === 'OPTIONS' && r.chance(0.2) ? '*' : makeTarget(r);
  const lines: string[] = [];
  const add = (name: string, value: string) => lines.push(fieldLine(r, name, value));
  const host = r.pick(HOSTS);
  add('Host', host);
  add('X-Fuzz-Seq', String(seq));
  if (r.chance(0.5))
    add('Accept', r.pick(['*/*', 'text/html,application/xhtml+xml;q=0.9', 'application/json']));
  if (r.chance(0.4)) add('User-Agent', `fuzz/${r.int(10)}.${r.int(10)} (${fieldValue(r, 12)})`);
  if (r.chance(0.2)) add('Cookie', `sid=${r.int(1e6)}; theme=dark`);
  if (r.chance(0.1)) add('Authorization', `Bearer ${r.int(1e9).toString(36)}`);
  if (r.chance(0.2)) add('X-Fz-Latin1', latin1Value(r));
  for (let n = r.int(6); n > 0; n--) add(fieldName(r), fieldValue(r));
  if (r.chance(0.1)) {
    const name = fieldName(r);
    add(name, fieldValue(r));
    add(name, fieldValue(r));
  }
  if (r.chance(0.05)) add(fieldName(r), '');

  // Hop-by-hop fields, and those the router replaces.
  const options: string[] = [];
  if (closes) options.push(r.pick(['close', 'Close', 'CLOSE']));
  else if (r.chance(0.25)) options.push(r.pick(['keep-alive', 'Keep-Alive']));
  if (r.chance(0.2)) {
    for (let i = r.range(1, 2); i > 0; i--) {
      const name = randCase(r, `X-Hop-${i}`);
      options.push(name);
      add(name, fieldValue(r));
    }
  }
  lines.push(...connectionLines(r, shuffle(r, options)));
  if (r.chance(0.1)) add('Keep-Alive', 'timeout=5, max=100');
  if (r.chance(0.1)) add('TE', 'trailers');
  if (r.chance(0.05)) add('Proxy-Connection', 'keep-alive');
  if (r.chance(0.03)) add('Upgrade', 'websocket');
  if (r.chance(0.15)) {
    for (let n = r.range(1, 2); n > 0; n--)
      add(
        'X-Forwarded-For',
        r.chance(0.7) ? `10.0.${r.int(256)}.${r.int(256)}` : '203.0.113.7, 198.51.100.2',
      );
  }
  if (r.chance(0.05)) add('X-Forwarded-Proto', 'https');
  if (r.chance(0.05)) add('X-Forwarded-Host', 'evil.test');
  const requestId = r.chance(0.1) ? `fz-${SEED}-${seq}` : undefined;
  if (requestId) add('X-Request-Id', requestId);

  let body = '';
  let hasBody = false;
  const bodyChance =
    method === 'POST' || method === 'PUT' ? 0.85 : method === 'DELETE' || method === 'OPTIONS' ? 0.1 : 0;
  if (r.chance(bodyChance)) {
    const data = bytes(r, r.chance(0.85) ? r.int(1500) : r.range(1500, 30_000));
    if (r.chance(0.5)) {
      add('Content-Length', String(data.length));
      body = data;
      hasBody = data.length > 0;
    } else {
      add('Transfer-Encoding', r.pick(['chunked', 'chunked', 'Chunked']));
      body = chunked(r, data);
      hasBody = true;
    }
    if (r.chance(0.5))
      add('Content-Type', r.pick(['application/octet-stream', 'text/plain; charset=latin1']));
  }
  const expect = hasBody && r.chance(0.15);
  if (expect) add('Expect', '100-continue');

  shuffle(r, lines);
  const xff = lines.filter((l) => nameOf(l) === 'x-forwarded-for').map(fieldValueOf);
  const listed = connectionOptions(lines);
  const kept = lines.filter((l) => !DROP_REQUEST.has(nameOf(l)) && !listed.has(nameOf(l)));
  const bytesOut = `${method} ${target} HTTP/1.1\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n${body}`;
  return {
    seq,
    conn,
    method,
    target,
    lines,
    kept,
    host,
    xff,
    requestId,
    body,
    expectContinue: expect,
    closes,
    bytes: bytesOut,
  };
}

// ---------------------------------------------------------------------------------------------
// Responses.

const STATUSES = [200, 201, 204, 304, 404, 500] as const;
const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified',
  404: 'Not Found',
  500: 'Internal Server Error',
};

interface Sent {
  readonly statusLine: string;
  readonly lines: string[];
  readonly body: string;
  readonly bytes: string;
  /** The backend closes its connection after this response (it said Connection: close). */
  readonly closeAfter: boolean;
}

function makeResponse(seq: number, method: string): Sent {
  const r = rng(subSeed(2, seq));
  const status = r.pick(STATUSES);
  const x = r.next();
  const reason = x < 0.7 ? REASONS[status]! : x < 0.85 ? '' : fieldValue(r, 16);
  const statusLine = `HTTP/1.1 ${status} ${reason}`;
  const lines: string[] = [];
  const add = (name: string, value: string) => lines.push(fieldLine(r, name, value));
  add('X-Fuzz-Echo', String(seq));
  if (r.chance(0.7))
    add('Content-Type', r.pick(['text/html; charset=utf-8', 'application/json', 'image/png']));
  if (r.chance(0.3)) add('Date', 'Sun, 22 Nov 2026 10:00:00 GMT');
  if (r.chance(0.2)) add('Set-Cookie', `id=${r.int(1e6)}; Path=/; HttpOnly`);
  if (r.chance(0.2)) add('Cache-Control', r.pick(['no-cache', 'max-age=60, public']));
  if (status === 304 || r.chance(0.1)) add('ETag', `"${r.int(1e9).toString(36)}"`);
  if (r.chance(0.4)) add('X-Fz-Latin1', latin1Value(r));
  for (let n = r.int(6); n > 0; n--) add(fieldName(r), fieldValue(r));
  if (r.chance(0.1)) add('X-Request-Id', `backend-${SEED}-${seq}`);

  const options: string[] = [];
  const closeAfter = r.chance(0.05);
  if (closeAfter) options.push('close');
  else if (r.chance(0.2)) options.push(r.pick(['keep-alive', 'Keep-Alive']));
  if (r.chance(0.12)) {
    const name = randCase(r, `X-Private-${r.int(3)}`);
    options.push(name);
    add(name, fieldValue(r));
  }
  lines.push(...connectionLines(r, shuffle(r, options)));
  if (r.chance(0.1)) add('Keep-Alive', 'timeout=5, max=1000');
  if (r.chance(0.03)) add('Proxy-Connection', 'keep-alive');

  let body = '';
  if (status === 304) {
    if (r.chance(0.3)) add('Content-Length', String(r.int(5000)));
  } else if (status !== 204) {
    const data = bytes(r, r.chance(0.85) ? r.int(2000) : r.range(2000, 40_000));
    if (r.chance(0.45)) {
      add('Transfer-Encoding', 'chunked');
      if (method !== 'HEAD') body = chunked(r, data);
    } else {
      add('Content-Length', String(data.length));
      if (method !== 'HEAD') body = data;
    }
  }
  shuffle(r, lines);
  const bytesOut = `${statusLine}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n${body}`;
  return { statusLine, lines, body, bytes: bytesOut, closeAfter };
}

// ---------------------------------------------------------------------------------------------
// Writing in pieces.

function pause(r: Rand): Promise<void> {
  if (r.chance(0.5)) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, r.range(1, 3)));
}

/** Writes `text` (latin1) split at random offsets, with small pauses between the pieces. */
async function writeSplit(socket: Socket, text: string, r: Rand): Promise<void> {
  const cuts = new Set<number>();
  if (text.length > 1) {
    const n = r.chance(0.05) ? 20 : r.int(5);
    for (let i = 0; i < n; i++) {
      // Half of the cuts near a CRLF, where a parser's state changes.
      let at = 1 + r.int(text.length - 1);
      if (r.chance(0.5)) {
        const crlf = text.indexOf('\r\n', r.int(text.length));
        if (crlf > 0) at = Math.min(text.length - 1, crlf + r.int(4));
      }
      cuts.add(at);
    }
  }
  const points = [0, ...[...cuts].sort((a, b) => a - b), text.length];
  for (let i = 0; i + 1 < points.length; i++) {
    if (socket.destroyed) return;
    socket.write(Buffer.from(text.slice(points[i], points[i + 1]), 'latin1'));
    if (i + 2 < points.length) await pause(r);
  }
}

// ---------------------------------------------------------------------------------------------
// The client side.

interface Got {
  readonly seq: number;
  /** Interim (1xx) heads before the response. */
  readonly interim: string[];
  readonly statusLine: string;
  readonly lines: string[];
  readonly body: string;
}

/** Sends one connection's requests (pipelined in batches) and reads the responses in order. */
async function runClient(c: number, reqs: Req[], port: number, sockets: Set<Socket>): Promise<Got[]> {
  const plan = rng(subSeed(4, c));
  const socket = connect(port, '127.0.0.1');
  sockets.add(socket);
  socket.setNoDelay(true);
  socket.on('error', () => {});
  await once(socket, 'connect');
  let buf = '';
  let done = 0;
  let interim: string[] = [];
  let closed = false;
  let failure: Error | null = null;
  const got: Got[] = [];
  let wake: (() => void) | null = null;
  const wakeUp = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const where = () => `${TAG} client conn ${c}, waiting on request #${reqs[done]?.seq ?? '-'}`;

  const readAvailable = () => {
    while (done < reqs.length) {
      const req = reqs[done]!;
      const msg = parseMessage(buf, 'response', req.method);
      if (!msg) return;
      buf = buf.slice(msg.end);
      if (msg.status < 200) {
        interim.push([msg.start, ...msg.lines].join('\r\n'));
        continue;
      }
      got.push({ seq: req.seq, interim, statusLine: msg.start, lines: msg.lines, body: msg.body });
      interim = [];
      done++;
    }
    if (buf.length > 0) throw new Error(`bytes after the last response: ${show(buf)}`);
  };
  socket.on('data', (chunk: Buffer) => {
    buf += chunk.toString('latin1');
    try {
      readAvailable();
    } catch (err) {
      failure ??= new Error(`${where()}: ${(err as Error).message}\n  buffered ${show(buf)}`);
      socket.destroy();
    }
    wakeUp();
  });
  socket.on('close', () => {
    closed = true;
    wakeUp();
  });

  const until = async (cond: () => boolean, what: string, closing = false): Promise<void> => {
    const deadline = Date.now() + WAIT_MS;
    while (!cond()) {
      if (failure) throw failure;
      if (closed && !closing) throw new Error(`${where()}: the router closed the connection before ${what}`);
      if (Date.now() > deadline)
        throw new Error(`${where()}: nothing (${what}) within ${WAIT_MS} ms; buffered ${show(buf)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (failure) throw failure;
  };

  try {
    let written = 0;
    while (written < reqs.length) {
      const size = plan.chance(0.55) ? 1 : plan.range(2, 4);
      const batch = reqs.slice(written, written + size);
      // Mostly a batch waits for the answers before it; sometimes it goes while they stream in.
      if (plan.chance(0.75)) {
        const before = written;
        await until(() => done >= before, 'the responses before the next batch');
      }
      await writeSplit(socket, batch.map((r) => r.bytes).join(''), plan);
      written += batch.length;
    }
    await until(() => done >= reqs.length, 'the last responses');
    if (reqs.at(-1)?.closes) await until(() => closed, 'the close after Connection: close', true);
    return got;
  } finally {
    socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------

// Client sockets read into the shared buffer, and as streams (the fallback of shared-reads.ts).
test('wire fuzz: random requests and responses pass the router byte for byte', { timeout: 30_000 }, (t) =>
  fuzz(t, false),
);
test('wire fuzz, client sockets read as streams', { timeout: 30_000 }, (t) => fuzz(t, true));

async function fuzz(t: TestContext, streamReads: boolean): Promise<void> {
  const began = performance.now();
  // The backend: a raw server that records every byte per connection and answers each request.
  interface Seen {
    readonly conn: number;
    readonly start: string;
    readonly lines: string[];
    readonly body: string;
  }
  const seen = new Map<number, Seen[]>();
  const sent = new Map<number, Sent>();
  const problems: string[] = [];
  const backendConns: { id: number; chunks: string[]; raw: string[]; pending: string }[] = [];
  const backendSockets = new Set<Socket>();
  const backend = createServer((socket) => {
    backendSockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => backendSockets.delete(socket));
    const bc = { id: backendConns.length, chunks: [] as string[], raw: [] as string[], pending: '' };
    backendConns.push(bc);
    let closing = false;
    let out = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      bc.chunks.push(text);
      bc.pending += text;
      for (;;) {
        let msg: Message | null;
        try {
          msg = parseMessage(bc.pending, 'request', '');
        } catch (err) {
          problems.push(`backend conn ${bc.id}: ${(err as Error).message}; buffered ${show(bc.pending)}`);
          socket.destroy();
          return;
        }
        if (!msg) return;
        bc.raw.push(bc.pending.slice(0, msg.end));
        bc.pending = bc.pending.slice(msg.end);
        const seqLine = msg.lines.find((l) => nameOf(l) === 'x-fuzz-seq');
        const seq = seqLine ? Number(fieldValueOf(seqLine)) : -1;
        if (seq < 0) problems.push(`backend conn ${bc.id}: a request without x-fuzz-seq: ${show(msg.start)}`);
        if (closing) problems.push(`backend conn ${bc.id}: request #${seq} after this backend said close`);
        const list = seen.get(seq) ?? [];
        list.push({ conn: bc.id, start: msg.start, lines: msg.lines, body: msg.body });
        seen.set(seq, list);
        const res = makeResponse(seq, msg.start.slice(0, msg.start.indexOf(' ')));
        sent.set(seq, res);
        if (res.closeAfter) closing = true;
        const writer = rng(subSeed(3, seq));
        out = out
          .then(() => writeSplit(socket, res.bytes, writer))
          .then(() => {
            if (res.closeAfter) socket.end();
          });
      }
    });
  }).listen(0, '127.0.0.1');
  await once(backend, 'listening');

  const router = new BuiltinRouter({ streamReads });
  const port = await freePort();
  const clientSockets = new Set<Socket>();
  try {
    await router.apply({
      env: 'fuzz',
      listen: { host: '127.0.0.1', port },
      releases: [
        {
          release: 'v1',
          weight: 100,
          backends: [{ id: 'raw', host: '127.0.0.1', port: (backend.address() as AddressInfo).port }],
        },
      ],
    });

    // The plan: which connection sends which request, and whether its last one closes it.
    const plan = rng(SEED);
    const connCount = plan.range(4, 6);
    const owners = Array.from({ length: REQUESTS }, () => plan.int(connCount));
    const closing = Array.from({ length: connCount }, () => plan.chance(0.5));
    const lastOf = new Map<number, number>();
    for (const [seq, c] of owners.entries()) lastOf.set(c, seq);
    const reqs = owners.map((c, seq) => makeRequest(seq, c, closing[c]! && lastOf.get(c) === seq));
    const byConn = Array.from({ length: connCount }, (_, c) => reqs.filter((r) => r.conn === c));

    const results = await Promise.allSettled(
      byConn.map((list, c) => (list.length ? runClient(c, list, port, clientSockets) : Promise.resolve([]))),
    );
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    const got = new Map<number, Got>();
    for (const r of results) if (r.status === 'fulfilled') for (const g of r.value) got.set(g.seq, g);
    assert.deepEqual(problems, [], `${TAG} the backend saw malformed or unexpected requests`);

    const same = (req: Req, what: string, actual: unknown, expected: unknown) => {
      if (isDeepStrictEqual(actual, expected)) return;
      assert.fail(
        `${TAG} request #${req.seq} (${req.method} ${show(req.target)}, client conn ${req.conn}): ${what}\n` +
          `  expected ${show(expected)}\n  actual   ${show(actual)}\n  request  ${show(req.bytes)}`,
      );
    };
    const generatedIds = new Set<string>();
    for (const req of reqs) {
      // What the backend received.
      const list = seen.get(req.seq) ?? [];
      same(req, 'times the backend received it', list.length, 1);
      const s = list[0]!;
      same(req, 'request line at the backend', s.start, `${req.method} ${req.target} HTTP/1.1`);
      const added = (l: string) => {
        const n = nameOf(l);
        return n.startsWith('x-forwarded-') || (n === 'x-request-id' && req.requestId === undefined);
      };
      same(
        req,
        'client field lines at the backend',
        s.lines.filter((l) => !added(l)),
        req.kept,
      );
      const addedLines = s.lines.filter(added);
      const value = (name: string) => addedLines.filter((l) => nameOf(l) === name).map(fieldValueOf);
      same(req, 'x-forwarded-for', value('x-forwarded-for'), [[...req.xff, '127.0.0.1'].join(', ')]);
      same(req, 'x-forwarded-proto', value('x-forwarded-proto'), ['http']);
      same(req, 'x-forwarded-host', value('x-forwarded-host'), [req.host]);
      let requestId = req.requestId;
      if (requestId === undefined) {
        const ids = value('x-request-id');
        same(req, 'x-request-id lines the router added', ids.length, 1);
        requestId = ids[0]!;
        assert.ok(
          requestId !== '' && !generatedIds.has(requestId),
          `${TAG} request #${req.seq}: id ${requestId}`,
        );
        generatedIds.add(requestId);
      }
      same(req, 'other lines the router added', addedLines.length, requestId === req.requestId ? 3 : 4);
      same(req, 'body bytes at the backend', s.body, req.body);

      // What the client received.
      const res = sent.get(req.seq)!;
      const g = got.get(req.seq);
      same(req, 'a response reached the client', g !== undefined, true);
      same(
        req,
        'response echo (responses out of order?)',
        g!.lines.filter((l) => nameOf(l) === 'x-fuzz-echo').map(fieldValueOf),
        [String(req.seq)],
      );
      same(req, 'interim responses', g!.interim, req.expectContinue ? ['HTTP/1.1 100 Continue'] : []);
      same(req, 'status line at the client', g!.statusLine, res.statusLine);
      const listed = connectionOptions(res.lines);
      const expected = res.lines.filter((l) => !DROP_RESPONSE.has(nameOf(l)) && !listed.has(nameOf(l)));
      if (!res.lines.some((l) => nameOf(l) === 'x-request-id')) expected.push(`x-request-id: ${requestId}`);
      if (req.closes) expected.push('connection: close');
      same(req, 'response field lines at the client', g!.lines, expected);
      same(req, 'response body bytes at the client', g!.body, res.body);
    }
    // Nothing reached the backend but the requests: every byte of every connection is accounted for.
    for (const bc of backendConns) {
      assert.equal(bc.pending, '', `${TAG} backend conn ${bc.id} has bytes that are no complete request`);
      assert.ok(
        bc.chunks.join('') === bc.raw.join(''),
        `${TAG} backend conn ${bc.id}: bytes beside the requests`,
      );
    }
    t.diagnostic(
      `seed ${SEED}: ${REQUESTS} requests over ${connCount} client and ${backendConns.length} backend ` +
        `connections in ${Math.round(performance.now() - began)} ms`,
    );
  } finally {
    for (const s of clientSockets) s.destroy();
    await router.close();
    for (const s of backendSockets) s.destroy();
    await new Promise((resolve) => backend.close(resolve));
  }
}
