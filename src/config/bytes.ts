/**
 * The bytes of a config file before they are YAML: at most 16 MB (checked before reading) and
 * UTF-8 — invalid bytes are named with their offset, never replaced silently.
 */

export interface RawProblem {
  /** Character offset in the text (the line and column are derived from it). */
  readonly offset: number;
  readonly path: string;
  readonly message: string;
}

/** A slipway.yaml is a few KB; 16 MB leaves room for generated configs and bounds memory and time. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

/** The size limit, checked before anything is read into memory. */
export function sizeProblem(bytes: number): RawProblem | undefined {
  if (bytes <= MAX_FILE_BYTES) return undefined;
  return {
    offset: 0,
    path: '(file)',
    message: `the file is ${mb(bytes)}, larger than the limit of ${MAX_FILE_BYTES / MB} MB; split the configuration or remove generated parts`,
  };
}

/** Bytes as UTF-8 text; invalid UTF-8 names the first bad byte instead of being replaced silently. */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { problem: RawProblem; line: number } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return utf16(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return utf16(bytes);
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = countLines(bytes, at);
    const hex = (bytes[at] ?? 0).toString(16).padStart(2, '0');
    return {
      line,
      problem: {
        offset: 0,
        path: '(file)',
        message: `expected UTF-8 text, found the byte 0x${hex} at byte offset ${at} (line ${line}); save the file as UTF-8`,
      },
    };
  }
}

function utf16(_bytes: Uint8Array): { problem: RawProblem; line: number } {
  return {
    line: 1,
    problem: {
      offset: 0,
      path: '(file)',
      message: 'expected UTF-8 text, found a UTF-16 byte order mark; save the file as UTF-8',
    },
  };
}

function countLines(bytes: Uint8Array, end: number): number {
  let line = 1;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}
