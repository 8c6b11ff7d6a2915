/**
 * `notifications:` in slipway.yaml: who hears about what, per event and environment, by signed
 * webhook (Standard Webhooks), Slack-compatible incoming webhook or email over SMTP; and
 * `dashboard:` (where approve links point). The schema lives here to keep schema.ts small; what
 * each kind requires, environments that exist and unique names are `notificationProblems`.
 */
import { z } from 'zod';
import type { Problem } from './problems.ts';

export const NOTIFICATION_EVENTS = [
  'deployment.started',
  'deployment.waiting_approval',
  'deployment.succeeded',
  'deployment.rolled_back',
  'deployment.failed',
  'migration.run',
  'flag.killed',
  'freeze.starting',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const NOTIFIER_KINDS = ['webhook', 'slack', 'email'] as const;
export type NotifierKind = (typeof NOTIFIER_KINDS)[number];

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A DNS name or an IPv4 address; no scheme, no port.
const HOST =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const secretRef = (description: string) =>
  z
    .strictObject({
      env: z.string().min(1),
      key: z.string().regex(KEY, { error: 'expected a secret key name (letters, digits, _)' }),
    })
    .meta({ description });

const email = z.email({ error: 'expected an email address, e.g. ops@example.com' });

const smtp = z
  .strictObject({
    host: z
      .string()
      .regex(HOST, {
        error: 'expected a host name or IP address without scheme or port, e.g. smtp.example.com',
      })
      .meta({ description: 'The SMTP server.' }),
    port: z
      .int({ error: 'expected a port number, 1 to 65535' })
      .min(1, { error: 'expected a port number, 1 to 65535' })
      .max(65535, { error: 'expected a port number, 1 to 65535' })
      .default(587)
      .meta({ description: 'Default 587.' }),
    security: z
      .enum(['starttls', 'tls', 'none'], { error: 'expected starttls, tls or none' })
      .default('starttls')
      .meta({
        description:
          'starttls (default: upgrade required), tls (TLS from the first byte, usually port 465) or none (a relay on a trusted network).',
      }),
    user: z.string().min(1).optional().meta({ description: 'SMTP user name, when the server asks for one.' }),
    password: secretRef('The SMTP password in the secret store; read at delivery, never queued.').optional(),
  })
  .meta({ description: 'How email leaves (kind: email).' });

export const notificationSubscription = z.strictObject({
  name: z.string().regex(NAME, { error: 'expected a name of lowercase letters, digits and dashes' }).meta({
    description: 'Names this subscription in `slipway notifications list` and in each delivery.',
  }),
  kind: z
    .enum(NOTIFIER_KINDS, { error: `expected one of ${NOTIFIER_KINDS.join(', ')}` })
    .default('webhook')
    .meta({
      description:
        'webhook (default: JSON signed with the Standard Webhooks scheme), slack (a Slack-compatible incoming webhook: blocks with plain words) or email (SMTP).',
    }),
  url: z
    .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
    .optional()
    .meta({
      description:
        'webhook: where each event is POSTed, signed. slack: the incoming webhook URL, when it is not kept in the secret store (urlSecret).',
    }),
  urlSecret: secretRef(
    'slack: the secret holding the incoming webhook URL (Slack treats the URL as a credential).',
  ).optional(),
  secret: secretRef(
    'webhook: the signing secret in the secret store (`slipway secret set ENV KEY`), a Standard Webhooks secret `whsec_<base64>`; read at delivery, never queued.',
  ).optional(),
  smtp: smtp.optional(),
  from: email.optional().meta({ description: 'email: the sender address.' }),
  to: z.array(email).min(1).optional().meta({ description: 'email: the recipients.' }),
  events: z
    .array(z.enum(NOTIFICATION_EVENTS, { error: `expected one of ${NOTIFICATION_EVENTS.join(', ')}` }))
    .min(1)
    .default([...NOTIFICATION_EVENTS])
    .meta({ description: 'Which events to send; default all.' }),
  environments: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .meta({ description: 'Only events of these environments; default all.' }),
  attempts: z.int().min(1).max(50).default(8).meta({
    description:
      'Tries before a delivery goes to the dead-letter list (`slipway notifications list --dead`); default 8.',
  }),
});

export const notifications = z.array(notificationSubscription).meta({
  description:
    'Who hears about deployments: webhooks, Slack-compatible webhooks and email per event and environment, delivered from a queue in the store.',
});

/** `dashboard:`; takes schema.ts's duration (an import would be a cycle). */
export const dashboard = (duration: () => z.ZodType<number, string>) =>
  z
    .strictObject({
      url: z
        .url({
          protocol: /^https?$/,
          error: 'expected the http(s) address of `slipway server`, e.g. https://deploy.example.com',
        })
        .meta({
          description: 'Where people open the dashboard (`slipway server`); approve links point here.',
        }),
      approveLinkTtl: duration().default(86_400_000).meta({
        description:
          'How long an approve link in a "waiting for approval" notification stays valid; default 24h. Each link works once.',
      }),
    })
    .meta({
      description:
        'The dashboard as people reach it; with it, notifications about a deployment waiting for approval carry a signed, single-use approve link.',
    });

export type NotificationSubscription = z.output<typeof notificationSubscription>;
export type DashboardConfig = z.output<ReturnType<typeof dashboard>>;

type Raw = Record<string, unknown>;

/** What each kind needs besides the common keys. */
const NEEDS: Record<NotifierKind, { readonly keys: readonly string[]; readonly hint: string }> = {
  webhook: { keys: ['url', 'secret'], hint: 'e.g. `secret: { env: production, key: WEBHOOK_SECRET }`' },
  slack: { keys: [], hint: 'e.g. `urlSecret: { env: production, key: SLACK_WEBHOOK_URL }`' },
  email: {
    keys: ['smtp', 'from', 'to'],
    hint: 'e.g. `smtp: { host: smtp.example.com }`, `from:` and `to: [..]`',
  },
};
const ALLOWED: Record<NotifierKind, ReadonlySet<string>> = {
  webhook: new Set(['url', 'secret']),
  slack: new Set(['url', 'urlSecret']),
  email: new Set(['smtp', 'from', 'to']),
};
const KIND_KEYS = ['url', 'urlSecret', 'secret', 'smtp', 'from', 'to'];

function kindProblems(sub: Raw, base: (string | number)[]): Problem[] {
  const kind = (sub.kind ?? 'webhook') as NotifierKind;
  if (!NOTIFIER_KINDS.includes(kind)) return [];
  const problems: Problem[] = [];
  for (const key of NEEDS[kind].keys)
    if (sub[key] === undefined)
      problems.push({ path: [...base, key], message: `kind ${kind} needs ${key}; ${NEEDS[kind].hint}` });
  for (const key of KIND_KEYS)
    if (sub[key] !== undefined && !ALLOWED[kind].has(key))
      problems.push({ path: [...base, key], message: `${key} is not used by kind ${kind}; remove it` });
  if (kind === 'slack' && (sub.url === undefined) === (sub.urlSecret === undefined))
    problems.push({
      path: [...base, sub.url === undefined ? 'urlSecret' : 'url'],
      message: `kind slack needs exactly one of url and urlSecret; ${NEEDS.slack.hint}`,
    });
  const smtpConf = sub.smtp as Raw | undefined;
  if (
    kind === 'email' &&
    smtpConf &&
    typeof smtpConf === 'object' &&
    (smtpConf.user === undefined) !== (smtpConf.password === undefined)
  )
    problems.push({
      path: [...base, 'smtp', smtpConf.user === undefined ? 'user' : 'password'],
      message: 'smtp.user and smtp.password go together (a password names a secret: `{ env, key }`)',
    });
  return problems;
}

/** Environments a subscription names must exist; names are unique; each kind has what it needs. */
export function notificationProblems(data: Raw, envNames: ReadonlySet<string>): Problem[] {
  if (!Array.isArray(data.notifications)) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const envRef = (value: unknown, path: (string | number)[]) => {
    if (typeof value === 'string' && !envNames.has(value))
      problems.push({
        path,
        message: `no environment "${value}"; expected one of ${[...envNames].join(', ')}`,
      });
  };
  data.notifications.forEach((n: unknown, i) => {
    if (n === null || typeof n !== 'object') return;
    const sub = n as Raw;
    const base = ['notifications', i];
    if (typeof sub.name === 'string') {
      if (seen.has(sub.name))
        problems.push({
          path: [...base, 'name'],
          message: `"${sub.name}" is used twice; names must be unique`,
        });
      seen.add(sub.name);
    }
    problems.push(...kindProblems(sub, base));
    envRef((sub.secret as Raw | undefined)?.env, [...base, 'secret', 'env']);
    envRef((sub.urlSecret as Raw | undefined)?.env, [...base, 'urlSecret', 'env']);
    envRef(((sub.smtp as Raw | undefined)?.password as Raw | undefined)?.env, [
      ...base,
      'smtp',
      'password',
      'env',
    ]);
    if (Array.isArray(sub.environments))
      sub.environments.forEach((e: unknown, j) => {
        envRef(e, [...base, 'environments', j]);
      });
  });
  return problems;
}
