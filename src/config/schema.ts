/**
 * The slipway.yaml schema. This file is the truth about the config format: the JSON Schema that
 * editors use (`slipway schema`) is generated from it, and `examples/shop/slipway.yaml` shows it.
 * Messages are written as "expected …"; the loader adds what was found and where.
 */

import { z } from 'zod';
import { STATUS_RULE, STATUS_RULE_HINT } from '../domain/health-status.ts';
import { dashboard, notifications } from './notifications.ts';
import { performanceStep } from './performance.ts';
import {
  DURATION_HINT,
  durationOf,
  PERCENT_HINT,
  parseDuration,
  parsePercent,
  parseRatio,
  RATIO_HINT,
} from './units.ts';
import { isKnownTimeZone, parseWindow, WINDOW_HINT } from './windows.ts';

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const NAME_HINT = 'a name of lowercase letters, digits and dashes, starting with a letter';
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEY_HINT = 'an environment variable name (letters, digits, _; not starting with a digit)';

/**
 * A key of a feature not built yet: refused by `validate` (an error naming the key) instead of
 * accepted and ignored; the JSON Schema shows it as never valid, with the reason.
 */
export const notSupportedYet = (why: string) =>
  z
    .never({ error: `not supported yet: ${why}` })
    .optional()
    .meta({ description: `Not supported yet: ${why}.` });

const name = () =>
  z.string({ error: `expected ${NAME_HINT}` }).regex(NAME, { error: `expected ${NAME_HINT}` });

/** A positive duration such as `30s`; the parsed value is in milliseconds. */
export const duration = () =>
  z
    .string({ error: `expected ${DURATION_HINT}` })
    .superRefine((v, ctx) => {
      const ms = durationOf(v.trim());
      if (typeof ms === 'string')
        ctx.addIssue({ code: 'custom', message: `expected ${DURATION_HINT} (${ms})` });
      else if (ms <= 0)
        ctx.addIssue({ code: 'custom', message: `expected ${DURATION_HINT}, greater than zero` });
    })
    .transform((v) => parseDuration(v) as number)
    .meta({ description: DURATION_HINT });

/** A percentage such as `5%`; the parsed value is a fraction (0.05). */
const percent = () =>
  z
    .string({ error: `expected ${PERCENT_HINT}` })
    .refine(
      (v) => {
        const p = parsePercent(v);
        return p !== null && p <= 1;
      },
      { error: `expected ${PERCENT_HINT}, from 0% to 100%` },
    )
    .transform((v) => parsePercent(v) as number)
    .meta({ description: PERCENT_HINT });

const ratio = () =>
  z
    .string({ error: `expected ${RATIO_HINT}` })
    .refine((v) => (parseRatio(v) ?? 0) > 0, { error: `expected ${RATIO_HINT}, above 0` })
    .transform((v) => parseRatio(v) as number)
    .meta({ description: RATIO_HINT });

const count = (what: string, min = 0) =>
  z
    .int({ error: `expected a whole number of ${what}` })
    .min(min, { error: `expected a whole number of ${what}, at least ${min}` });

/** An instance count or a share of the instances, e.g. `1` or `25%` (at most 100%). */
const amount = () =>
  z.union([
    count('instances'),
    z.string().refine((v) => (parsePercent(v) ?? 2) <= 1, {
      error: `expected a number of instances or ${PERCENT_HINT}, from 0% to 100%`,
    }),
  ]);

/** An http(s) URL: other schemes (ftp:, file:, javascript:) parse as URLs but cannot be fetched. */
const httpUrl = (error: string) => z.url({ protocol: /^https?$/, error });

const health = z
  .strictObject({
    path: z.string().startsWith('/', { error: 'expected a path starting with /' }).default('/health'),
    interval: duration().default(2000),
    timeout: duration().default(1000),
    startTimeout: duration().default(60_000),
    expect: z
      .union([z.int().min(100).max(599), z.string().regex(STATUS_RULE)], {
        error: `expected ${STATUS_RULE_HINT}`,
      })
      .optional()
      .meta({
        description:
          'Which answers count as healthy, for the instances and every router alike: 200, "2xx", "<500"… Default 2xx or 3xx.',
      }),
  })
  .meta({ description: 'The health endpoint an instance must pass before it gets traffic.' });

/** A memory size for a container limit: `256MiB`, `1GiB`, `512MB` or bytes. */
const MEMORY = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/;
const MEMORY_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  KiB: 1024,
  MB: 1e6,
  MiB: 1024 ** 2,
  GB: 1e9,
  GiB: 1024 ** 3,
};
const memory = z
  .union([z.int().min(6 * 1024 ** 2), z.string().regex(MEMORY)], {
    error: 'expected a memory size of at least 6MiB, e.g. 256MiB or 1GiB',
  })
  .transform((v) => {
    if (typeof v === 'number') return v;
    const [, amount, unit] = MEMORY.exec(v) as RegExpExecArray;
    return Math.round(Number(amount) * (MEMORY_UNITS[unit ?? 'B'] ?? 1));
  });

const run = z.strictObject({
  command: z
    .string({ error: 'expected the command line that starts the app, e.g. "node server.js"' })
    .min(1)
    .optional()
    .meta({
      description:
        "The command that starts the app. Required unless run.image is set (then it overrides the image's CMD).",
    }),
  image: z
    .string({ error: 'expected an image repository, e.g. registry.example.com/shop' })
    .regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+$/, {
      error: 'expected REGISTRY/NAME without tag or digest, e.g. registry.example.com/shop',
    })
    .optional()
    .meta({
      description:
        'Run the app as containers of images from this repository (REGISTRY/NAME): releases are registered with `release create --image` and run by digest through the Docker Engine API (DOCKER_HOST).',
    }),
  limits: z
    .strictObject({
      memory: memory.optional().meta({ description: 'Memory limit of each container, e.g. 256MiB.' }),
      cpus: z.number({ error: 'expected a number of CPUs, e.g. 0.5' }).positive().max(1024).optional(),
    })
    .optional()
    .meta({
      description: 'Resource limits of each instance; enforced by the container runtime (run.image).',
    }),
  cwd: z
    .string({ error: 'expected a folder inside the release, e.g. app or services/api' })
    .min(1)
    .refine((v) => !v.startsWith('/') && !v.split(/[\\/]/).includes('..'), {
      error: 'expected a relative folder inside the release (no leading / and no ..), e.g. services/api',
    })
    .optional()
    .meta({ description: 'The folder inside the release the command runs in; default the release root.' }),
  health: health.default({ path: '/health', interval: 2000, timeout: 1000, startTimeout: 60_000 }),
  instances: count('instances', 1).default(2),
  stopTimeout: duration().default(10_000),
});

const TYPE_SPEC = /^(string|url|int|bool|duration|port|secret|enum\(\s*[^()\s,]+(\s*,\s*[^()\s,]+)*\s*\))$/;
const TYPE_HINT = 'one of string, url, int, bool, duration, port, secret or enum(a,b,c)';
const typeName = () =>
  z.string({ error: `expected ${TYPE_HINT}` }).regex(TYPE_SPEC, { error: `expected ${TYPE_HINT}` });
const scalar = z.union([z.string(), z.number(), z.boolean()], {
  error: 'expected a string, number or boolean',
});

export const configBlock = z.strictObject({
  require: z
    .record(
      z.string().regex(KEY, { error: `expected ${KEY_HINT}` }),
      z.union([
        typeName(),
        z.strictObject({ type: typeName(), optional: z.boolean().optional(), default: scalar.optional() }),
      ]),
    )
    .optional(),
  values: z.record(z.string().regex(KEY, { error: `expected ${KEY_HINT}` }), scalar).optional(),
  mustMatch: z.array(z.string().regex(KEY, { error: `expected ${KEY_HINT}` })).optional(),
});

const canaryStep = z
  .strictObject({
    weight: z
      .int({ error: 'expected a whole number from 1 to 100' })
      .min(1, { error: 'expected a whole number from 1 to 100' })
      .max(100, { error: 'expected a whole number from 1 to 100' })
      .optional(),
    pause: z
      .union([z.literal('until-resumed'), duration()], {
        error: `expected ${DURATION_HINT}, or until-resumed`,
      })
      .optional(),
    analysis: z.union([z.literal('default'), z.strictObject({ duration: duration() })]).optional(),
    flag: z
      .int({ error: 'expected a whole number from 0 to 100' })
      .min(0, { error: 'expected a whole number from 0 to 100' })
      .max(100, { error: 'expected a whole number from 0 to 100' })
      .optional()
      .meta({
        description:
          "The percentage of users who get the canary's feature flag (strategy.canary.flag) from this step on, hashed on their targeting key as flagd does.",
      }),
  })
  .refine(
    (s) =>
      s.weight !== undefined || s.pause !== undefined || s.analysis !== undefined || s.flag !== undefined,
    { error: 'expected a step with weight, flag, pause or analysis' },
  );

const stickiness = z.string().regex(/^(header|cookie):[A-Za-z0-9_-]+$/, {
  error: 'expected header:NAME or cookie:NAME, e.g. header:x-user-id',
});

const strategies = z.strictObject({
  rolling: z
    .strictObject({
      maxSurge: amount().default(1),
      maxUnavailable: amount().default(0),
      bootLimit: z
        .union([
          count('hosts', 1),
          z.string().refine((v) => (parsePercent(v) ?? 0) > 0 && (parsePercent(v) ?? 2) <= 1, {
            error: `expected a number of hosts or ${PERCENT_HINT}, above 0% and at most 100%`,
          }),
        ])
        .optional()
        .meta({
          description:
            'With hosts: how many hosts are updated at a time (N, or N% of the hosts, rounded up; at most all but one, so one host always serves); default 1. Each batch must be healthy before the next.',
        }),
    })
    .optional(),
  'blue-green': z
    .strictObject({
      warmFor: duration().default(1_800_000),
      previewHeader: z
        .string()
        .regex(/^[A-Za-z0-9-]+$/, { error: 'expected an HTTP header name, e.g. x-preview-release' })
        .optional()
        .meta({
          description:
            'The header that sends a request to a named release whatever the weights (smoke checks use it); default x-slipway-release.',
        }),
    })
    .optional(),
  canary: z
    .strictObject({
      stickiness: stickiness.optional(),
      flag: z.string().min(1).optional().meta({
        description:
          'A feature flag of this environment whose rollout the steps move (step `flag: PERCENT`).',
      }),
      flagAnalysis: z
        .enum(['release', 'variants'], { error: 'expected release or variants' })
        .optional()
        .meta({
          description:
            "release (default): analysis judges the new release against the stable one. variants: it also judges the users on the flag's rolled-out variant against the others, by the error rate of the answers the app marks `x-slipway-flag: FLAG=VARIANT` (builtin router); a worse variant fails the analysis, and the rollback turns the flag off first.",
        }),
      steps: z.array(canaryStep).min(1, { error: 'expected at least one canary step' }),
    })
    .optional(),
});

export const STRATEGY_NAMES = ['rolling', 'blue-green', 'canary'] as const;

const strategy = z.union([
  z.enum(STRATEGY_NAMES, { error: 'expected rolling, blue-green or canary' }),
  strategies,
]);

const judgeTest = <const T extends readonly [string, ...string[]]>(tests: T, what: string) =>
  z
    .enum(tests, { error: `expected ${tests.join(' or ')}` })
    .optional()
    .meta({ description: what });

const testAlpha = (what: string) =>
  z
    .number({ error: 'expected a significance level between 0 and 1, e.g. 0.01' })
    .gt(0, { error: 'expected a significance level between 0 and 1, e.g. 0.01' })
    .lt(1, { error: 'expected a significance level between 0 and 1, e.g. 0.01' })
    .optional()
    .meta({ description: `Significance level of ${what} (default 0.01); only with that test.` });

const rollbackIf = z.strictObject({
  errorRate: z
    .strictObject({
      above: percent(),
      within: duration().default(600_000),
      test: judgeTest(
        ['sequential', 'threshold', 'sequential-only', 'two-proportion'],
        "sequential (default): roll back when the error rate over `within` is shown above `above` (its 99.9% lower confidence bound is above it: 1 error in 12 requests is not), or earlier as soon as a sequential test shows it above `above` or above the stable release's (the sequential tests together roll back a release within its limits and no worse than stable with at most 1% chance). threshold: the limit over `within` alone, on the rate as measured (and failing when its 95% bounds reach past the limit). sequential-only: the sequential tests alone, no fixed limit (a release measured above `above` but not yet shown to be is inconclusive). two-proportion: when it is significantly higher than the baseline release's (z-test), by more than `above`.",
      ),
      alpha: testAlpha('the two-proportion test'),
    })
    .optional(),
  latency: z
    .strictObject({
      p95AboveBaseline: ratio(),
      for: duration().default(300_000),
      test: judgeTest(
        ['sequential', 'ratio', 'mann-whitney'],
        "sequential (default): roll back when the p95 is p95AboveBaseline times the baseline's for `for`, or earlier as soon as a sequential test shows more than 5% of the new release's requests slower than that, or its typical request more than 1.25× (scaled up with a p95AboveBaseline above 2) a stable request served at the same moment (builtin router; the two latency tests together roll back a release within both with at most 1/3% chance). ratio: the ratio over `for` alone. mann-whitney: when the new release's latencies are significantly slower than the baseline's (rank test on the router's latency histogram).",
      ),
      alpha: testAlpha('the Mann-Whitney test'),
    })
    .optional(),
  unhealthyInstances: z.strictObject({ above: percent() }).optional(),
  businessMetric: z
    .strictObject({
      url: httpUrl('expected an http(s) URL'),
      path: z.string(),
      dropAbove: percent(),
    })
    .optional(),
  action: z.enum(['traffic', 'flag-off'], { error: 'expected traffic or flag-off' }).optional().meta({
    description:
      'traffic (default): a failed rule moves traffic back to the stable release. flag-off: the feature flag named by `flag` is turned off for everyone first (a `slipway flags kill`, audited and timed), then traffic moves back as well.',
  }),
  flag: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'The feature flag (key in this environment) that `action: flag-off` turns off.' }),
});

const STATUS_HINT = 'expected a status such as 200, "2xx" or "<500"';
const STATUS_RANGE_HINT = 'expected an HTTP status from 100 to 599, such as 200, "2xx" or "<500"';
const inStatusRange = (n: number) => n >= 100 && n <= 599;
const checkCommand = z.strictObject({
  name: name().meta({ description: 'What the check is called in the timeline, e.g. e2e.' }),
  run: z
    .string({ error: 'expected a shell command, e.g. "npm run test:e2e"' })
    .min(1, { error: 'expected a shell command, e.g. "npm run test:e2e"' })
    .meta({ description: 'The command, run with sh -c in the project folder.' }),
  timeout: duration()
    .optional()
    .meta({ description: 'Killed (with its process group) and failed after this long; default 5m.' }),
});

const smokeCheck = z.strictObject({
  retries: z
    .int({ error: 'expected a whole number of retries from 0 to 20' })
    .min(0, { error: 'expected a whole number of retries from 0 to 20' })
    .max(20, { error: 'expected a whole number of retries from 0 to 20' })
    .optional()
    .meta({ description: 'Tries after a failure before the check fails; default 2.' }),
  delay: duration().optional().meta({ description: 'Pause between tries; default 1s.' }),
  get: z.string().startsWith('/', { error: 'expected a path starting with /' }),
  expect: z
    .union(
      [
        z.int().refine(inStatusRange, { error: STATUS_RANGE_HINT }),
        z
          .string()
          .regex(/^(<|<=|>|>=)?\d{3}$|^[1-5]xx$/, { error: STATUS_HINT, abort: true })
          .refine((v) => /xx$/.test(v) || inStatusRange(Number(v.replace(/^[<>]=?/, ''))), {
            error: STATUS_RANGE_HINT,
          }),
      ],
      { error: STATUS_HINT },
    )
    .optional(),
  contains: z.string().optional(),
});

const windowSpec = () =>
  z.string().superRefine((v, ctx) => {
    const parsed = parseWindow(v);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  });

const dateRange = z.string().regex(/^\d{4}-\d{2}-\d{2}(\/\d{4}-\d{2}-\d{2})?$/, {
  error: 'expected a date 2026-12-24 or a range 2026-12-20/2027-01-02',
});

const windows = z.strictObject({
  timezone: z
    .string()
    .refine(isKnownTimeZone, {
      error: 'expected an IANA time zone such as Europe/Berlin or America/New_York',
    })
    .optional(),
  allow: z.array(windowSpec()).optional().meta({ description: WINDOW_HINT }),
  freeze: z.array(dateRange).optional(),
  holidays: z.array(dateRange).optional(),
  peak: z.array(windowSpec()).optional(),
  outside: z.enum(['wait', 'fail'], { error: 'expected wait or fail' }).default('wait'),
  policy: z
    .enum(['seed', 'none'], { error: 'expected seed (the default risk policy) or none' })
    .default('seed'),
});

const ITEM_ID = /^[a-z][a-z0-9-]{0,62}$/;
const ITEM_HINT = 'an item id of lowercase letters, digits and dashes, e.g. db-backup-taken';

const checklist = z
  .strictObject({
    template: z
      .enum(['seed', 'none'], { error: 'expected seed (the default checklists) or none (start empty)' })
      .default('seed'),
    add: z
      .array(
        z.strictObject({
          id: z.string({ error: `expected ${ITEM_HINT}` }).regex(ITEM_ID, { error: `expected ${ITEM_HINT}` }),
          text: z.string({ error: 'expected the text of the item' }).min(1),
          phase: z.enum(['pre', 'during', 'post'], { error: 'expected pre, during or post' }).default('pre'),
          required: z.boolean().default(true),
        }),
      )
      .optional(),
    skip: z.array(z.string().regex(ITEM_ID, { error: `expected ${ITEM_HINT}` })).optional(),
    previousWithin: duration()
      .default(86_400_000)
      .meta({ description: 'How recent the success in the previous environment must be.' }),
  })
  .meta({ description: 'Pre/during/post deployment checklists; required open items block the deployment.' });

const PROMQL_HINT = 'a PromQL query; {{env}}, {{release}} and {{window}} are filled in';
const metricsSource = z
  .strictObject({
    provider: z.enum(['builtin', 'prometheus', 'http'], { error: 'expected builtin, prometheus or http' }),
    url: httpUrl('expected an http(s) URL').optional(),
    queries: z
      .record(
        z.string(),
        z.string({ error: `expected ${PROMQL_HINT}` }).min(1, { error: `expected ${PROMQL_HINT}` }),
      )
      .optional()
      .meta({
        description:
          "prometheus: PromQL per metric (error_rate, p95 in seconds); the defaults read the slipway agent's /metrics.",
      }),
    path: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'http: the path to the value in the JSON answer; default {{metric}}.' }),
  })
  .superRefine((m, ctx) => {
    if (m.provider !== 'builtin' && m.url === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: `the ${m.provider} metric provider needs url, e.g. ${m.provider === 'prometheus' ? 'http://127.0.0.1:9090' : 'https://stats.example.com/api?release={{release}}'}`,
      });
    if (m.queries !== undefined && m.provider !== 'prometheus')
      ctx.addIssue({
        code: 'custom',
        path: ['queries'],
        message: `only used with provider: prometheus (provider is ${m.provider})`,
      });
    if (m.path !== undefined && m.provider !== 'http')
      ctx.addIssue({
        code: 'custom',
        path: ['path'],
        message: `only used with provider: http (provider is ${m.provider})`,
      });
  });

/** A jump host (bastion) in front of a fleet host: only how to reach it over SSH. */
const sshHop = z.strictObject({
  address: z
    .string({ error: 'expected the jump host name or IP address' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/, {
      error: 'expected a host name or IP address, e.g. bastion.example.com',
    }),
  user: z
    .string({ error: 'expected the SSH user, e.g. deploy' })
    .regex(/^[a-z_][a-z0-9_.-]{0,31}$/, { error: 'expected an SSH user name, e.g. deploy' })
    .default('root'),
  port: z
    .int({ error: 'expected the SSH port, a whole number from 1 to 65535' })
    .min(1)
    .max(65535)
    .default(22),
  key: z.string({ error: 'expected a private key file, relative to slipway.yaml' }).min(1).optional(),
});

/** One machine of an environment, reached over SSH (src/fleet/). */
const fleetHost = z
  .strictObject({
    address: z
      .string({ error: 'expected the host name or IP address the control plane reaches it at' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/, {
        error: 'expected a host name or IP address, e.g. 10.0.0.11 or web1.example.com',
      }),
    user: z
      .string({ error: 'expected the SSH user, e.g. deploy' })
      .regex(/^[a-z_][a-z0-9_.-]{0,31}$/, { error: 'expected an SSH user name, e.g. deploy' })
      .default('root'),
    // The range is checked in the environment's rules, so the message can name the host.
    port: z.int({ error: 'expected the SSH port, a whole number from 1 to 65535' }).default(22),
    instances: count('instances', 1)
      .optional()
      .meta({ description: "Instances of the app on this host; default the environment's instances." }),
    roles: z
      .array(name())
      .optional()
      .meta({ description: 'What the host is for, e.g. [web]; shown by `slipway hosts status`.' }),
    key: z.string({ error: 'expected a private key file, relative to slipway.yaml' }).min(1).optional().meta({
      description:
        'The SSH private key file (relative to slipway.yaml); default the SSH agent (SSH_AUTH_SOCK), then ~/.ssh/id_ed25519.',
    }),
    keySecret: z
      .string({ error: 'expected the name of a secret holding the SSH private key, e.g. SSH_KEY' })
      .regex(KEY, { error: `expected ${KEY_HINT}` })
      .optional()
      .meta({
        description:
          'A secret of this environment holding the SSH private key (`slipway secret set ENV SSH_KEY --from-stdin < key`); wins over key and the SSH agent.',
      }),
    jump: sshHop.optional().meta({
      description: 'A jump host (bastion) this host is reached through; its SSH key is pinned too.',
    }),
    dir: z.string({ error: 'expected a folder on the host' }).min(1).optional().meta({
      description:
        "Where releases and the agent's state live on the host; default .slipway-host/APP in the SSH user's home.",
    }),
    agent: z
      .string({ error: 'expected the command that runs slipway on the host, e.g. slipway' })
      .min(1)
      .optional()
      .meta({
        description: 'The command that runs slipway on the host (it starts the agent); default slipway.',
      }),
  })
  .meta({ description: 'A host of the environment, reached over SSH.' });

/** What `slipway validate` checks of `hosts` before anything connects: each message names the host and the fix. */
function fleetRules(
  env: {
    hosts?: readonly z.output<typeof fleetHost>[];
    router?: { driver: string; port?: number | undefined };
  },
  ctx: z.RefinementCtx,
): void {
  if (env.hosts === undefined) return;
  const driver = env.router?.driver ?? 'builtin';
  if (driver !== 'haproxy' && driver !== 'nginx')
    ctx.addIssue({
      code: 'custom',
      path: env.router ? ['router', 'driver'] : ['hosts'],
      message: `hosts need a load balancer in front of them (router.driver is ${driver}); set router.driver: haproxy or nginx`,
    });
  if (env.router?.port === undefined)
    ctx.addIssue({
      code: 'custom',
      path: env.router ? ['router'] : ['hosts'],
      message:
        "hosts need router.port: the load balancer's port, on which each host serves the environment too (e.g. router: { driver: haproxy, port: 8080 })",
    });
  const seen = new Map<string, number>();
  env.hosts.forEach((host, i) => {
    if (host.port < 1 || host.port > 65535)
      ctx.addIssue({
        code: 'custom',
        path: ['hosts', i, 'port'],
        message: `host ${host.address}: ${host.port} is not an SSH port; use a port from 1 to 65535 (default 22)`,
      });
    const first = seen.get(host.address.toLowerCase());
    if (first !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['hosts', i, 'address'],
        message: `host ${host.address} is listed twice (hosts.${first} and hosts.${i}); list it once and set instances on it to run more`,
      });
    else seen.set(host.address.toLowerCase(), i);
    if (host.jump && host.jump.address.toLowerCase() === host.address.toLowerCase())
      ctx.addIssue({
        code: 'custom',
        path: ['hosts', i, 'jump', 'address'],
        message: `host ${host.address} names itself as its jump host; give the bastion's address, or leave jump out`,
      });
  });
}

/** `hostFailure` and `minHealthy` only mean something with hosts, and minHealthy only with skip-host. */
function hostFailureRules(
  env: { hosts?: readonly unknown[]; hostFailure?: string | undefined; minHealthy?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  if (env.hosts === undefined) {
    for (const key of ['hostFailure', 'minHealthy'] as const)
      if (env[key] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `only used with hosts; remove ${key} or list this environment's hosts`,
        });
    return;
  }
  if (env.minHealthy !== undefined && env.hostFailure !== 'skip-host')
    ctx.addIssue({
      code: 'custom',
      path: ['minHealthy'],
      message: `only used with hostFailure: skip-host (hostFailure is ${env.hostFailure ?? 'pause'}); set hostFailure: skip-host or remove minHealthy`,
    });
  if (env.minHealthy !== undefined && env.minHealthy > env.hosts.length)
    ctx.addIssue({
      code: 'custom',
      path: ['minHealthy'],
      message: `${env.minHealthy} is more than the ${env.hosts.length} hosts listed, so no host could ever be skipped; use at most ${env.hosts.length}`,
    });
}

export const environment = z
  .strictObject({
    after: name().optional().meta({ description: 'The environment a release must succeed in first.' }),
    strategy: strategy.default('rolling'),
    instances: count('instances', 1).optional(),
    config: configBlock
      .extend({
        allowLoopback: z
          .array(z.string().regex(KEY, { error: `expected ${KEY_HINT}` }))
          .optional()
          .meta({
            description:
              'Keys whose value may point at this machine (127.0.0.1, localhost) in this environment, e.g. [DATABASE_URL] for a one-machine install; the drift check behind `after:` refuses loopback in production otherwise, and notes each key it allows.',
          }),
      })
      .optional(),
    secrets: z.array(z.string().regex(KEY, { error: `expected ${KEY_HINT}` })).optional(),
    envFile: z
      .string({ error: 'expected a .env file path relative to slipway.yaml, e.g. .env.staging' })
      .min(1, { error: 'expected a .env file path relative to slipway.yaml, e.g. .env.staging' })
      .optional()
      .meta({
        description: 'The .env file of this environment (default .env.<env>; a missing file is skipped).',
      }),
    approval: z
      .strictObject({
        required: count('approvals', 1).default(1),
        role: z.string().default('approver'),
        selfApproval: z.boolean().default(false),
        timeout: duration().optional(),
      })
      .optional(),
    windows: windows.optional(),
    url: httpUrl(
      'expected the http(s) address where people open this environment, e.g. https://staging.example.com',
    )
      .optional()
      .meta({ description: "Where people open this environment; default the router's address." }),
    acceptance: z
      .strictObject({ by: z.string().min(1).default('approver') })
      .optional()
      .meta({
        description:
          'After a release succeeds here, a holder of this role accepts or rejects it; the next environment takes only accepted releases (by digest).',
      }),
    revert: z
      .strictObject({ by: z.string().min(1) })
      .optional()
      .meta({
        description:
          'A role that may revert this environment at once ("Revert now"), besides those who may roll back.',
      }),
    checklist: checklist.optional(),
    rollbackIf: rollbackIf.optional(),
    smoke: z.array(smokeCheck).optional(),
    checks: z.array(checkCommand).optional().meta({
      description:
        'Commands (end-to-end tests) run in the project folder once the release serves this environment, before the watch window, with its address in SLIPWAY_ENV_URL; a failure or timeout fails the deployment and rolls it back.',
    }),
    performance: performanceStep.optional(),
    watch: duration().optional(),
    profile: z.enum(['default', 'fast'], { error: 'expected default or fast' }).optional().meta({
      description:
        "Analysis windows for the rollback triggers: default (the seed's: error rate over 10 min, p95 over 1 min for 5 min, measured every 30 s) or fast (error rate over 10 s, p95 over 10 s for 10 s, every second; for staging and tests).",
    }),
    allowFailedCI: z.boolean().optional(),
    router: z
      .strictObject({
        driver: z
          .enum(['builtin', 'haproxy', 'nginx'], { error: 'expected builtin, haproxy or nginx' })
          .default('builtin')
          .meta({
            description:
              'The proxy that routes this environment: builtin (default), haproxy or nginx (needs the haproxy / nginx and libnginx-mod-http-js packages).',
          }),
        port: z.int().min(1).max(65535, { error: 'expected a port from 1 to 65535' }).optional(),
        answerTimeout: duration().optional().meta({
          description:
            "With hosts: how long the load balancer waits for a host's answer before sending an idempotent request (GET, HEAD, OPTIONS) to another host, so a host that vanishes mid-request fails none of them; default 30s. Keep it above the app's slowest answer.",
        }),
      })
      .optional(),
    inconclusive: z
      .enum(['wait', 'pause', 'fail'], { error: 'expected wait, pause or fail' })
      .optional()
      .meta({
        description:
          'When an analysis step cannot decide (too little traffic, no data): wait (measure up to 3× longer, then pause), pause (for a person), or fail (roll back). Default wait.',
      }),
    metrics: metricsSource.optional(),
    hosts: z
      .array(fleetHost)
      .min(1, { error: 'expected at least one host (or leave hosts out to run on this machine)' })
      .optional()
      .meta({
        description:
          'The machines this environment runs on, reached over SSH, behind the load balancer of router.driver (haproxy or nginx). Without hosts it runs on this machine.',
      }),
    hostFailure: z
      .enum(['pause', 'rollback', 'skip-host'], { error: 'expected pause, rollback or skip-host' })
      .optional()
      .meta({
        description:
          "With hosts: what a deployment does when a host cannot be reached before or during it — pause (default; resume once the host is back), rollback, or skip-host (carry on without it while at least minHealthy hosts serve, else pause). A host that comes back is brought to the environment's desired state.",
      }),
    minHealthy: count('hosts', 1).optional().meta({
      description:
        'With hostFailure: skip-host, the fewest reachable hosts a deployment carries on with; default 1.',
    }),
  })
  .superRefine((env, ctx) => {
    fleetRules(env, ctx);
    hostFailureRules(env, ctx);
    // HAProxy and nginx keep no per-release metrics slipway reads: a canary's analysis steps could
    // never decide on them, so such an environment must name where its metrics come from.
    const driver = env.router?.driver ?? 'builtin';
    const analysed =
      env.strategy === 'canary' || // the default canary steps analyse
      (typeof env.strategy === 'object' &&
        env.strategy.canary?.steps.some((step) => step.analysis !== undefined));
    // With hosts, each host's builtin router keeps the per-release metrics behind the load balancer.
    if (
      driver !== 'builtin' &&
      env.hosts === undefined &&
      analysed &&
      (env.metrics?.provider ?? 'builtin') === 'builtin'
    )
      ctx.addIssue({
        code: 'custom',
        path: ['router', 'driver'],
        message: `${driver} keeps no per-release metrics for the canary's analysis steps; set metrics (provider prometheus or http) for this environment, or use router.driver: builtin`,
      });
  });

const secretStore = z
  .strictObject({
    provider: z
      .enum(['local', 'env', 'vault'], { error: 'expected local, env or vault' })
      .default('local')
      .meta({ description: 'Where secrets live: local (encrypted file, default), env (CI), vault (KV v2).' }),
    path: z
      .string({ error: 'expected a file path, e.g. .slipway/secrets.json' })
      .min(1, { error: 'expected a file path, e.g. .slipway/secrets.json' })
      .optional(),
    keyFile: z
      .string({ error: 'expected a file path, e.g. .slipway/secret.key' })
      .min(1, { error: 'expected a file path, e.g. .slipway/secret.key' })
      .optional(),
    address: httpUrl('expected the Vault address as an http(s) URL').optional(),
    mount: z
      .string({ error: 'expected the KV v2 mount name, e.g. secret' })
      .regex(/^[A-Za-z0-9._-]+$/, { error: 'expected the KV v2 mount name, e.g. secret' })
      .optional(),
    prefix: z
      .string({ error: 'expected a path prefix inside the mount, e.g. slipway/shop' })
      .regex(/^[A-Za-z0-9._/-]*$/, { error: 'expected a path prefix inside the mount, e.g. slipway/shop' })
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (s.provider !== 'vault')
      for (const key of ['address', 'mount', 'prefix'] as const)
        if (s[key] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `only used with provider: vault (provider is ${s.provider})`,
          });
    if (s.provider !== 'local')
      for (const key of ['path', 'keyFile'] as const)
        if (s[key] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `only used with provider: local (provider is ${s.provider})`,
          });
  });

const SCAN_RULE_HINT = 'a scanner rule id such as private-key or high-entropy';
const secretScan = z.strictObject({
  allow: z
    .array(
      z.strictObject({
        file: z
          .string({ error: 'expected a path or glob relative to the release, e.g. test/fixtures/*.pem' })
          .min(1, { error: 'expected a path or glob relative to the release, e.g. test/fixtures/*.pem' }),
        line: z
          .int({ error: 'expected a line number from 1' })
          .min(1, { error: 'expected a line number from 1' })
          .optional(),
        rule: z
          .string({ error: `expected ${SCAN_RULE_HINT}` })
          .min(1, { error: `expected ${SCAN_RULE_HINT}` })
          .optional(),
        reason: z
          .string({ error: 'expected why this finding is not a leaked secret' })
          .trim()
          .min(1, { error: 'expected why this finding is not a leaked secret' }),
      }),
    )
    .default([])
    .meta({ description: 'Scanner findings accepted on purpose, each with the reason.' }),
});

const relativePath = (what: string) =>
  z
    .string({ error: `expected ${what}` })
    .min(1, { error: `expected ${what}` })
    .refine((v) => !v.startsWith('/') && !v.split(/[\\/]/).includes('..'), {
      error: `expected ${what}, relative and inside the release (no leading / and no ..)`,
    });

/** How the app changes its database schema (src/migrations/). */
const migrations = z
  .strictObject({
    engine: z
      .enum(['postgres'], { error: 'expected postgres (the engine slipway lints, runs and rehearses)' })
      .default('postgres'),
    dir: relativePath('the folder of the release holding the ordered .sql migrations, e.g. migrations')
      .default('migrations')
      .meta({
        description:
          'Folder in the release with plain SQL migrations, applied in file-name order (0001_x.sql, 0002_y.sql…); with command, where the tool keeps its SQL (for lint).',
      }),
    command: z
      .string({ error: 'expected the command line of your migration tool, e.g. npx knex migrate:latest' })
      .min(1)
      .optional()
      .meta({
        description:
          "Run this tool instead of slipway's own runner (in the release folder, with the database URL in the env); its SQL in dir is still linted.",
      }),
    database: z
      .string({ error: `expected ${KEY_HINT}` })
      .regex(KEY, { error: `expected ${KEY_HINT}` })
      .default('DATABASE_URL')
      .meta({
        description:
          "The config key or secret holding each environment's database URL (postgres://user@host:port/db); default DATABASE_URL.",
      }),
    lockTimeout: duration().default(2000),
    statementTimeout: duration().default(600_000),
    retries: count('retries on lock timeout').default(3),
    lockBudget: duration().default(2000).meta({
      description: 'The longest ACCESS EXCLUSIVE hold a rehearsal accepts per statement; default 2s.',
    }),
    rehearse: z
      .strictObject({
        generate: z
          .int({ error: 'expected a number of rows per table, e.g. 1000000' })
          .min(1, { error: 'expected a number of rows per table, at least 1' })
          .max(1_000_000_000, { error: 'expected at most 1000000000 rows per table' })
          .optional()
          .meta({
            description:
              "Rehearse on the environment's schema only, with this many generated rows per table (unique, NOT NULL and foreign keys kept), instead of a copy of its data: for when production data may not be copied.",
          }),
      })
      .optional()
      .meta({ description: 'How `slipway migrations rehearse` builds its scratch database.' }),
    pgVersion: z.int().min(9).max(30).optional().meta({
      description: 'The PostgreSQL major version lint assumes (default: asked from the database, else 17).',
    }),
    backup: z
      .strictObject({
        keep: count('backups', 1).default(5),
        dir: z.string().min(1).default('.slipway/db-backups'),
      })
      .default({ keep: 5, dir: '.slipway/db-backups' })
      .meta({
        description: 'Backups taken before each migration: how many to keep per environment and where.',
      }),
  })
  .meta({
    description:
      'Database migrations shipped with each release: linted, rehearsed, backed up, applied before traffic moves.',
  });

export const slipwayConfig = z.strictObject({
  $schema: z.string().optional(),
  app: name(),
  run,
  config: configBlock.optional(),
  secrets: secretStore.optional(),
  secretScan: secretScan.optional(),
  environments: z
    .record(name(), environment)
    .refine((envs) => Object.keys(envs).length > 0, { error: 'expected at least one environment' }),
  identity: z
    .strictObject({
      allowSlipwayUser: z.boolean().default(false).meta({
        description:
          'Development only: let SLIPWAY_USER name the acting user of the local CLI instead of the OS user. Never honoured on a store with server users.',
      }),
    })
    .optional()
    .meta({ description: 'How the local CLI establishes who acts (default: the OS user).' }),
  users: z
    .record(
      z.string().regex(/^[A-Za-z0-9._@-]+$/, { error: 'expected a user name (letters, digits, . _ @ -)' }),
      z.array(z.string().regex(NAME, { error: `expected a role: ${NAME_HINT}` }), {
        error: 'expected a list of roles, e.g. [deployer, approver]',
      }),
    )
    .optional()
    .meta({
      description:
        'Users and their roles for the local CLI on a store without server users, e.g. { alice: [deployer, approver] }; the acting user is the OS user (see identity).',
    }),
  migrations: migrations.optional(),
  notifications: notifications.optional(),
  dashboard: dashboard(duration).optional(),
  dora: z
    .strictObject({
      fixWithin: duration().optional().meta({
        description:
          'A succeeded change followed by the next change (another release) starting within this time of it going live counts as failed, e.g. 1h. Default: not counted.',
      }),
    })
    .optional()
    .meta({ description: 'How `slipway metrics dora` counts failed changes.' }),
  github: z
    .strictObject({
      repository: z
        .string({ error: 'expected owner/name, e.g. acme/shop' })
        .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected owner/name, e.g. acme/shop' })
        .meta({
          description: 'The GitHub repository (owner/name) whose commits the releases are built from.',
        }),
      api: z
        .url({
          protocol: /^https?$/,
          error: 'expected the REST API URL, e.g. https://github.example.com/api/v3',
        })
        .optional()
        .meta({ description: 'GitHub Enterprise Server: its REST API URL; default https://api.github.com.' }),
    })
    .optional()
    .meta({
      description:
        'Report each deployment to the GitHub Deployments API (environment, state, URL) so pull requests show it; the token comes from GITHUB_TOKEN where deployments run.',
    }),
});

export type SlipwayConfig = z.output<typeof slipwayConfig>;
export type EnvironmentConfig = z.output<typeof environment>;
export type FleetHostConfig = z.output<typeof fleetHost>;
