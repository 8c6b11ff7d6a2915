/**
 * Where an HTTP/1.1 message body ends (RFC 9112 §6–7), for a proxy that forwards the body's bytes
 * unchanged: a Content-Length countdown, or a chunked decoder that only follows the chunk sizes
 * (data, extensions and trailers pass through as they are), or "until the connection closes".
 */
import { type Head, tokens } from './head.ts';

export const Framing = { None: 0, Length: 1, Chunked: 2, UntilClose: 3 } as const;
export type Framing = (typeof Framing)[keyof typeof Framing];

/** What a head says about its body; an error reason when it cannot be framed safely. */
export interface Frame {
  readonly framing: Framing;
  readonly length: number;
}

const NONE: Frame = { framing: Framing.None, length: 0 };
const CHUNKED: Frame = { framing: Framing.Chunked, length: 0 };
const UNTIL_CLOSE: Frame = { framing: Framing.UntilClose, length: 0 };
const DIGITS = /^\d{1,15}$/;

/**
 * The value of 1 to 15 decimal digits and nothing else, or -1: what nearly every Content-Length
 * is, read without the split, trim and pattern test the general case takes.
 */
function digits(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Content-Length, where several equal values (one field or many) count as one. */
function contentLength(head: Head): number | string | undefined {
  let value: number | undefined;
  for (let i = 0; i < head.names.length; i++) {
    if (head.names[i] !== 'content-length') continue;
    const plain = digits(head.values[i]!);
    if (plain >= 0) {
      if (value !== undefined && value !== plain) return 'Content-Length has conflicting values';
      value = plain;
      continue;
    }
    for (const part of head.values[i]!.split(',')) {
      const t = part.trim();
      if (!DIGITS.test(t)) return `Content-Length ${JSON.stringify(head.values[i])} is not a number`;
      const n = Number(t);
      if (value !== undefined && value !== n) return 'Content-Length has conflicting values';
      value = n;
    }
  }
  return value;
}

/** The Transfer-Encoding list: absent, ending in chunked, or ending in another coding. */
function transferCoding(head: Head): 'none' | 'chunked' | 'other' {
  let seen = false;
  let last = '';
  for (let i = 0; i < head.names.length; i++) {
    if (head.names[i] !== 'transfer-encoding') continue;
    for (const t of tokens(head.values[i])) {
      seen = true;
      last = t;
    }
  }
  if (!seen) return 'none';
  return last === 'chunked' ? 'chunked' : 'other';
}

/** A request's body: refused when it is ambiguous (both lengths, or a coding other than chunked). */
export function requestFrame(head: Head): Frame | string {
  const te = transferCoding(head);
  const cl = contentLength(head);
  if (typeof cl === 'string') return cl;
  if (te !== 'none') {
    if (cl !== undefined) return 'both Transfer-Encoding and Content-Length are set';
    if (head.minor === 0) return 'Transfer-Encoding in an HTTP/1.0 request';
    if (te !== 'chunked') return 'Transfer-Encoding must end with chunked';
    return CHUNKED;
  }
  if (cl === undefined || cl === 0) return NONE;
  return { framing: Framing.Length, length: cl };
}

/** A response's body, given the request's method (RFC 9112 §6.3). */
export function responseFrame(head: Head & { status: number }, method: string): Frame | string {
  const status = head.status;
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return NONE;
  const te = transferCoding(head);
  if (te === 'chunked') return CHUNKED;
  if (te === 'other') return UNTIL_CLOSE;
  const cl = contentLength(head);
  if (typeof cl === 'string') return cl;
  if (cl === undefined) return UNTIL_CLOSE;
  return cl === 0 ? NONE : { framing: Framing.Length, length: cl };
}

/** States of the chunked decoder. */
const S = {
  SizeStart: 0,
  Size: 1,
  Ext: 2,
  SizeLf: 3,
  Data: 4,
  DataCr: 5,
  DataLf: 6,
  TrailerStart: 7,
  Trailer: 8,
  TrailerLf: 9,
  EndLf: 10,
  Done: 11,
} as const;
type S = (typeof S)[keyof typeof S];

const MAX_CHUNK = 2 ** 48;

/** Follows one body through the chunks it arrives in. */
export class BodyTracker {
  private framing: Framing = Framing.None;
  private remaining = 0;
  private state: S = S.Done;
  private sizeDigits = 0;
  /** Set when the body is complete. */
  done = true;
  /** Set when a chunked body broke its syntax; the connection cannot be trusted after it. */
  error = false;

  reset(frame: Frame): void {
    this.framing = frame.framing;
    this.remaining = frame.length;
    this.error = false;
    this.state = S.SizeStart;
    this.sizeDigits = 0;
    this.done = frame.framing === Framing.None;
  }

  get untilClose(): boolean {
    return this.framing === Framing.UntilClose;
  }

  /**
   * Takes body bytes from buf[start, end): returns where the body ended in it (end when it needs
   * more, or for a body read until the connection closes), or -1 on a chunked syntax error.
   */
  feed(buf: Buffer, start: number, end: number): number {
    if (this.done) return start;
    if (this.framing === Framing.UntilClose) return end;
    if (this.framing === Framing.Length) {
      const take = Math.min(this.remaining, end - start);
      this.remaining -= take;
      if (this.remaining === 0) this.done = true;
      return start + take;
    }
    return this.chunked(buf, start, end);
  }

  private chunked(buf: Buffer, i: number, end: number): number {
    let state: S = this.state;
    while (i < end) {
      if (state === S.Data) {
        const take = Math.min(this.remaining, end - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) state = S.DataCr;
        continue;
      }
      const c = buf[i]!;
      i++;
      switch (state) {
        case S.SizeStart:
        case S.Size: {
          const d = hexValue(c);
          if (d >= 0) {
            if (++this.sizeDigits > 12) return this.broken();
            this.remaining = this.remaining * 16 + d;
            state = S.Size;
          } else if (state === S.Size && c === 0x0d) state = S.SizeLf;
          else if (state === S.Size && (c === 0x3b || c === 0x20 || c === 0x09)) state = S.Ext;
          else return this.broken();
          break;
        }
        case S.Ext:
          if (c === 0x0d) state = S.SizeLf;
          else if (c === 0x0a || (c < 0x20 && c !== 0x09) || c === 0x7f) return this.broken();
          break;
        case S.SizeLf:
          if (c !== 0x0a || this.remaining > MAX_CHUNK) return this.broken();
          this.sizeDigits = 0;
          state = this.remaining === 0 ? S.TrailerStart : S.Data;
          break;
        case S.DataCr:
          if (c !== 0x0d) return this.broken();
          state = S.DataLf;
          break;
        case S.DataLf:
          if (c !== 0x0a) return this.broken();
          state = S.SizeStart;
          break;
        case S.TrailerStart:
          if (c === 0x0d) state = S.EndLf;
          else if (c === 0x0a) return this.broken();
          else state = S.Trailer;
          break;
        case S.Trailer:
          if (c === 0x0d) state = S.TrailerLf;
          else if (c === 0x0a) return this.broken();
          break;
        case S.TrailerLf:
          if (c !== 0x0a) return this.broken();
          state = S.TrailerStart;
          break;
        case S.EndLf:
          if (c !== 0x0a) return this.broken();
          this.state = S.Done;
          this.done = true;
          return i;
      }
    }
    this.state = state;
    return end;
  }

  private broken(): number {
    this.error = true;
    this.done = true;
    this.state = S.Done;
    return -1;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}
