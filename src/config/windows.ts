/**
 * The syntax of deploy windows: `Tue-Thu 10:00-14:00 Europe/Berlin`, `Mon,Wed 09:00-17:00`,
 * `Fri 00:00-14:00 UTC`. Only the syntax lives here; deciding whether "now" is inside a window is
 * the gates' job.
 */

export const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Day = (typeof DAYS)[number];

export const WINDOW_HINT =
  'days, a time range and an optional IANA time zone, e.g. "Tue-Thu 10:00-14:00 Europe/Berlin"';

export interface WindowSpec {
  readonly days: readonly Day[];
  /** Minutes after midnight, local to `timeZone`. */
  readonly start: number;
  readonly end: number;
  /** null: the environment's `windows.timezone`, else UTC. */
  readonly timeZone: string | null;
}

// Building an Intl.DateTimeFormat costs tens of microseconds; a generated config names the same
// few zones thousands of times.
const zones = new Map<string, boolean>();

export function isKnownTimeZone(zone: string): boolean {
  let known = zones.get(zone);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      known = true;
    } catch {
      known = false;
    }
    if (zones.size < 1000) zones.set(zone, known);
  }
  return known;
}

function parseDays(text: string): Day[] | string {
  const days = new Set<Day>();
  for (const part of text.split(',')) {
    const [from, to, extra] = part.split('-');
    const a = DAYS.indexOf(from as Day);
    const b = to === undefined ? a : DAYS.indexOf(to as Day);
    if (a < 0 || b < 0 || extra !== undefined) {
      return `unknown day range "${part}"; use Mon Tue Wed Thu Fri Sat Sun, e.g. Tue-Thu or Mon,Wed`;
    }
    if (b < a)
      return `day range "${part}" runs backwards; write it from the earlier day, e.g. ${DAYS[b]}-${DAYS[a]}`;
    for (let i = a; i <= b; i++) days.add(DAYS[i] as Day);
  }
  return [...days];
}

function parseClock(text: string): number | null {
  const match = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (!match) return null;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes <= 24 * 60 ? minutes : null;
}

/** The parsed window, or a message saying what is wrong with it. */
export function parseWindow(text: string): WindowSpec | string {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2 || parts.length > 3) return `expected ${WINDOW_HINT}`;
  const [dayText, timeText, zone] = parts as [string, string, string | undefined];
  const days = parseDays(dayText);
  if (typeof days === 'string') return days;
  const [from, to, extra] = timeText.split('-');
  const start = from === undefined ? null : parseClock(from);
  const end = to === undefined ? null : parseClock(to);
  if (start === null || end === null || extra !== undefined) {
    return `time range "${timeText}" is not HH:MM-HH:MM (24-hour clock), e.g. 10:00-14:00`;
  }
  if (end <= start)
    return `time range "${timeText}" ends before it starts; a window must end later the same day`;
  if (zone !== undefined && !isKnownTimeZone(zone)) {
    return `unknown time zone "${zone}"; use an IANA name such as Europe/Berlin or America/New_York`;
  }
  return { days, start, end, timeZone: zone ?? null };
}
