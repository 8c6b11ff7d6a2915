/**
 * A blameless post-mortem draft as Markdown, from what slipway recorded about a rolled-back or
 * failed deployment. Pure: read.ts gathers the facts. It describes what the process did and let
 * through; people appear only as facts (who started it, who decided), never as a cause.
 */

export interface DraftRelease {
  readonly version: string;
  readonly digest: string;
  readonly commit: string | null;
  readonly ci: string;
  readonly createdAt: string;
}

export interface DraftFacts {
  readonly id: string;
  readonly app: string;
  readonly env: string;
  readonly strategy: string;
  readonly status: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly reason: string | null;
  readonly release: DraftRelease | null;
  readonly previous: DraftRelease | null;
  /** The guard's numbers behind the decision, when a rule decided. */
  readonly outcome: {
    readonly rule?: string;
    readonly observed?: number | null;
    readonly threshold?: number | null;
    readonly by?: string;
  } | null;
  /** Time line entries, oldest first, with the new release's share of traffic at each (percent). */
  readonly timeline: readonly {
    readonly at: string;
    readonly what: string;
    readonly weight: number | null;
  }[];
  readonly approvals: readonly { readonly user: string; readonly decision: string; readonly at: string }[];
  /** Config, flag and migration changes around the deployment (changes.ts); absent: not gathered. */
  readonly changes?: DraftChanges;
  /** When the draft was made (ISO). */
  readonly now: string;
}

import type { DraftChanges } from './changes.ts';

const t = (iso: string) => Date.parse(iso);
const clockOf = (iso: string) => iso.slice(0, 19).replace('T', ' ');

/** 1h 2m 3s, 45s, 120ms. */
export function span(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.round(ms / 1000);
  const parts = [
    Math.floor(s / 3600) && `${Math.floor(s / 3600)}h`,
    Math.floor((s % 3600) / 60) && `${Math.floor((s % 3600) / 60)}m`,
    s % 60 && `${s % 60}s`,
  ];
  return parts.filter(Boolean).join(' ');
}

/** A measured number as people read it: ratios below 1 as percentages too. */
function num(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'not recorded';
  return Math.abs(x) < 1 && x !== 0 ? `${x} (${+(x * 100).toFixed(2)}%)` : String(x);
}

function releaseLine(r: DraftRelease | null): string {
  if (!r) return 'not recorded (the first deployment of this environment)';
  const commit = r.commit ? `, commit ${r.commit.slice(0, 12)}` : ', no commit recorded';
  return `${r.version} (${r.digest.slice(0, 19)}${commit}, CI ${r.ci}, registered ${clockOf(r.createdAt)} UTC)`;
}

/** Impact: from the first moment the new release carried traffic until the deployment ended. */
export function impactOf(f: DraftFacts): {
  from: string;
  to: string | null;
  ms: number | null;
  peak: number;
} {
  const serving = f.timeline.find((e) => (e.weight ?? 0) > 0);
  const from = serving?.at ?? f.createdAt;
  const to = f.finishedAt;
  const peak = Math.max(0, ...f.timeline.map((e) => e.weight ?? 0));
  return { from, to, ms: to ? t(to) - t(from) : null, peak };
}

export function postmortemDraft(f: DraftFacts): string {
  const ended =
    f.status === 'rolled_back'
      ? 'rolled back'
      : f.status === 'reverted'
        ? 'taken back by a rollback'
        : f.status;
  const impact = impactOf(f);
  const lines: string[] = [];
  const out = (...l: string[]) => lines.push(...l);
  out(
    `# Post-mortem (draft): ${f.app} ${f.release?.version ?? '?'} on ${f.env}, ${ended}`,
    '',
    `_Drafted by slipway on ${clockOf(f.now)} UTC from what it recorded about deployment ${f.id}. Blameless: it describes what`,
    'the process did and let through, not who made a mistake. Edit it together; the questions at the end are for the team._',
    '',
    '## Summary',
    '',
    `- **Outcome:** ${ended}. ${f.reason ? `Recorded reason: ${f.reason}` : 'No reason was recorded.'}`,
    `- **What changed:** release ${releaseLine(f.release)}`,
    `- **Replacing:** release ${releaseLine(f.previous)}`,
    `- **Strategy:** ${f.strategy}`,
    `- **Started:** ${clockOf(f.createdAt)} UTC (who started it: ${f.createdBy})`,
    `- **Ended:** ${f.finishedAt ? `${clockOf(f.finishedAt)} UTC, ${span(t(f.finishedAt) - t(f.createdAt))} after the start` : 'not yet ended'}`,
    `- **Duration of impact:** ${
      impact.ms === null
        ? 'still open'
        : `${span(impact.ms)}, from ${clockOf(impact.from)} (${
            impact.peak > 0
              ? 'the new release first took traffic'
              : 'the start; the new release never took traffic'
          }) to ${clockOf(impact.to as string)} UTC`
    }; at most ${impact.peak}% of traffic reached the new release.`,
    '',
  );
  if (f.changes) out(...changesSection(f.env, f.changes));
  out('## What the guard measured', '');
  const o = f.outcome;
  if (o && (o.rule !== undefined || o.observed !== undefined)) {
    out(
      `- **Rule:** ${o.rule ?? 'not recorded'}`,
      `- **Observed:** ${num(o.observed)}`,
      `- **Threshold:** ${num(o.threshold)}`,
    );
  } else if (o?.by) {
    out(`- No rule decided: the end was asked for by hand (recorded by: ${o.by}).`);
  } else {
    out('- No measurement decided this outcome (see the time line for the failing step).');
  }
  out(
    '',
    '## Time line (UTC)',
    '',
    '| time | since start | traffic to new release | what happened |',
    '|---|---|---|---|',
  );
  for (const e of f.timeline)
    out(
      `| ${clockOf(e.at)} | +${span(t(e.at) - t(f.createdAt))} | ${e.weight === null ? '' : `${e.weight}%`} | ${e.what.replaceAll('|', '\\|')} |`,
    );
  if (f.approvals.length) {
    out('', '## Gates passed', '');
    for (const a of f.approvals) out(`- ${a.decision} at ${clockOf(a.at)} UTC (${a.user})`);
  }
  out(
    '',
    '## Questions for the team',
    '',
    '_About the process and the system, not about people. Each follow-up gets an owning team and a date._',
    '',
    `1. **Detection.** The problem was detected ${
      impact.ms === null
        ? 'while the deployment was still open'
        : `${span(impact.ms)} after the new release first took traffic`
    }${o?.rule ? `, by the rule "${o.rule}"` : ''}. Which earlier stage (CI, ${
      f.previous ? 'a lower environment, ' : ''
    }smoke checks, a shorter first analysis) could have shown it sooner, and what would that cost?`,
    `2. **Thresholds.** ${
      o?.threshold !== undefined && o?.threshold !== null
        ? `The threshold was ${num(o.threshold)} and the guard observed ${num(o.observed)}.`
        : 'No threshold was involved.'
    } Is the rule measuring what users feel, and is its threshold set from data?`,
    `3. **Blast radius.** Up to ${impact.peak}% of traffic reached the new release. Was the first step of the ${f.strategy} strategy small enough for a change like this one?`,
    '4. **Recovery.** Did the environment return fully to the previous release, and did anything (data, caches, migrations, flags) need work by hand afterwards?',
    '5. **The path of the change.** What in review, tests and staging let this change through, and what small change to the pipeline would make the next one visible earlier?',
    '6. **Information.** Did everyone involved have the signals they needed at each step (dashboards, alerts, this time line)? What was missing or misleading?',
    '',
    '## Follow-up actions',
    '',
    '| action | owning team | due |',
    '|---|---|---|',
    '|  |  |  |',
    '',
  );
  return lines.join('\n');
}

const code = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(', ');

/** "What changed besides the code": config key names (never values), flag changes, migrations. */
export function changesSection(env: string, c: DraftChanges): string[] {
  const lines = ['## What changed besides the code', ''];
  if (!c.config) lines.push('- **Config:** not recorded for both releases.');
  else {
    const parts = [
      c.config.changed.length > 0 && `${code(c.config.changed)} changed`,
      c.config.added.length > 0 && `${code(c.config.added)} added`,
      c.config.removed.length > 0 && `${code(c.config.removed)} removed`,
    ].filter(Boolean);
    lines.push(
      parts.length === 0
        ? '- **Config:** the same keys and values as the release it replaced.'
        : `- **Config:** ${parts.join('; ')} (names only: values stay out of drafts).`,
    );
  }
  if (c.flags.length === 0)
    lines.push(
      `- **Feature flags on ${env}:** none changed from the previous deployment to the end of this one.`,
    );
  else {
    lines.push(`- **Feature flags on ${env}** (from the previous deployment to the end of this one):`);
    for (const x of c.flags)
      lines.push(
        `  - \`${x.key}\` version ${x.version} (${x.action}) at ${clockOf(x.at)} UTC${x.reason ? `: ${x.reason}` : ''}`,
      );
  }
  if (c.migrations.length === 0) lines.push('- **Migrations:** none ran during this deployment.');
  else {
    lines.push('- **Migrations:**');
    for (const m of c.migrations) {
      const what = m.action.replace(/^migrations\./, '').replace('.', ' ');
      lines.push(
        `  - ${what} at ${clockOf(m.at)} UTC${m.release ? `, release ${m.release}` : ''}${m.files.length ? `: ${code(m.files)}` : ''}${m.detail ? ` (${m.detail})` : ''}`,
      );
    }
  }
  lines.push('');
  return lines;
}
