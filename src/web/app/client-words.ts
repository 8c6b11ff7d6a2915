/**
 * The client view's words: what visitors get now, what a deployment waits for and when it goes
 * live, the steps as a visitor would notice them, how reverting would go and how long it took
 * here, and history states. Pure (times are formatted in the reader's zone, one format), so each
 * case is checked in words.test.ts against the list of engineer terms a client must not read.
 */
import { clockTime, dayTime, weekday } from './dates.ts';
import type { ClientDeployment, ClientEnvironment, ClientHistoryRow } from './types.ts';

/** One date format for the whole client view, in the reader's locale and time zone. */
export const when = (iso: string | null | undefined): string => (iso ? dayTime(Date.parse(iso)) : '—');

/** "Tuesday 10:00" within the coming week, else the full date (the reader's locale and zone). */
export function opening(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (t - now < 6 * 86_400_000) return `${weekday(t)} ${clockTime(t)}`;
  return when(iso);
}

export function duration(ms: number): string {
  if (ms < 1000) return ms < 1 ? 'under a millisecond' : `${Math.round(ms)} ms`;
  if (ms < 90_000) return `${Math.round(ms / 1000)} seconds`;
  if (ms < 90 * 60_000) return `${Math.round(ms / 60_000)} minutes`;
  return `${(ms / 3_600_000).toFixed(1)} hours`;
}

/** The version serving most visitors, and the one replacing it, from what the agent serves. */
export function headline(input: {
  env: string;
  /** Release id → version. */
  versions: ReadonlyMap<string, string>;
  served: readonly { release: string; weight: number }[] | null;
  recorded: string | null;
  replacing: string | null;
}): string {
  const taking = (input.served ?? []).filter((r) => r.weight > 0).sort((a, b) => b.weight - a.weight);
  const top = taking[0] ? (input.versions.get(taking[0].release) ?? null) : input.recorded;
  const replacing = input.replacing && input.replacing !== top ? input.replacing : null;
  if (!top)
    return replacing
      ? `Nothing is live on ${input.env} yet; version ${replacing} is on its way.`
      : `Nothing is live on ${input.env} yet.`;
  return `Visitors get version ${top}${replacing ? `, being replaced by ${replacing}` : ''}.`;
}

const WAYS: Record<string, string> = {
  switch: 'switching back to the previous version, which is still running',
  'in-flight': 'stopping the rollout and sending every visitor back to the previous version',
  redeploy: 'starting the previous version again',
};

/**
 * How reverting would go now on this environment and how long it took when measured *here*; a
 * rehearsal (a drill, on this environment or one before it) is quoted as what it is, and only for
 * a switch, the one way a rehearsal measures.
 */
export function revertSentence(info: Pick<ClientEnvironment, 'env' | 'revert'>): string {
  const { kind, measured, rehearsed } = info.revert;
  if (!kind) return `There is no earlier version on ${info.env} to go back to.`;
  const way = WAYS[kind] ?? kind;
  const drill = kind === 'switch' ? rehearsed : null;
  const where = drill?.env === info.env ? 'here' : `on ${drill?.env}`;
  const practice = drill ? `a rehearsal ${where} took ${duration(drill.ms)} (${when(drill.at)})` : '';
  if (!measured)
    return drill
      ? `If something goes wrong, reverting means ${way}; it was not yet needed here, but ${practice}.`
      : `If something goes wrong, reverting means ${way}; how long that takes is not yet measured here.`;
  const also = drill ? ` Also, ${practice}.` : '';
  return `If something goes wrong, reverting means ${way}: it took ${duration(measured.ms)} here (measured ${when(measured.at)}).${also}`;
}

/** When an approval now makes it live, how long it takes, and that the decision stays. */
export function approvalConsequences(c: ClientDeployment, env: string, now = Date.now()): string {
  const live = c.goesLiveAt
    ? `it goes live on ${env} on ${opening(c.goesLiveAt, now)}, when the deploy window opens`
    : `it goes live on ${env} right away`;
  const long = c.remainingMs > 0 ? `; it takes about ${duration(c.remainingMs)} to finish` : '';
  return `If you approve version ${c.version}, ${live}${long}. Your decision is recorded with your name and cannot be withdrawn; the release can only be reverted afterwards.`;
}

/** What a deployment in flight waits for or does, in a sentence. */
export function deploymentSentence(
  c: ClientDeployment,
  env: string,
  weight: number,
  paused: boolean,
  canApprove: boolean,
  now = Date.now(),
): string {
  const accepted = c.acceptance
    ? c.acceptance.decision === 'accept'
      ? ` It was accepted on ${c.acceptance.env} by ${c.acceptance.by} on ${when(c.acceptance.at)}.`
      : ` It was rejected on ${c.acceptance.env} by ${c.acceptance.by}.`
    : '';
  if (c.waiting === 'approval')
    return `Version ${c.version} waits for ${canApprove ? 'your' : 'an'} approval to go live on ${env}.${accepted} ${c.goesLiveAt ? `Once approved it goes live on ${opening(c.goesLiveAt, now)}, when the deploy window opens.` : 'Once approved it goes live right away.'}`;
  if (c.waiting === 'window')
    return `Version ${c.version} is approved${c.approvedBy.length ? ` by ${c.approvedBy.join(', ')}` : ''}; it goes live ${c.goesLiveAt ? `on ${opening(c.goesLiveAt, now)}` : 'when the deploy window opens'}.`;
  if (paused) return `Version ${c.version} is on hold: ${weight}% of visitors see it.`;
  return `Version ${c.version} is being put live: ${weight}% of visitors see it now.`;
}

interface Step {
  kind: string;
  weight?: number;
  durationMs?: number | null;
}

/** The plan as a visitor would notice it, with the time left on the current wait. */
export function clientSteps(
  plan: readonly Step[],
  step: number,
  status: string,
  /** What the timed steps from the current one on still take (the server's remainingMs). */
  remainingMs: number | null,
): { text: string; state: 'done' | 'current' | 'next' }[] {
  const timed = (s: Step) =>
    s.kind === 'analysis' || s.kind === 'watch' || s.kind === 'pause' ? (s.durationMs ?? 0) : 0;
  const later = plan.slice(step + 1).reduce((sum, s) => sum + timed(s), 0);
  const out: { text: string; state: 'done' | 'current' | 'next'; key: string }[] = [];
  plan.forEach((s, i) => {
    const state = status === 'succeeded' || i < step ? 'done' : i === step ? 'current' : 'next';
    let key: string;
    let text: string;
    if (
      s.kind === 'preflight' ||
      s.kind === 'smoke' ||
      s.kind === 'start' ||
      s.kind === 'checks' ||
      s.kind === 'performance'
    ) {
      key = 'check';
      text = 'Checking the new version';
    } else if (s.kind === 'approval') {
      key = 'approval';
      text = 'Waiting for approval';
    } else if (s.kind === 'shift' || s.kind === 'scale') {
      key = `show${s.weight}`;
      text = s.weight === 100 ? 'Showing it to all visitors' : `Showing it to ${s.weight}% of visitors`;
    } else if (s.kind === 'analysis' || s.kind === 'watch' || s.kind === 'pause') {
      key = 'watch';
      text = 'Watching for problems';
      if (state === 'current' && remainingMs !== null && s.durationMs) {
        const left = Math.max(0, remainingMs - later);
        text += ` (${left < 60_000 ? 'under a minute' : `${Math.ceil(left / 60_000)} min`} left)`;
      }
    } else {
      key = 'done';
      text = 'Done';
    }
    const last = out.at(-1);
    // Consecutive steps a visitor cannot tell apart are one.
    if (last && last.key === key) {
      last.text = state === 'current' ? text : last.text;
      if (state !== 'done') last.state = last.state === 'done' ? state : last.state;
      return;
    }
    out.push({ key, text, state });
  });
  if (out.at(-1)?.key !== 'done')
    out.push({ key: 'done', text: 'Done', state: status === 'succeeded' ? 'done' : 'next' });
  return out.map(({ text, state }) => ({ text, state }));
}

/** The health of a deployment in one sentence with the one number that matters. */
export function healthSentence(
  a: { verdict: string; numbers?: { errorRate?: number | null } } | null,
  finished: string | null,
): string {
  // Watched to the end without a rollback trigger firing.
  if (finished === 'succeeded') return 'No problems found while it was watched.';
  if (finished === 'rolled_back')
    return 'A problem was found, so every visitor was sent back to the previous version.';
  const rate = a?.numbers?.errorRate;
  const errors = typeof rate === 'number' ? ` (${(rate * 100).toFixed(2)}% of visits failed)` : '';
  if (!a) return 'Nothing measured yet.';
  if (a.verdict === 'fail') return `A problem was found${errors}; going back to the previous version.`;
  if (a.verdict === 'pass') return `No problems found so far${errors}.`;
  return 'Not enough visits yet to tell.';
}

/** A time line entry in plain words, or null for one a client does not need. */
export function timelineWords(what: string): string | null {
  const by = /^(approved|rejected|paused|resumed) by ([^\s:]+)/.exec(what);
  if (by) return `${by[1]?.[0]?.toUpperCase()}${by[1]?.slice(1)} by ${by[2]}`;
  if (/^deployment created/.test(what)) return 'Started';
  if (/^waiting: deploy window/.test(what)) return 'Waiting for the deploy window';
  if (/^waiting: waiting for approval/.test(what)) return 'Waiting for approval';
  const shift = /^began: shift (\d+)%/.exec(what);
  if (shift)
    return shift[1] === '100' ? 'Showing it to all visitors' : `Showing it to ${shift[1]}% of visitors`;
  if (/^began: watch/.test(what)) return 'Watching for problems';
  if (/^rollback by ([^\s:]+)/.test(what)) return `Reverted by ${/^rollback by ([^\s:]+)/.exec(what)?.[1]}`;
  if (/^traffic back on the stable release/.test(what))
    return 'Every visitor is back on the previous version';
  if (/^done: finalize/.test(what)) return 'Done';
  return null;
}

export const STATE_WORDS: Record<ClientHistoryRow['state'], string> = {
  live: 'live',
  replaced: 'replaced',
  reverted: 'reverted',
  rejected: 'rejected',
  'waiting-approval': 'waiting for approval',
  'waiting-window': 'waiting for the window',
  'in-progress': 'going live',
  paused: 'on hold',
  failed: 'did not go live',
  stopped: 'stopped',
};

export function historyState(row: ClientHistoryRow): string {
  if (row.state === 'rejected') return `rejected by ${row.decidedBy ?? 'someone'}`;
  return STATE_WORDS[row.state];
}
