/**
 * The small value languages of slipway.yaml: durations (`30s`, `1h30m`), percentages (`5%`) and
 * ratios (`2x`). Each parser returns null for a malformed value so the caller can report it.
 */

const UNITS = ['d', 'h', 'm', 's', 'ms'] as const;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

export const DURATION_HINT = 'a duration such as 500ms, 30s, 10m, 2h, 1d or 1h30m';

/**
 * The one duration grammar of slipway (config keys, config values of type duration, CLI flags):
 * one or more `<number><unit>` with units ms, s, m, h, d, larger units first, each at most once,
 * no spaces; a fraction only in a single part (`1.5h`, not `1h0.5m`). Returns milliseconds, or the
 * reason the text is not a duration — an ambiguous form (`30`, `1M`, `30m1h`) is refused, never guessed.
 */
export function durationOf(text: string): number | string {
  if (text === '') return 'it is empty';
  if (/^\d+(\.\d+)?$/.test(text)) return `${text} has no unit; add one, e.g. ${text}s or ${text}m`;
  if (/\s/.test(text)) return `write it without spaces, e.g. ${text.replace(/\s+/g, '')}`;
  if (/[A-Z]/.test(text) && /^[\d.a-zA-Z]+$/.test(text))
    return 'units are lowercase: ms, s, m (minutes), h, d; months and years are not durations here';
  let total = 0;
  let parts = 0;
  let fraction = false;
  let last = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const match = PART.exec(text);
    if (!match) {
      const rest = text.slice(at);
      if (/^\d+(\.\d+)?$/.test(rest)) return `"${rest}" has no unit; add one, e.g. ${rest}s`;
      return /^\d/.test(rest)
        ? `"${rest}" has an unknown unit; use ms, s, m, h or d`
        : `"${rest}" is not a number with a unit`;
    }
    const unit = match[2] as Unit;
    const rank = UNITS.indexOf(unit);
    if (rank === last) return `the unit ${unit} appears twice; write each unit once, e.g. 1h30m`;
    if (rank < last) return 'write the larger unit first, e.g. 1h30m rather than 30m1h';
    last = rank;
    if ((match[1] as string).includes('.')) fraction = true;
    total += Number(match[1]) * UNIT_MS[unit];
    parts++;
  }
  if (fraction && parts > 1) return 'a fraction is only allowed in a single part, e.g. 1.5h or 1h30m';
  return total;
}

/** Milliseconds of a duration like `30s` or `1h30m`; null when malformed. */
export function parseDuration(text: string): number | null {
  const ms = durationOf(text.trim());
  return typeof ms === 'number' ? ms : null;
}

export const PERCENT_HINT = 'a percentage such as 5%';
export const RATIO_HINT = 'a ratio such as 2x or 1.5x';

/** A percentage like `5%` or `0.5%` as a fraction (0.05); null when malformed. */
export function parsePercent(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  return match ? Number(match[1]) / 100 : null;
}

/** A ratio like `2x`; null when malformed. */
export function parseRatio(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)x$/.exec(text.trim());
  return match ? Number(match[1]) : null;
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
