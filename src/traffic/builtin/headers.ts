/**
 * Header handling of the built-in proxy: the head forwarded upstream (hop-by-hop fields removed,
 * X-Forwarded-* and a request id added) and the head sent back to the client. Field lines that
 * pass are copied byte for byte from the head they came in.
 */
import { field, fieldList, type Head, type RequestHead, type ResponseHead, tokens } from './http1/head.ts';

// The two lists below are switches on the length rather than Sets: a Set hashes every field
// name, a string new with each message.

/**
 * Request fields that belong to one connection, or that the proxy sets itself. Content-Length
 * and Transfer-Encoding stay: the body is forwarded with the framing it came with.
 */
function dropRequest(name: string): boolean {
  switch (name.length) {
    case 2:
      return name === 'te';
    case 6:
      return name === 'expect';
    case 7:
      return name === 'upgrade';
    case 10:
      return name === 'connection' || name === 'keep-alive';
    case 15:
      return name === 'x-forwarded-for';
    case 16:
      return name === 'proxy-connection' || name === 'x-forwarded-host';
    case 17:
      return name === 'x-forwarded-proto';
    default:
      return false;
  }
}

/** Response fields that belong to one connection. */
function dropResponse(name: string): boolean {
  if (name.length === 10) return name === 'connection' || name === 'keep-alive';
  return name.length === 16 && name === 'proxy-connection';
}

/** Request ids: a per-process random prefix and a counter, cheaper than a UUID per request. */
const ID_PREFIX = Math.random().toString(36).slice(2, 10);
let idCounter = 0;

export function newRequestId(): string {
  idCounter = (idCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${ID_PREFIX}-${idCounter.toString(36)}`;
}

/** Fields named in Connection (every Connection line: one list) are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionDrops(head: Head): Set<string> | null {
  const listed = tokens(fieldList(head, 'connection'));
  let out: Set<string> | null = null;
  for (const t of listed) {
    if (t === 'close' || t === 'keep-alive' || t === 'upgrade') continue;
    out ??= new Set();
    out.add(t);
  }
  return out;
}

export interface ForwardedHead {
  /** The request head for the backend, ending with its empty line. */
  readonly text: string;
  readonly requestId: string;
}

/**
 * The client's request head for the backend. HTTP/1.0 requests go on as HTTP/1.0 (so the
 * backend answers without chunked coding) and close their connection; an upgrade keeps
 * Connection and Upgrade.
 */
export function forwardHead(head: RequestHead, clientAddress: string, upgrade: boolean): ForwardedHead {
  const text = head.text;
  const names = head.names;
  const extra = connectionDrops(head);
  // The head is copied in runs between the lines dropped: the start line and every line kept
  // are the client's bytes (the strict parser took the start line as exactly these bytes).
  let out = '';
  let from = 0;
  let xff = '';
  let host = '';
  let requestId = '';
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name === 'host') host = head.values[i]!;
    else if (name === 'x-request-id') requestId = head.values[i]!;
    else if (name === 'x-forwarded-for') xff = xff ? `${xff}, ${head.values[i]}` : head.values[i]!;
    if (!dropRequest(name) && !extra?.has(name)) continue;
    // The kept run ends where this line starts; the next starts after its CRLF.
    const start = head.lineStarts[i]!;
    if (start > from) out += text.slice(from, start);
    from = head.lineEnds[i]! + 2;
  }
  if (from < text.length) out += from === 0 ? `${text}\r\n` : `${text.slice(from)}\r\n`;
  out += `x-forwarded-for: ${xff ? `${xff}, ${clientAddress}` : clientAddress}\r\nx-forwarded-proto: http\r\n`;
  if (host) out += `x-forwarded-host: ${host}\r\n`;
  if (!requestId) {
    requestId = newRequestId();
    out += `x-request-id: ${requestId}\r\n`;
  }
  if (upgrade) out += `connection: upgrade\r\nupgrade: ${field(head, 'upgrade') ?? ''}\r\n`;
  else if (head.minor === 0) out += 'connection: close\r\n';
  return { text: `${out}\r\n`, requestId };
}

/** Byte ranges of a head kept for the client, as start/end pairs (reused: one call at a time). */
let kept = new Int32Array(64);

/**
 * The response for the client as far as it arrived: the backend's head without its hop-by-hop
 * fields, with the request id when the backend set none and `connection: close` when this is
 * the connection's last response, then the body bytes src[bodyStart, bodyEnd). The status line
 * and every field line kept are copied from `src`, where the head starts at 0 (its latin1 text
 * has one character per byte).
 */
export function clientResponse(
  head: ResponseHead,
  src: Buffer,
  bodyStart: number,
  bodyEnd: number,
  requestId: string,
  close: boolean,
): Buffer {
  const names = head.names;
  const starts = head.lineStarts;
  const extra = connectionDrops(head);
  // RFC 9112 §6.3: a message with both is framed by Transfer-Encoding, and an intermediary
  // forwarding it must remove Content-Length.
  const chunked = field(head, 'transfer-encoding') !== undefined;
  if (kept.length < 2 * names.length + 2) kept = new Int32Array(2 * names.length + 2);
  let n = 0;
  let from = 0;
  let size = 0;
  let hasId = false;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (dropResponse(name) || extra?.has(name) || (chunked && name === 'content-length')) {
      // The kept run ends where this line starts; the next starts after its CRLF.
      if (starts[i]! > from) {
        kept[n++] = from;
        kept[n++] = starts[i]!;
        size += starts[i]! - from;
      }
      from = head.lineEnds[i]! + 2;
      continue;
    }
    if (name === 'x-request-id') hasId = true;
  }
  const headEnd = head.text.length + 2; // through the last line's CRLF
  if (headEnd > from) {
    kept[n++] = from;
    kept[n++] = headEnd;
    size += headEnd - from;
  }
  let tail = hasId ? '' : `x-request-id: ${requestId}\r\n`;
  if (close) tail += 'connection: close\r\n';
  tail += '\r\n';
  const out = Buffer.allocUnsafe(size + tail.length + bodyEnd - bodyStart);
  let pos = 0;
  for (let k = 0; k < n; k += 2) pos = copyBytes(src, kept[k]!, kept[k + 1]!, out, pos);
  for (let i = 0; i < tail.length; i++) out[pos++] = tail.charCodeAt(i);
  copyBytes(src, bodyStart, bodyEnd, out, pos);
  return out;
}

/**
 * src[from, to) into out at `pos`; returns the position after it. A head's runs are short, and
 * a loop copies them faster than Buffer#copy's native call (~80 ns each).
 */
function copyBytes(src: Buffer, from: number, to: number, out: Buffer, pos: number): number {
  if (to - from > 256) return pos + src.copy(out, pos, from, to);
  for (let i = from; i < to; i++) out[pos++] = src[i]!;
  return pos;
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  505: 'HTTP Version Not Supported',
};

/** A short plain-text answer of the router's own (502, 400...). */
export function plainResponse(status: number, body: string, close: boolean, requestId?: string): string {
  const id = requestId ? `x-request-id: ${requestId}\r\n` : '';
  const conn = close ? 'connection: close\r\n' : '';
  return (
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain\r\ncache-control: no-store\r\n` +
    `${id}${conn}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
