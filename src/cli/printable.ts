/**
 * Text from stored data (versions, notes, reasons, names) may hold terminal escape sequences or
 * control characters — typed by a user of an older slipway or sent through the API. Printed raw
 * they could rewrite the screen, hide lines or change the window title, so the CLI shows them as
 * visible escapes (`\x1b`, `\n`) instead.
 */

// C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a reader sees.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const UNSAFE_IN_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const SGR = /\u001b\[[0-9;]*m/y;

function visible(ch: string): string {
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  const code = ch.codePointAt(0) ?? 0;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One value (a table cell, a version): every control character escaped, newlines included. */
export function printable(text: string): string {
  return text.replace(UNSAFE, visible);
}

/**
 * A whole line or block of output: newlines and tabs kept; with `keepColour`, the colour codes
 * slipway itself added (SGR, `ESC[…m`) kept too — only on a colour terminal, where they are ours.
 */
export function printableLines(text: string, keepColour = false): string {
  if (!keepColour) return text.replace(UNSAFE_IN_LINES, visible);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '\u001b') {
      SGR.lastIndex = i;
      const m = SGR.exec(text);
      if (m) {
        out += m[0];
        i += m[0].length;
        continue;
      }
    }
    UNSAFE_IN_LINES.lastIndex = 0;
    out += UNSAFE_IN_LINES.test(ch) ? visible(ch) : ch;
    i += ch.length;
  }
  return out;
}
