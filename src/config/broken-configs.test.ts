/**
 * Broken configs, each with the exact place and message a user sees. Every problem in a file is
 * reported at once, so each case lists all of them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatProblem, parseConfig } from './load.ts';

const cases: { name: string; yaml: string; expected: string[] }[] = [
  {
    name: 'yaml syntax: bad indentation',
    yaml: 'app: shop\nrun:\n  command: x\n environments: {}\n',
    expected: ['slipway.yaml:4:1: YAML syntax: All mapping items must start at the same column'],
  },
  {
    name: 'yaml syntax: duplicate key',
    yaml: 'app: shop\napp: other\nrun: { command: x }\nenvironments: { staging: {} }\n',
    expected: ['slipway.yaml:2:1: app: duplicate key "app", first set on line 1; keep one of them'],
  },
  {
    name: 'yaml syntax: duplicate key deep inside, named with its first line',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging: {}\n  production:\n    watch: 1m\n    smoke: []\n    watch: 2m\n',
    expected: [
      'slipway.yaml:8:5: environments.production.watch: duplicate key "watch", first set on line 6; keep one of them',
    ],
  },
  {
    name: 'yaml: alias bomb',
    yaml: `app: shop\nrun: { command: x }\nenvironments: { staging: {} }\na: &a [x, x, x, x, x, x, x, x, x]\n${['b', 'c', 'd', 'e', 'f', 'g'].map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdef'[i]}`).join(', ')}]`).join('\n')}\n`,
    expected: [
      'slipway.yaml:5:8: YAML syntax: aliases (*name) expand to more than 100 copies; write the values out, or use fewer aliases',
    ],
  },
  {
    name: 'yaml: alias without its anchor',
    yaml: 'app: *name\nrun: { command: x }\nenvironments: { staging: {} }\n',
    expected: [
      'slipway.yaml:1:6: YAML syntax: Unresolved alias (the anchor must be set before the alias): name; define the anchor (&name) before its alias (*name)',
    ],
  },
  {
    name: 'yaml: nesting too deep (flow)',
    yaml: `app: shop\nrun: { command: x }\nenvironments: { staging: { smoke: ${'['.repeat(5000)}${']'.repeat(5000)} } }\n`,
    expected: [
      'slipway.yaml:3:97: YAML syntax: nesting deeper than 64 levels of mappings and lists; slipway.yaml never needs that many',
    ],
  },
  {
    name: 'yaml: nesting too deep (block lists)',
    yaml: `app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nusers:\n  alice:\n${'  - '.repeat(2000)}x\n`,
    expected: [
      'slipway.yaml:6:252: YAML syntax: nesting deeper than 64 levels of mappings and lists; slipway.yaml never needs that many',
    ],
  },
  {
    name: 'yaml: two documents',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\n---\napp: other\n',
    expected: [
      'slipway.yaml:4:1: YAML syntax: expected one YAML document, found a second one (after ---); keep one',
    ],
  },
  {
    name: 'yaml: a list used as a key',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\n? [a, b]\n: c\n',
    expected: [
      'slipway.yaml:4:3: (top level): expected a plain key, found a list used as a key; write the key as text',
    ],
  },
  {
    name: 'yaml syntax: unclosed flow mapping',
    yaml: 'app: shop\nrun: { command: x\nenvironments: { staging: {} }\n',
    expected: [
      'slipway.yaml:3:1: YAML syntax: Flow map in block collection must be sufficiently indented and end with a }',
    ],
  },
  {
    name: 'empty file',
    yaml: '\n',
    expected: [
      'slipway.yaml:1:1: (top level): the file is empty; run `slipway init` to write a starting point',
    ],
  },
  {
    name: 'top level is a list',
    yaml: '- app: shop\n',
    expected: ['slipway.yaml:1:1: (top level): expected a mapping, found a list'],
  },
  {
    name: 'missing app and run',
    yaml: 'environments: { staging: {} }\n',
    expected: [
      'slipway.yaml:1:1: app: missing; expected a name of lowercase letters, digits and dashes, starting with a letter',
      'slipway.yaml:1:1: run: missing; expected a mapping',
    ],
  },
  {
    name: 'app name with capitals',
    yaml: 'app: My_Shop\nrun: { command: node server.js }\nenvironments: { staging: {} }\n',
    expected: [
      'slipway.yaml:1:6: app: expected a name of lowercase letters, digits and dashes, starting with a letter, found "My_Shop"',
    ],
  },
  {
    name: 'unknown top-level key with suggestion',
    yaml: 'app: shop\nrun: { command: node server.js }\nenviroments: { staging: {} }\n',
    expected: [
      'slipway.yaml:1:1: environments: missing; expected a mapping',
      'slipway.yaml:3:1: enviroments: unknown key "enviroments"; did you mean "environments"? (allowed here: $schema, app, run, config, secrets, secretScan, environments, identity, users, migrations, notifications, dashboard, dora, github)',
    ],
  },
  {
    name: 'no environments',
    yaml: 'app: shop\nrun: { command: node server.js }\nenvironments: {}\n',
    expected: ['slipway.yaml:3:15: environments: expected at least one environment, found an empty mapping'],
  },
  {
    name: 'run.command missing, misspelled',
    yaml: 'app: shop\nrun:\n  comand: node server.js\nenvironments: { staging: {} }\n',
    expected: [
      'slipway.yaml:3:3: run.comand: unknown key "comand"; did you mean "command"? (allowed here: command, image, limits, cwd, health, instances, stopTimeout)',
      'slipway.yaml:3:3: run.command: missing; expected the command line that starts the app, e.g. "node server.js" (or run.image, to run images)',
    ],
  },
  {
    name: 'instances is text',
    yaml: 'app: shop\nrun: { command: x, instances: two }\nenvironments: { staging: {} }\n',
    expected: ['slipway.yaml:2:31: run.instances: expected a whole number of instances, found "two"'],
  },
  {
    name: 'instances below one',
    yaml: 'app: shop\nrun: { command: x, instances: 0 }\nenvironments: { staging: {} }\n',
    expected: ['slipway.yaml:2:31: run.instances: expected a whole number of instances, at least 1, found 0'],
  },
  {
    name: 'health path without slash',
    yaml: 'app: shop\nrun: { command: x, health: { path: health } }\nenvironments: { staging: {} }\n',
    expected: ['slipway.yaml:2:36: run.health.path: expected a path starting with /, found "health"'],
  },
  {
    name: 'duration without unit',
    yaml: 'app: shop\nrun: { command: x, health: { interval: 30 } }\nenvironments: { staging: {} }\n',
    expected: [
      'slipway.yaml:2:40: run.health.interval: expected a duration such as 500ms, 30s, 10m, 2h, 1d or 1h30m, found 30',
    ],
  },
  {
    name: 'durations in an ambiguous order, with spaces, or months',
    yaml: 'app: shop\nrun: { command: x, stopTimeout: 30m1h, health: { interval: "1h 30m", timeout: 1M } }\nenvironments: { staging: {} }\n',
    expected: [
      'slipway.yaml:2:33: run.stopTimeout: expected a duration such as 500ms, 30s, 10m, 2h, 1d or 1h30m (write the larger unit first, e.g. 1h30m rather than 30m1h), found "30m1h"',
      'slipway.yaml:2:60: run.health.interval: expected a duration such as 500ms, 30s, 10m, 2h, 1d or 1h30m (write it without spaces, e.g. 1h30m), found "1h 30m"',
      'slipway.yaml:2:79: run.health.timeout: expected a duration such as 500ms, 30s, 10m, 2h, 1d or 1h30m (units are lowercase: ms, s, m (minutes), h, d; months and years are not durations here), found "1M"',
    ],
  },
  {
    name: 'zero duration',
    yaml: 'app: shop\nrun: { command: x, stopTimeout: 0s }\nenvironments: { staging: {} }\n',
    expected: [
      'slipway.yaml:2:33: run.stopTimeout: expected a duration such as 500ms, 30s, 10m, 2h, 1d or 1h30m, greater than zero, found "0s"',
    ],
  },
  {
    name: 'health timeout longer than interval',
    yaml: 'app: shop\nrun: { command: x, health: { interval: 1s, timeout: 5s } }\nenvironments: { staging: {} }\n',
    expected: [
      'slipway.yaml:2:53: run.health.timeout: a health check timeout (5s) longer than its interval (1s) lets checks pile up; make it at most 1s',
    ],
  },
  {
    name: 'environment name invalid',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { Staging: {} }\n',
    expected: [
      'slipway.yaml:3:17: environments.Staging: expected a name of lowercase letters, digits and dashes, starting with a letter as a key, found "Staging"',
    ],
  },
  {
    name: 'unknown strategy name',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging: { strategy: canery }\n',
    expected: [
      'slipway.yaml:4:24: environments.staging.strategy: expected rolling, blue-green or canary, found "canery"; did you mean "canary"?',
    ],
  },
  {
    name: 'two strategies at once',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging:\n    strategy: { rolling: {}, blue-green: {} }\n',
    expected: [
      'slipway.yaml:5:15: environments.staging.strategy: expected one strategy, found rolling and blue-green; keep one of them',
    ],
  },
  {
    name: 'misspelled strategy key in mapping',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging:\n    strategy: { blue_green: {} }\n',
    expected: [
      'slipway.yaml:5:15: environments.staging.strategy: expected one strategy: rolling, blue-green or canary',
      'slipway.yaml:5:17: environments.staging.strategy.blue_green: unknown key "blue_green"; did you mean "blue-green"? (allowed here: rolling, blue-green, canary)',
    ],
  },
  {
    name: 'canary weights fall',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    strategy:\n      canary:\n        steps: [{ weight: 5 }, { weight: 50 }, { weight: 25 }, { weight: 100 }]\n',
    expected: [
      'slipway.yaml:7:58: environments.production.strategy.canary.steps[2].weight: canary weights must rise: step 2 has 25 after 50 in step 1',
    ],
  },
  {
    name: 'canary does not end at 100',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    strategy:\n      canary:\n        steps: [{ weight: 5 }, { weight: 50 }]\n',
    expected: [
      'slipway.yaml:7:42: environments.production.strategy.canary.steps[1].weight: the last canary weight must be 100 so the release ends with all traffic, found 50; add a step { weight: 100 }',
    ],
  },
  {
    name: 'canary weight out of range',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    strategy:\n      canary:\n        steps: [{ weight: 5 }, { weight: 150 }]\n',
    expected: [
      'slipway.yaml:7:42: environments.production.strategy.canary.steps[1].weight: expected a whole number from 1 to 100, found 150',
    ],
  },
  {
    name: 'canary weight as text',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    strategy:\n      canary:\n        steps:\n          - weight: 5\n          - weight: 25\n          - weight: fifty\n          - weight: 100\n',
    expected: [
      'slipway.yaml:10:21: environments.production.strategy.canary.steps[2].weight: expected a whole number from 1 to 100, found "fifty"',
    ],
  },
  {
    name: 'canary pause not a duration',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    strategy:\n      canary:\n        steps: [{ weight: 5, pause: soon }, { weight: 100 }]\n',
    expected: [
      'slipway.yaml:7:37: environments.production.strategy.canary.steps[0].pause: expected a duration such as 500ms, 30s, 10m, 2h, 1d or 1h30m, or until-resumed, found "soon"',
    ],
  },
  {
    name: 'canary empty step',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    strategy:\n      canary:\n        steps: [{}, { weight: 100 }]\n',
    expected: [
      'slipway.yaml:7:17: environments.production.strategy.canary.steps[0]: expected a step with weight, flag, pause or analysis, found an empty mapping',
    ],
  },
  {
    name: 'canary stickiness malformed',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    strategy: { canary: { stickiness: user-id, steps: [{ weight: 100 }] } }\n',
    expected: [
      'slipway.yaml:5:39: environments.production.strategy.canary.stickiness: expected header:NAME or cookie:NAME, e.g. header:x-user-id, found "user-id"',
    ],
  },
  {
    name: 'rolling with nothing to move',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging:\n    strategy: { rolling: { maxSurge: 0, maxUnavailable: 0% } }\n',
    expected: [
      'slipway.yaml:5:26: environments.staging.strategy.rolling: maxSurge and maxUnavailable are both 0, so no instance could ever be replaced; set maxSurge: 1',
    ],
  },
  {
    name: 'after names a missing environment',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging: {}\n  production: { after: stagin }\n',
    expected: [
      'slipway.yaml:5:24: environments.production.after: unknown environment "stagin"; did you mean "staging"? (environments: staging, production)',
    ],
  },
  {
    name: 'after names itself',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging: { after: staging }\n',
    expected: [
      'slipway.yaml:4:21: environments.staging.after: environment "staging" cannot come after itself',
    ],
  },
  {
    name: 'lifecycle cycle',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  dev: { after: production }\n  staging: { after: dev }\n  production: { after: staging }\n',
    expected: [
      'slipway.yaml:4:17: environments.dev.after: the lifecycle has a cycle: dev → production → staging → dev; one of them must start the lifecycle (remove its "after")',
    ],
  },
  {
    name: 'error rate not a percentage',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    rollbackIf: { errorRate: { above: 5 } }\n',
    expected: [
      'slipway.yaml:5:39: environments.production.rollbackIf.errorRate.above: expected a percentage such as 5%, found 5',
    ],
  },
  {
    name: 'latency ratio malformed',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    rollbackIf: { latency: { p95AboveBaseline: double } }\n',
    expected: [
      'slipway.yaml:5:48: environments.production.rollbackIf.latency.p95AboveBaseline: expected a ratio such as 2x or 1.5x, above 0, found "double"',
    ],
  },
  {
    name: 'alpha without its statistical test',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    rollbackIf: { errorRate: { above: 5%, alpha: 0.05 } }\n',
    expected: [
      'slipway.yaml:5:50: environments.production.rollbackIf.errorRate.alpha: alpha is the significance level of `test: two-proportion`; add `test: two-proportion` or remove alpha (the sequential tests share a fixed 1%)',
    ],
  },
  {
    name: 'alpha out of range',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    rollbackIf: { latency: { p95AboveBaseline: 2x, test: mann-whitney, alpha: 5% } }\n',
    expected: [
      'slipway.yaml:5:79: environments.production.rollbackIf.latency.alpha: expected a significance level between 0 and 1, e.g. 0.01, found "5%"',
    ],
  },
  {
    name: 'percentage above 100',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    rollbackIf: { unhealthyInstances: { above: 130% } }\n',
    expected: [
      'slipway.yaml:5:48: environments.production.rollbackIf.unhealthyInstances.above: expected a percentage such as 5%, from 0% to 100%, found "130%"',
    ],
  },
  {
    name: 'approval count zero',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    approval: { required: 0 }\n',
    expected: [
      'slipway.yaml:5:27: environments.production.approval.required: expected a whole number of approvals, at least 1, found 0',
    ],
  },
  {
    name: 'unknown time zone in window',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    windows: { allow: ["Tue-Thu 10:00-14:00 Europe/Berlinn"] }\n',
    expected: [
      'slipway.yaml:5:24: environments.production.windows.allow[0]: unknown time zone "Europe/Berlinn"; use an IANA name such as Europe/Berlin or America/New_York',
    ],
  },
  {
    name: 'inverted time range',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    windows: { allow: ["Tue-Thu 14:00-10:00 UTC"] }\n',
    expected: [
      'slipway.yaml:5:24: environments.production.windows.allow[0]: time range "14:00-10:00" ends before it starts; a window must end later the same day',
    ],
  },
  {
    name: 'overlapping windows',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    windows:\n      allow:\n        - "Mon-Wed 10:00-14:00 UTC"\n        - "Wed-Fri 13:00-16:00 UTC"\n',
    expected: [
      'slipway.yaml:8:11: environments.production.windows.allow[1]: window "Wed-Fri 13:00-16:00 UTC" overlaps window 0 ("Mon-Wed 10:00-14:00 UTC"); merge them into one',
    ],
  },
  {
    name: 'freeze range inverted',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    windows: { freeze: ["2027-01-02/2026-12-20"] }\n',
    expected: [
      'slipway.yaml:5:25: environments.production.windows.freeze[0]: range "2027-01-02/2026-12-20" ends before it starts; write it as 2026-12-20/2027-01-02',
    ],
  },
  {
    name: 'windows timezone unknown',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    windows: { timezone: Mars/Olympus }\n',
    expected: [
      'slipway.yaml:5:26: environments.production.windows.timezone: expected an IANA time zone such as Europe/Berlin or America/New_York, found "Mars/Olympus"',
    ],
  },
  {
    name: 'config type unknown',
    yaml: 'app: shop\nrun: { command: x }\nconfig:\n  require: { DATABASE_URL: uri }\nenvironments: { staging: {} }\n',
    expected: [
      'slipway.yaml:4:28: config.require.DATABASE_URL: expected one of string, url, int, bool, duration, port, secret or enum(a,b,c), found "uri"',
    ],
  },
  {
    name: 'config key invalid',
    yaml: 'app: shop\nrun: { command: x }\nconfig:\n  values: { 1BAD: x }\nenvironments: { staging: {} }\n',
    expected: [
      'slipway.yaml:4:13: config.values.1BAD: expected an environment variable name (letters, digits, _; not starting with a digit) as a key, found "1BAD"',
    ],
  },
  {
    name: 'smoke path and expect malformed',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging:\n    smoke: [{ get: health, expect: ok }]\n',
    expected: [
      'slipway.yaml:5:20: environments.staging.smoke[0].get: expected a path starting with /, found "health"',
      'slipway.yaml:5:36: environments.staging.smoke[0].expect: expected a status such as 200, "2xx" or "<500", found "ok"',
    ],
  },
  {
    name: 'outside policy unknown',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    windows: { outside: queue }\n',
    expected: [
      'slipway.yaml:5:25: environments.production.windows.outside: expected wait or fail, found "queue"',
    ],
  },
  {
    name: 'router driver unknown',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    router: { driver: envoy }\n',
    expected: [
      'slipway.yaml:5:23: environments.production.router.driver: expected builtin, haproxy or nginx, found "envoy"',
    ],
  },
  {
    name: 'migrations: a folder outside the release',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nmigrations: { dir: ../db }\n\n',
    expected: [
      'slipway.yaml:4:20: migrations.dir: expected the folder of the release holding the ordered .sql migrations, e.g. migrations, relative and inside the release (no leading / and no ..), found "../db"',
    ],
  },
  {
    name: 'secret provider unknown',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nsecrets: { provider: aws }\n',
    expected: ['slipway.yaml:4:22: secrets.provider: expected local, env or vault, found "aws"'],
  },
  {
    name: 'vault address on the local secret store',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nsecrets: { provider: local, address: "http://v:8200" }\n',
    expected: ['slipway.yaml:4:38: secrets.address: only used with provider: vault (provider is local)'],
  },
  {
    name: 'vault address not a URL',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nsecrets: { provider: vault, address: nope }\n',
    expected: [
      'slipway.yaml:4:38: secrets.address: expected the Vault address as an http(s) URL, found "nope"',
    ],
  },
  {
    name: 'key file on the vault secret store',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nsecrets: { provider: vault, keyFile: k }\n',
    expected: ['slipway.yaml:4:38: secrets.keyFile: only used with provider: local (provider is vault)'],
  },
  {
    name: 'empty key file path',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nsecrets: { provider: local, keyFile: "" }\n',
    expected: [
      'slipway.yaml:4:38: secrets.keyFile: expected a file path, e.g. .slipway/secret.key, found ""',
    ],
  },
  {
    name: 'vault mount with a slash',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nsecrets: { provider: vault, mount: "a b" }\n',
    expected: ['slipway.yaml:4:36: secrets.mount: expected the KV v2 mount name, e.g. secret, found "a b"'],
  },
  {
    name: 'notification for an unknown environment, with a bad url',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nnotifications:\n  - { name: ops, url: "ftp://x", secret: { env: prod, key: K }, environments: [prod] }\n',
    expected: [
      'slipway.yaml:5:23: notifications[0].url: expected an http:// or https:// URL, found "ftp://x"',
      'slipway.yaml:5:49: notifications[0].secret.env: no environment "prod"; expected one of staging',
      'slipway.yaml:5:80: notifications[0].environments[0]: no environment "prod"; expected one of staging',
    ],
  },
  {
    name: 'email notification with a bad SMTP host, port and address',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nnotifications:\n  - { name: mail, kind: email, smtp: { host: "smtp://x", port: 70000 }, from: nobody, to: [ops@example.com] }\n',
    expected: [
      'slipway.yaml:5:46: notifications[0].smtp.host: expected a host name or IP address without scheme or port, e.g. smtp.example.com, found "smtp://x"',
      'slipway.yaml:5:64: notifications[0].smtp.port: expected a port number, 1 to 65535, found 70000',
      'slipway.yaml:5:79: notifications[0].from: expected an email address, e.g. ops@example.com, found "nobody"',
    ],
  },
  {
    name: 'slack notification without its URL, webhook without its secret, email keys on a webhook',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nnotifications:\n  - { name: chat, kind: slack }\n  - { name: hook, url: "https://h.example.com", from: a@example.com }\n',
    expected: [
      'slipway.yaml:5:5: notifications[0].urlSecret: kind slack needs exactly one of url and urlSecret; e.g. `urlSecret: { env: production, key: SLACK_WEBHOOK_URL }`',
      'slipway.yaml:6:5: notifications[1].secret: kind webhook needs secret; e.g. `secret: { env: production, key: WEBHOOK_SECRET }`',
      'slipway.yaml:6:55: notifications[1].from: from is not used by kind webhook; remove it',
    ],
  },
  {
    name: 'dashboard url that is not a URL',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\ndashboard: { url: deploy.example.com, approveLinkTtl: 0s }\n',
    expected: [
      'slipway.yaml:4:19: dashboard.url: expected the http(s) address of `slipway server`, e.g. https://deploy.example.com, found "deploy.example.com"',
      'slipway.yaml:4:55: dashboard.approveLinkTtl: expected a duration such as 500ms, 30s, 10m, 2h, 1d or 1h30m, greater than zero, found "0s"',
    ],
  },
  {
    name: 'secret scan allow entry without a reason',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nsecretScan: { allow: [{ file: a.pem }] }\n',
    expected: [
      'slipway.yaml:4:23: secretScan.allow[0].reason: missing; expected why this finding is not a leaked secret',
    ],
  },
  {
    name: 'secret scan allow entry with line 0',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nsecretScan: { allow: [{ file: a.pem, line: 0, reason: x }] }\n',
    expected: ['slipway.yaml:4:44: secretScan.allow[0].line: expected a line number from 1, found 0'],
  },
  {
    name: 'secret scan allow entry with a misspelt key',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nsecretScan: { allow: [{ file: a.pem, reason: x, rules: y }] }\n',
    expected: [
      'slipway.yaml:4:49: secretScan.allow[0].rules: unknown key "rules"; did you mean "rule"? (allowed here: file, line, rule, reason)',
    ],
  },
  {
    name: 'empty envFile',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: { envFile: "" } }\n',
    expected: [
      'slipway.yaml:3:37: environments.staging.envFile: expected a .env file path relative to slipway.yaml, e.g. .env.staging, found ""',
    ],
  },
  {
    name: 'users with roles as text instead of a list',
    yaml: 'app: shop\nrun: { command: x }\nenvironments: { staging: {} }\nusers: { alice: approver, Bob: [Approver] }\n',
    expected: [
      'slipway.yaml:4:17: users.alice: expected a list of roles, e.g. [deployer, approver], found "approver"',
      'slipway.yaml:4:33: users.Bob[0]: expected a role: a name of lowercase letters, digits and dashes, starting with a letter, found "Approver"',
    ],
  },
  {
    name: 'checklist item with a bad id and an unknown phase',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    checklist: { template: seeds, add: [{ id: DB backup, text: backup taken, phase: after }] }\n',
    expected: [
      'slipway.yaml:5:28: environments.production.checklist.template: expected seed (the default checklists) or none (start empty), found "seeds"; did you mean "seed"?',
      'slipway.yaml:5:47: environments.production.checklist.add[0].id: expected an item id of lowercase letters, digits and dashes, e.g. db-backup-taken, found "DB backup"',
      'slipway.yaml:5:85: environments.production.checklist.add[0].phase: expected pre, during or post, found "after"',
    ],
  },
  {
    name: 'checklist skips an item the template does not have',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    checklist: { skip: [oncall-available] }\n',
    expected: [
      'slipway.yaml:5:25: environments.production.checklist.skip[0]: unknown checklist item "oncall-available"; did you mean "on-call-available"? (template items: ci-passed, previous-succeeded, migrations-tested, rollback-plan, config-drift, flags-match, stakeholders-notified, monitoring-ready, on-call-available, documented-time, error-rates, health-checks, smoke-tests, critical-journeys, metrics-normal, support-tickets, issues-documented, runbook-updated)',
    ],
  },
  {
    name: 'checklist adds two items with one id',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    checklist:\n      add:\n        - { id: db-backup, text: backup taken }\n        - { id: db-backup, text: backup restored once }\n',
    expected: [
      'slipway.yaml:8:17: environments.production.checklist.add[1].id: item id "db-backup" is already used by add[0]; give each item its own id',
    ],
  },
  {
    name: 'approvals nobody can give',
    yaml: 'app: shop\nrun: { command: x }\nusers: { alice: [approver], bob: [deployer] }\nenvironments:\n  production:\n    approval: { required: 2 }\n',
    expected: [
      'slipway.yaml:6:27: environments.production.approval.required: 2 approval(s) from role approver are required but only alice holds it; give the role to more users, e.g. users: { bob: [approver] }',
    ],
  },
  {
    name: 'inconclusive analysis with an unknown behaviour',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    inconclusive: retry\n',
    expected: [
      'slipway.yaml:5:19: environments.production.inconclusive: expected wait, pause or fail, found "retry"',
    ],
  },
  {
    name: 'prometheus metrics without a url',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    metrics: { provider: prometheus }\n',
    expected: [
      'slipway.yaml:5:14: environments.production.metrics.url: missing; the prometheus metric provider needs url, e.g. http://127.0.0.1:9090',
    ],
  },
  {
    name: 'metrics options of another provider',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    metrics: { provider: http, url: "http://127.0.0.1:9/m", queries: { error_rate: x } }\n',
    expected: [
      'slipway.yaml:5:70: environments.production.metrics.queries: only used with provider: prometheus (provider is http)',
    ],
  },
  {
    name: 'business metric with a drop that is not a percentage',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    rollbackIf: { businessMetric: { url: "http://127.0.0.1:9/m", path: orders.rate, dropAbove: lots } }\n',
    expected: [
      'slipway.yaml:5:96: environments.production.rollbackIf.businessMetric.dropAbove: expected a percentage such as 5%, from 0% to 100%, found "lots"',
    ],
  },
  {
    name: 'impossible calendar dates in freezes and holidays',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  production:\n    windows: { freeze: ["2027-02-30/2027-03-01"], holidays: ["2026-13-01", "2028-02-29"] }\n',
    expected: [
      'slipway.yaml:5:25: environments.production.windows.freeze[0]: "2027-02-30" is not a calendar date: February 2027 has 28 days',
      'slipway.yaml:5:62: environments.production.windows.holidays[0]: "2026-13-01" is not a calendar date: there is no month 13',
    ],
  },
  {
    name: 'unknown role names in users and approvals',
    yaml: 'app: shop\nrun: { command: x }\nusers: { alice: [aprover, deployer], bob: [approver] }\nenvironments:\n  production:\n    approval: { role: releaser }\n',
    expected: [
      'slipway.yaml:3:18: users.alice[0]: unknown role "aprover"; expected viewer, deployer, approver, admin; did you mean "approver"?',
      'slipway.yaml:6:23: environments.production.approval.role: unknown role "releaser": not one of viewer, deployer, approver, admin and no user under users: holds it, so nobody could ever approve',
    ],
  },
  {
    name: 'HTTP statuses outside 100-599',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging:\n    smoke: [{ get: /, expect: 20 }, { get: /, expect: "<700" }, { get: /, expect: 404 }, { get: /, expect: "6xx" }]\n',
    expected: [
      'slipway.yaml:5:31: environments.staging.smoke[0].expect: expected an HTTP status from 100 to 599, such as 200, "2xx" or "<500", found 20',
      'slipway.yaml:5:55: environments.staging.smoke[1].expect: expected an HTTP status from 100 to 599, such as 200, "2xx" or "<500", found "<700"',
      'slipway.yaml:5:108: environments.staging.smoke[3].expect: expected a status such as 200, "2xx" or "<500", found "6xx"',
    ],
  },
  {
    name: 'rolling shares above 100%',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging:\n    strategy: { rolling: { maxUnavailable: 150%, maxSurge: 101% } }\n',
    expected: [
      'slipway.yaml:5:44: environments.staging.strategy.rolling.maxUnavailable: expected a number of instances or a percentage such as 5%, from 0% to 100%, found "150%"',
      'slipway.yaml:5:60: environments.staging.strategy.rolling.maxSurge: expected a number of instances or a percentage such as 5%, from 0% to 100%, found "101%"',
    ],
  },
  {
    name: 'URLs that are not http(s)',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging:\n    rollbackIf: { businessMetric: { url: "ftp://x/y", path: a, dropAbove: 5% } }\n    metrics: { provider: http, url: "file:///etc/passwd" }\nsecrets: { provider: vault, address: "javascript:alert(1)" }\n',
    expected: [
      'slipway.yaml:5:42: environments.staging.rollbackIf.businessMetric.url: expected an http(s) URL, found "ftp://x/y"',
      'slipway.yaml:6:37: environments.staging.metrics.url: expected an http(s) URL, found "file:///etc/passwd"',
      'slipway.yaml:7:38: secrets.address: expected the Vault address as an http(s) URL, found "javascript:alert(1)"',
    ],
  },
  {
    name: 'mustMatch names a key nobody declares',
    yaml: 'app: shop\nrun: { command: x }\nconfig:\n  values: { GREETING: hi }\n  mustMatch: [GREETNG]\nenvironments: { staging: {} }\n',
    expected: [
      'slipway.yaml:5:15: config.mustMatch[0]: "GREETNG" is not declared under any config.require, config.values or secrets (declared: GREETING); declare it or remove it from mustMatch; did you mean "GREETING"?',
    ],
  },
  {
    name: 'a declared secret also written in plain text',
    yaml: 'app: shop\nrun: { command: x }\nconfig:\n  require: { API_KEY: secret, DB: { type: secret, default: x } }\n  values: { API_KEY: abc }\nenvironments:\n  staging:\n    secrets: [STRIPE]\n    config: { values: { STRIPE: sk_live } }\n',
    expected: [
      'slipway.yaml:4:60: config.require.DB.default: DB is a secret (type secret) and cannot have a default written in slipway.yaml; store it with `slipway secret set ENV DB`',
      'slipway.yaml:5:22: config.values.API_KEY: API_KEY is a secret (type secret under config.require) but is written here in plain text; store it with `slipway secret set ENV API_KEY` and remove it from slipway.yaml',
      'slipway.yaml:9:33: environments.staging.config.values.STRIPE: STRIPE is a secret (listed under environments.staging.secrets) but is written here in plain text; store it with `slipway secret set staging STRIPE` and remove it from slipway.yaml',
    ],
  },
  {
    name: 'two environments on one router port',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging: { router: { port: 8080 } }\n  production: { router: { port: 8080 } }\n',
    expected: [
      'slipway.yaml:5:33: environments.production.router.port: port 8080 is already the router port of environment "staging"; give each environment its own port',
    ],
  },
  {
    name: 'performance step: a rate, a duration and a ratio it cannot use, load aimed outside the environment',
    yaml: 'app: shop\nrun: { command: x }\nenvironments:\n  staging:\n    router: { port: 8080 }\n    performance:\n      rate: 200 per second\n      duration: 1h\n      endpoints: [/, "http://127.0.0.1:9090/api", "http://localhost:8080/ok"]\n      maxRegression: { p95: 0.9x }\n',
    expected: [
      'slipway.yaml:7:13: environments.staging.performance.rate: expected a request rate such as 200/s (1/s to 5000/s), found "200 per second"',
      'slipway.yaml:8:17: environments.staging.performance.duration: expected a duration such as 20s, from 1s to 10m, found "1h"',
      'slipway.yaml:9:22: environments.staging.performance.endpoints[1]: http://127.0.0.1:9090 is outside this environment (its addresses: http://127.0.0.1:8080); load never leaves the environment: use a path such as /api',
      'slipway.yaml:10:29: environments.staging.performance.maxRegression.p95: expected a ratio such as 1.2x, above 1x, found "0.9x"',
    ],
  },
];

for (const c of cases) {
  test(`broken config: ${c.name}`, () => {
    const result = parseConfig(c.yaml, 'slipway.yaml');
    assert.equal(result.ok, false, 'the config must be refused');
    assert.deepEqual(result.ok ? [] : result.problems.map(formatProblem), c.expected);
  });
}

test('there are at least 25 distinct broken configs', () => {
  assert.ok(new Set(cases.map((c) => c.yaml)).size >= 25);
});

test('broken config: a cascade of syntax errors is cut after 50, the rest counted', () => {
  const yaml = `app: shop\nrun: { command: x }\nenvironments: { staging: {} }\n${'x: ]\n'.repeat(80)}`;
  const result = parseConfig(yaml, 'slipway.yaml');
  assert.equal(result.ok, false);
  const shown = result.ok ? [] : result.problems.map(formatProblem);
  assert.equal(shown.length, 51);
  assert.equal(shown[0], 'slipway.yaml:4:4: YAML syntax: Unexpected flow-seq-end token in YAML stream: "]"');
  assert.match(
    shown[50] ?? '',
    /^slipway\.yaml:\d+:\d+: YAML syntax: and \d+ more problem\(s\) after this one; fix the first ones and run validate again$/,
  );
});
