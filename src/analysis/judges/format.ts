/**
 * Number formatting for verdict reasons. Reasons are read by people deciding whether to roll
 * back, so rates read as percentages and latencies as milliseconds.
 */

/** How a rule's values read: `ratio` (0–1, shown as a percentage), `ms`, or a plain `number`. */
export const UNITS = ['ratio', 'ms', 'number'] as const;
export type Unit = (typeof UNITS)[number];

/** Up to 3 significant digits, without trailing zeros: 0.0512 → "0.0512", 312.4 → "312". */
function short(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return '0';
  const digits = Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 1 ? 2 : 3;
  const s = Math.abs(n) >= 1 ? n.toFixed(digits) : n.toPrecision(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

export function formatValue(value: number, unit: Unit = 'number'): string {
  if (unit === 'ratio') return `${short(value * 100)}%`;
  if (unit === 'ms') return `${short(value)} ms`;
  return short(value);
}

/** 300000 → "5m", 90000 → "1m30s", 1500 → "1.5s", 250 → "250ms". */
/** k of n as a percentage, 0 when n is 0. */
export function formatShare(k: number, n: number): string {
  return formatValue(n > 0 ? k / n : 0, 'ratio');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${short(ms / 1000)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}

/** 2 → "2×", 1.5 → "1.5×". */
export function formatFactor(f: number): string {
  return `${short(f)}×`;
}

/**
 * A p-value for a reason: 2 significant digits, and "< 1e-6" below that, where the normal
 * approximation (and double arithmetic near 1) no longer tells values apart.
 */
export function formatPValue(p: number): string {
  return p < 1e-6 ? 'p < 1e-6' : `p = ${p.toPrecision(2)}`;
}
