/**
 * The small value languages of slipway.yaml: durations (`30s`, `10m`), percentages (`5%`) and
 * ratios (`2x`). Each parser returns null for a malformed value so the caller can report it.
 */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const DURATION_HINT = 'a duration such as 500ms, 30s, 10m, 2h or 1d';
export const PERCENT_HINT = 'a percentage such as 5%';
export const RATIO_HINT = 'a ratio such as 2x or 1.5x';

/** Milliseconds of a duration like `30s`; null when malformed. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

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
