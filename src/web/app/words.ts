/** Plain sentences for readers who are not engineers. Pure, so each case is easy to check. */
import { clockTime } from './dates.ts';
import type { Detail, EnvRow, RestoreSpeed } from './types.ts';

const clock = (iso: string) => clockTime(Date.parse(iso));

/** The seeds' "DB rollback": the last measured restore of a database backup, or nothing when none. */
export function restoreSentence(speed: RestoreSpeed | null): string | null {
  if (!speed || speed.totalMs === null) return null;
  const took =
    speed.totalMs < 60_000
      ? `${(speed.totalMs / 1000).toFixed(1)} seconds`
      : `${(speed.totalMs / 60_000).toFixed(1)} minutes`;
  const rows = speed.rows === null ? '' : `, ${speed.rows.toLocaleString('en')} rows checked`;
  return `Restoring a database backup on ${speed.env} took ${took} (last measured${rows}).`;
}

/**
 * What is happening on one environment, in a sentence or three. `rows` are the other
 * environments (where the release waiting here has been before).
 */
export function envSentence(
  row: EnvRow,
  active: Detail | null,
  canApprove: boolean,
  rows: readonly EnvRow[] = [],
): string {
  const parts: string[] = [];
  if (row.release && row.since)
    parts.push(`Version ${row.release.version} has been on ${row.env} since ${clock(row.since)}.`);
  else if (!row.release) parts.push(`Nothing has been deployed to ${row.env} yet.`);
  if (active) {
    const version = active.release?.version ?? active.deployment.releaseId;
    const step = active.progress.plan[active.progress.step];
    const before = rows.find((r) => r.env !== row.env && r.release?.id === active.deployment.releaseId);
    if (active.deployment.status === 'paused')
      parts.push(
        `Version ${version} is paused at ${active.progress.weight}% of traffic until someone resumes it.`,
      );
    else if (step?.kind === 'approval') {
      if (before?.since)
        parts.push(
          `Version ${version} has been on ${before.env} since ${clock(before.since)}. All checks passed there.`,
        );
      parts.push(`It is waiting for ${canApprove ? 'your' : 'an'} approval to go live on ${row.env}.`);
    } else
      parts.push(
        `Version ${version} is being rolled out: ${active.progress.weight}% of visitors see it now.`,
      );
    if (active.analysis?.verdict === 'pass') parts.push('All checks pass so far.');
    if (active.analysis?.verdict === 'fail') parts.push(`A check failed: ${active.analysis.reason}`);
  }
  return parts.join(' ');
}

/**
 * Whether what is served matches the record, in plain words: an agent that cannot be asked is
 * never shown as a healthy version; a difference is named; a deployment nobody drives is said so.
 */
export function truthSentence(row: EnvRow): string | null {
  const parts: string[] = [];
  if (row.served && !row.served.reachable)
    parts.push(
      `Slipway cannot reach the service that runs ${row.env} right now, so it cannot tell which version visitors get.`,
    );
  else if (row.drift) parts.push(`What visitors get differs from the record: ${row.drift}.`);
  if (row.active?.state === 'interrupted')
    parts.push(
      `The rollout of a new version stopped half-way (${row.active.line}); someone needs to resume or abort it.`,
    );
  return parts.length > 0 ? parts.join(' ') : null;
}

export const STATUS_WORDS: Record<string, string> = {
  running: 'in progress',
  paused: 'paused',
  succeeded: 'live',
  rolled_back: 'rolled back',
  aborted: 'stopped',
  failed: 'failed',
};
