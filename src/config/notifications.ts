/**
 * `notifications:` in slipway.yaml: signed webhooks (Standard Webhooks) per event and environment.
 * The schema lives here to keep schema.ts small; semantic checks (environments exist, names unique)
 * are `notificationProblems`.
 */
import { z } from 'zod';
import type { Problem } from './problems.ts';

export const NOTIFICATION_EVENTS = [
  'deployment.started',
  'deployment.succeeded',
  'deployment.rolled_back',
  'deployment.failed',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const notificationSubscription = z.strictObject({
  name: z.string().regex(NAME, { error: 'expected a name of lowercase letters, digits and dashes' }).meta({
    description: 'Names this subscription in `slipway notifications list` and in each delivery.',
  }),
  url: z
    .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
    .meta({ description: 'Where each event is POSTed as JSON, signed with the Standard Webhooks scheme.' }),
  secret: z
    .strictObject({
      env: z.string().min(1),
      key: z.string().regex(KEY, { error: 'expected a secret key name (letters, digits, _)' }),
    })
    .meta({
      description:
        'The signing secret in the secret store (`slipway secret set ENV KEY`), a Standard Webhooks secret `whsec_<base64>`; read at delivery, never queued.',
    }),
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
    'Who hears about deployments: webhooks per event and environment, delivered from a queue in the store.',
});

export type NotificationSubscription = z.output<typeof notificationSubscription>;

type Raw = Record<string, unknown>;

/** Environments a subscription names must exist; names are unique. */
export function notificationProblems(data: Raw, envNames: ReadonlySet<string>): Problem[] {
  if (!Array.isArray(data.notifications)) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  data.notifications.forEach((n: unknown, i) => {
    if (n === null || typeof n !== 'object') return;
    const sub = n as Raw;
    if (typeof sub.name === 'string') {
      if (seen.has(sub.name))
        problems.push({
          path: ['notifications', i, 'name'],
          message: `"${sub.name}" is used twice; names must be unique`,
        });
      seen.add(sub.name);
    }
    const secretEnv = (sub.secret as Raw | undefined)?.env;
    if (typeof secretEnv === 'string' && !envNames.has(secretEnv))
      problems.push({
        path: ['notifications', i, 'secret', 'env'],
        message: `no environment "${secretEnv}"; expected one of ${[...envNames].join(', ')}`,
      });
    if (Array.isArray(sub.environments))
      sub.environments.forEach((e: unknown, j) => {
        if (typeof e === 'string' && !envNames.has(e))
          problems.push({
            path: ['notifications', i, 'environments', j],
            message: `no environment "${e}"; expected one of ${[...envNames].join(', ')}`,
          });
      });
  });
  return problems;
}
