/**
 * Every date and time the dashboard shows, in one place: the reader's own locale and time zone
 * (the browser's), one format per purpose, the same in the client view, the detailed view and the
 * charts. `locale` and `timeZone` are parameters only so tests can pin them.
 */
export interface Where {
  readonly locale?: string | undefined;
  readonly timeZone?: string | undefined;
}

const at = (w: Where) => ({ ...(w.timeZone !== undefined && { timeZone: w.timeZone }) });

/** "Tue 8 Dec, 10:00" (en-GB) or "Tue, Dec 8, 10:00 AM" (en-US): a moment a person refers to. */
export function dayTime(ms: number, w: Where = {}): string {
  return new Date(ms).toLocaleString(w.locale, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    ...at(w),
  });
}

/** "8 Dec, 10:00:05": a time line entry, to the second. */
export function dateTimeSeconds(ms: number, w: Where = {}): string {
  return new Date(ms).toLocaleString(w.locale, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    ...at(w),
  });
}

/** "8 Dec, 10:00": a row of a list. */
export function dateTimeShort(ms: number, w: Where = {}): string {
  return new Date(ms).toLocaleString(w.locale, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...at(w),
  });
}

/** "10:00". */
export function clockTime(ms: number, w: Where = {}): string {
  return new Date(ms).toLocaleTimeString(w.locale, { hour: '2-digit', minute: '2-digit', ...at(w) });
}

/** "10:00:05": a chart's axis, where points are seconds apart. */
export function clockSeconds(ms: number, w: Where = {}): string {
  return new Date(ms).toLocaleTimeString(w.locale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    ...at(w),
  });
}

/** "Tuesday". */
export function weekday(ms: number, w: Where = {}): string {
  return new Date(ms).toLocaleDateString(w.locale, { weekday: 'long', ...at(w) });
}

/** "8 Dec 2026": the Monday (a UTC date, YYYY-MM-DD) that starts a week of the DORA charts. */
export function weekStart(day: string, w: Where = {}): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(w.locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}
