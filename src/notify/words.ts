/**
 * A queued event in plain words, for the notifiers that speak to people (Slack, email): a title
 * sentence, a few lines of detail and, for a deployment waiting for approval, the approve link.
 * Pure; reads only the queued payload, so a message never holds more than the payload did.
 */

export interface Words {
  readonly title: string;
  readonly lines: readonly string[];
  readonly link?: { readonly url: string; readonly label: string };
}

type Data = Record<string, unknown>;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function deployment(type: string, d: Data): Words {
  const app = text(d.app) ?? 'the app';
  const env = text(d.env) ?? 'an environment';
  const release = text(d.release) ?? 'a release';
  const what = `${app} ${release}`;
  const by = text(d.startedBy);
  const reason = text(d.reason);
  const rollback = d.rollback as Data | undefined;
  const lines: string[] = [];
  if (text(d.previousRelease)) lines.push(`Before: ${d.previousRelease}.`);
  if (text(d.strategy)) lines.push(`Strategy: ${d.strategy}.`);
  if (by) lines.push(`Started by ${by}.`);
  if (text(d.deployment)) lines.push(`Deployment ${d.deployment}.`);
  switch (type) {
    case 'deployment.started':
      return { title: `Deploying ${what} to ${env}.`, lines };
    case 'deployment.waiting_approval': {
      const approval = d.approval as Data | undefined;
      const needed = typeof approval?.required === 'number' ? approval.required : 1;
      const role = text(approval?.role) ?? 'approver';
      const title = `${what} is waiting for approval before it goes to ${env}.`;
      const ask = `It needs ${needed} approval${needed === 1 ? '' : 's'} from the ${role} role; sign in to approve or reject.`;
      const url = text(d.approveUrl);
      return {
        title,
        lines: [
          ask,
          ...lines,
          ...(url && text(d.approveUrlExpires) ? [`The link works once, until ${d.approveUrlExpires}.`] : []),
        ],
        ...(url && { link: { url, label: 'Open the approval page' } }),
      };
    }
    case 'deployment.succeeded':
      return { title: `${what} is live in ${env}.`, lines };
    case 'deployment.rolled_back': {
      const why = text(rollback?.reason) ?? reason;
      const back = text(d.previousRelease) ? `; ${d.previousRelease} serves again` : '';
      return {
        title: `${what} was rolled back in ${env}${back}.`,
        lines: [...(why ? [`Why: ${why}`] : []), ...lines],
      };
    }
    case 'deployment.failed':
      return {
        title: `Deploying ${what} to ${env} failed.`,
        lines: [...(reason ? [`Why: ${reason}`] : []), ...lines],
      };
    default:
      return { title: `${what} in ${env}: ${type}.`, lines };
  }
}

/** The words for one queued payload (`{ type, timestamp, data }`). */
export function wordsOf(payload: string): Words {
  let parsed: { type?: unknown; timestamp?: unknown; data?: unknown };
  try {
    parsed = JSON.parse(payload) as typeof parsed;
  } catch {
    return { title: 'A slipway notification (its payload could not be read).', lines: [] };
  }
  const type = text(parsed.type) ?? 'event';
  const d = (parsed.data ?? {}) as Data;
  const env = text(d.env) ?? 'an environment';
  const app = text(d.app) ?? 'the app';
  if (type.startsWith('deployment.')) return deployment(type, d);
  if (type === 'migration.run') {
    const ok = d.ok !== false;
    return {
      title: ok
        ? `Database migrations of ${app} ${text(d.release) ?? ''} ran in ${env}.`.replace('  ', ' ')
        : `Database migrations of ${app} ${text(d.release) ?? ''} failed in ${env}.`.replace('  ', ' '),
      lines: [
        ...(text(d.detail) ? [String(d.detail)] : []),
        ...(text(d.deployment) ? [`Deployment ${d.deployment}.`] : []),
      ],
    };
  }
  if (type === 'flag.killed')
    return {
      title: `Feature flag ${text(d.flag) ?? '?'} was turned off in ${env} for everyone.`,
      lines: [
        ...(text(d.by) ? [`By ${d.by}.`] : []),
        ...(text(d.reason) ? [`Why: ${d.reason}`] : []),
        ...(text(d.deployment) ? [`During deployment ${d.deployment}.`] : []),
      ],
    };
  if (type === 'freeze.starting')
    return {
      title: `A deploy freeze starts in ${env} at ${text(d.startsAt) ?? '?'}.`,
      lines: [
        ...(text(d.endsAt) ? [`It ends at ${d.endsAt}.`] : []),
        ...(text(d.reason) ? [`Why: ${d.reason}`] : []),
        'Deployments there wait until it ends (or are refused, per the environment’s windows).',
      ],
    };
  return { title: `${app} in ${env}: ${type}.`, lines: [] };
}
