/**
 * Deploy windows, freezes, holidays and peak hours: is time T a good time to change this
 * environment? Pure (the time is an argument), and every local time goes through luxon's IANA
 * zone data, never a hand-made offset, so DST changes land where the zone says they do.
 *
 * The seeds' risk policy is the default (`windows.policy: seed`): ideal Tue–Thu 10:00–14:00
 * (outside it only a warning), a warning on Monday, blocked Friday from 14:00, on a listed
 * holiday and the day before it. Freezes and peak hours block whatever the policy.
 */
import { DateTime } from 'luxon';
import type { EnvironmentConfig } from '../config/schema.ts';
import { DAYS, parseWindow, type WindowSpec } from '../config/windows.ts';

export interface DateRange {
  /** Calendar dates `YYYY-MM-DD`, inclusive, in the policy's zone. */
  readonly from: string;
  readonly to: string;
}

export interface WindowPolicy {
  /** The zone of dates (freeze, holidays), of the seed rules and of windows without their own. */
  readonly zone: string;
  /** Empty: any time is allowed (the seed policy may still warn or block). */
  readonly allow: readonly WindowSpec[];
  readonly freeze: readonly DateRange[];
  readonly holidays: readonly DateRange[];
  readonly peak: readonly WindowSpec[];
  readonly seed: boolean;
}

export type WindowRule =
  | 'outside-window'
  | 'freeze'
  | 'holiday'
  | 'holiday-eve'
  | 'friday-afternoon'
  | 'peak';

export type WindowVerdict =
  | { readonly state: 'open'; readonly warnings: readonly string[] }
  | { readonly state: 'closed'; readonly rule: WindowRule; readonly reason: string };

export const SEED_IDEAL = 'Tue-Thu 10:00-14:00';
const SEED_IDEAL_SPEC = parseWindow(SEED_IDEAL) as WindowSpec;
const FRIDAY_CUTOFF = 14 * 60;

const range = (text: string): DateRange => {
  const [from, to] = text.split('/') as [string, string | undefined];
  return { from, to: to ?? from };
};

/** The policy of an environment's `windows:` block; null when it has none (no window gate). */
export function windowPolicy(windows: EnvironmentConfig['windows']): WindowPolicy | null {
  if (!windows) return null;
  const specs = (list: readonly string[] | undefined) =>
    (list ?? []).map((w) => parseWindow(w)).filter((w): w is WindowSpec => typeof w !== 'string');
  return {
    zone: windows.timezone ?? 'UTC',
    allow: specs(windows.allow),
    freeze: (windows.freeze ?? []).map(range),
    holidays: (windows.holidays ?? []).map(range),
    peak: specs(windows.peak),
    seed: windows.policy === 'seed',
  };
}

const local = (t: number, zone: string): DateTime => DateTime.fromMillis(t, { zone });
const dayOf = (dt: DateTime) => DAYS[dt.weekday - 1];
const minuteOf = (dt: DateTime) => dt.hour * 60 + dt.minute;
const clock = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** Whether `t` falls inside the window, read in the window's zone (or `zone`). */
export function inWindow(spec: WindowSpec, t: number, zone: string): boolean {
  const dt = local(t, spec.timeZone ?? zone);
  const day = dayOf(dt);
  const m = minuteOf(dt);
  return day !== undefined && spec.days.includes(day) && m >= spec.start && m < spec.end;
}

export function describeWindow(spec: WindowSpec, zone: string): string {
  return `${spec.days.join(',')} ${clock(spec.start)}-${clock(spec.end)} ${spec.timeZone ?? zone}`;
}

const inRange = (date: string, r: DateRange) => date >= r.from && date <= r.to;

/** Is `t` a good time? The first rule that closes it wins; warnings only when open. */
export function evaluateWindows(policy: WindowPolicy, t: number): WindowVerdict {
  const dt = local(t, policy.zone);
  const date = dt.toISODate() as string;
  const freeze = policy.freeze.find((r) => inRange(date, r));
  if (freeze) {
    return {
      state: 'closed',
      rule: 'freeze',
      reason: `${date} is inside the freeze ${freeze.from}/${freeze.to} (${policy.zone})`,
    };
  }
  const peak = policy.peak.find((w) => inWindow(w, t, policy.zone));
  if (peak) {
    return {
      state: 'closed',
      rule: 'peak',
      reason: `inside peak hours ${describeWindow(peak, policy.zone)}`,
    };
  }
  if (policy.allow.length > 0 && !policy.allow.some((w) => inWindow(w, t, policy.zone))) {
    return {
      state: 'closed',
      rule: 'outside-window',
      reason: `outside the allowed windows (${policy.allow.map((w) => describeWindow(w, policy.zone)).join('; ')})`,
    };
  }
  if (!policy.seed) return { state: 'open', warnings: [] };
  const holiday = policy.holidays.find((r) => inRange(date, r));
  if (holiday) {
    return { state: 'closed', rule: 'holiday', reason: `${date} is a listed holiday (${policy.zone})` };
  }
  const tomorrow = dt.plus({ days: 1 }).toISODate() as string;
  const eve = policy.holidays.find((r) => r.from === tomorrow);
  if (eve) {
    return {
      state: 'closed',
      rule: 'holiday-eve',
      reason: `${date} is the day before the holiday ${eve.from} (seed policy: no deployments before a holiday)`,
    };
  }
  if (dayOf(dt) === 'Fri' && minuteOf(dt) >= FRIDAY_CUTOFF) {
    return {
      state: 'closed',
      rule: 'friday-afternoon',
      reason: `it is Friday ${clock(minuteOf(dt))} ${policy.zone} (seed policy: no deployments on Friday from 14:00)`,
    };
  }
  const warnings: string[] = [];
  if (dayOf(dt) === 'Mon') warnings.push('Monday: issues from the weekend may still be piling up');
  else if (!inWindow(SEED_IDEAL_SPEC, t, policy.zone)) {
    warnings.push(`outside the ideal window ${SEED_IDEAL} ${policy.zone}`);
  }
  return { state: 'open', warnings };
}

/**
 * The first moment at or after `t` when the policy is open, or null when none comes within
 * `horizonDays`. The verdict only changes at local midnights, window edges and the Friday cutoff,
 * so those are the only candidates checked.
 */
export function nextOpening(policy: WindowPolicy, t: number, horizonDays = 400): number | null {
  if (evaluateWindows(policy, t).state === 'open') return t;
  const zones = new Set([
    policy.zone,
    ...[...policy.allow, ...policy.peak].map((w) => w.timeZone ?? policy.zone),
  ]);
  const minutes = new Set([
    0,
    FRIDAY_CUTOFF,
    ...policy.allow.map((w) => w.start),
    ...policy.peak.map((w) => w.end),
  ]);
  const candidates: number[] = [];
  for (let day = 0; day <= horizonDays; day++) {
    for (const zone of zones) {
      const midnight = local(t, zone).startOf('day').plus({ days: day });
      for (const m of minutes) {
        if (m >= 24 * 60) continue;
        // A local time inside a spring-forward gap is moved forward by luxon, as a clock would.
        const at = midnight.set({ hour: Math.floor(m / 60), minute: m % 60 }).toMillis();
        if (at > t) candidates.push(at);
      }
    }
  }
  candidates.sort((a, b) => a - b);
  const open = candidates.find((c) => evaluateWindows(policy, c).state === 'open');
  if (open !== undefined) return open;
  return null;
}
