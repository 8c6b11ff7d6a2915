/**
 * Every slipway.yaml key does something: this test walks the JSON Schema (what editors and
 * `validate` accept) and fails for any key that is neither read by the code nor refused as not
 * supported yet. READERS maps each key path to the file that reads it and the expression it is
 * read by; the test checks the expression is still in that file. A new key with no reader (or a
 * reader that no longer reads it) fails here: give it a reader, or refuse it with
 * `notSupportedYet` in schema.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../testing.ts';
import { jsonSchema } from './json-schema.ts';
import { parseConfig } from './load.ts';

type Reader = readonly [file: string, expression: string];

// biome-ignore format: one key per line reads best
const READERS: Record<string, Reader> = {
  $schema: ['src/cli/commands/init.ts', '$schema=./slipway.schema.json'],
  app: ['src/app/engine.ts', 'app: config.app'],
  run: ['src/app/engine.ts', 'config.run.'],
  'run.command': ['src/app/engine.ts', 'command: config.run.command'],
  'run.cwd': ['src/app/engine.ts', 'cwd: config.run.cwd'],
  'run.health': ['src/app/engine.ts', 'config.run.health.'],
  'run.health.path': ['src/app/engine.ts', 'path: config.run.health.path'],
  'run.health.interval': ['src/app/engine.ts', 'intervalMs: config.run.health.interval'],
  'run.health.timeout': ['src/app/engine.ts', 'timeoutMs: config.run.health.timeout'],
  'run.health.startTimeout': ['src/app/engine.ts', 'startTimeoutMs: config.run.health.startTimeout'],
  'run.health.expect': ['src/app/engine.ts', 'expect: config.run.health.expect'],
  'run.instances': ['src/app/engine.ts', 'config.run.instances'],
  'run.stopTimeout': ['src/app/engine.ts', 'stopTimeoutMs: config.run.stopTimeout'],
  'run.image': ['src/app/engine.ts', 'config.run.image'],
  'run.limits': ['src/app/engine.ts', 'config.run.limits &&'],
  'run.limits.memory': ['src/app/engine.ts', 'memoryBytes: config.run.limits.memory'],
  'run.limits.cpus': ['src/app/engine.ts', 'cpus: config.run.limits.cpus'],
  config: ['src/config/values/project.ts', 'shared: config.config'],
  'config.require': ['src/config/values/prepare.ts', 'input.shared?.require'],
  'config.require.*.type': ['src/config/values/prepare.ts', 'spec?.type'],
  'config.require.*.optional': ['src/config/values/types.ts', 'spec.optional === true'],
  'config.require.*.default': ['src/config/values/resolve.ts', 'type?.default'],
  'config.values': ['src/config/values/resolve.ts', 'input.shared?.values'],
  'config.mustMatch': ['src/config/values/drift-check.ts', 'config.config?.mustMatch'],
  secrets: ['src/config/values/project.ts', 'config.secrets'],
  'secrets.provider': ['src/app/secrets.ts', 'provider: s?.provider'],
  'secrets.path': ['src/app/secrets.ts', 's?.path'],
  'secrets.keyFile': ['src/app/secrets.ts', 's?.keyFile'],
  'secrets.address': ['src/app/secrets.ts', 'address: s.address'],
  'secrets.mount': ['src/app/secrets.ts', 'mount: s.mount'],
  'secrets.prefix': ['src/app/secrets.ts', 'prefix: s.prefix'],
  notifications: ['src/cli/commands/notifications.ts', 'config.notifications ?? []'],
  'notifications[].name': ['src/notify/dispatcher.ts', 's.name === d.subscription'],
  'notifications[].url': ['src/notify/webhook/notifier.ts', '!sub.url'],
  'notifications[].kind': ['src/notify/notifiers.ts', 'byKind[sub.kind]'],
  'notifications[].secret': ['src/notify/webhook/notifier.ts', 'const ref = sub.secret'],
  'notifications[].secret.env': ['src/notify/webhook/notifier.ts', 'ref.env'],
  'notifications[].secret.key': ['src/notify/webhook/notifier.ts', 'ref.key'],
  'notifications[].urlSecret': ['src/notify/slack/notifier.ts', 'const ref = sub.urlSecret'],
  'notifications[].urlSecret.env': ['src/notify/slack/notifier.ts', 'ref.env'],
  'notifications[].urlSecret.key': ['src/notify/slack/notifier.ts', 'ref.key'],
  'notifications[].smtp': ['src/notify/email/notifier.ts', 'const { smtp, from, to } = sub'],
  'notifications[].smtp.host': ['src/notify/email/notifier.ts', 'host: smtp.host'],
  'notifications[].smtp.port': ['src/notify/email/notifier.ts', 'port: smtp.port'],
  'notifications[].smtp.security': ['src/notify/email/notifier.ts', "smtp.security === 'tls'"],
  'notifications[].smtp.user': ['src/notify/email/notifier.ts', 'user: smtp.user'],
  'notifications[].smtp.password': ['src/notify/email/notifier.ts', 'options.secret(smtp.password)'],
  'notifications[].smtp.password.env': ['src/notify/email/notifier.ts', 'smtp.password.env'],
  'notifications[].smtp.password.key': ['src/notify/email/notifier.ts', 'smtp.password.key'],
  'notifications[].from': ['src/notify/email/notifier.ts', 'emailMessage(delivery, from, to)'],
  'notifications[].to': ['src/notify/email/notifier.ts', 'emailMessage(delivery, from, to)'],
  dashboard: ['src/app/engine.ts', 'config.dashboard'],
  'dashboard.url': ['src/notify/outbox.ts', 'dashboard.url'],
  'dashboard.approveLinkTtl': ['src/notify/outbox.ts', 'dashboard.approveLinkTtl'],
  'notifications[].events': ['src/notify/outbox.ts', 's.events.includes(event)'],
  'notifications[].environments': ['src/notify/outbox.ts', 's.environments.includes(env)'],
  'notifications[].attempts': ['src/notify/dispatcher.ts', 'd.attempts >= sub.attempts'],
  secretScan: ['src/engine/config-preflight.ts', 'config.secretScan?.allow'],
  'secretScan.allow': ['src/engine/config-preflight.ts', 'config.secretScan?.allow'],
  'secretScan.allow[].file': ['src/secrets/scan.ts', 'entry.file'],
  'secretScan.allow[].line': ['src/secrets/scan.ts', 'entry.line === f.line'],
  'secretScan.allow[].rule': ['src/secrets/scan.ts', 'entry.rule'],
  'secretScan.allow[].reason': ['src/secrets/scan.ts', 'entry.reason'],
  environments: ['src/app/engine.ts', 'config.environments[envName]'],
  'environments.*.after': ['src/config/lifecycle.ts', 'config.environments[env]?.after'],
  'environments.*.strategy': ['src/engine/strategy.ts', "s === 'rolling'"],
  'environments.*.strategy.rolling': ['src/engine/strategy.ts', 's.rolling'],
  'environments.*.strategy.rolling.maxSurge': ['src/engine/plan.ts', 's.maxSurge'],
  'environments.*.strategy.rolling.maxUnavailable': ['src/engine/plan.ts', 's.maxUnavailable'],
  'environments.*.strategy.blue-green': ['src/engine/strategy.ts', "s['blue-green']"],
  'environments.*.strategy.blue-green.warmFor': ['src/engine/strategy.ts', "s['blue-green'].warmFor"],
  'environments.*.strategy.blue-green.previewHeader': ['src/app/engine.ts', "env.strategy['blue-green']?.previewHeader"],
  'environments.*.strategy.canary': ['src/engine/strategy.ts', 's.canary'],
  'environments.*.strategy.canary.stickiness': ['src/app/engine.ts', 'env.strategy.canary?.stickiness'],
  'environments.*.strategy.canary.flag': ['src/engine/strategy.ts', 'flag: s.canary.flag'],
  'environments.*.strategy.canary.flagAnalysis': ['src/app/engine.ts', "canary?.flagAnalysis === 'variants'"],
  'environments.*.strategy.canary.steps': ['src/engine/strategy.ts', 's.canary.steps'],
  'environments.*.strategy.canary.steps[].flag': ['src/engine/strategy.ts', 'flagPercent: step.flag'],
  'environments.*.strategy.canary.steps[].weight': ['src/engine/strategy.ts', 'step.weight'],
  'environments.*.strategy.canary.steps[].pause': ['src/engine/strategy.ts', 'step.pause'],
  'environments.*.strategy.canary.steps[].analysis': ['src/engine/strategy.ts', 'step.analysis'],
  'environments.*.strategy.canary.steps[].analysis.duration': ['src/engine/strategy.ts', 'step.analysis.duration'],
  'environments.*.instances': ['src/app/engine.ts', 'env.instances'],
  'environments.*.config': ['src/config/values/project.ts', 'e.config ??'],
  'environments.*.config.require': ['src/config/values/prepare.ts', 'input.environment?.require'],
  'environments.*.config.require.*.type': ['src/config/values/prepare.ts', 'spec?.type'],
  'environments.*.config.require.*.optional': ['src/config/values/types.ts', 'spec.optional === true'],
  'environments.*.config.require.*.default': ['src/config/values/resolve.ts', 'type?.default'],
  'environments.*.config.values': ['src/config/values/resolve.ts', 'input.environment?.values'],
  'environments.*.config.mustMatch': ['src/config/values/drift-check.ts', 'mustMatch'],
  'environments.*.config.allowLoopback': ['src/config/values/drift-check.ts', 'config?.allowLoopback'],
  'environments.*.secrets': ['src/config/values/prepare.ts', 'input.environment?.secrets'],
  'environments.*.envFile': ['src/config/values/project.ts', 'config.environments[env]?.envFile'],
  'environments.*.approval': ['src/gates/engine-gates.ts', 'config.environments[d.env]?.approval'],
  'environments.*.approval.required': ['src/gates/approvals.ts', 'policy.required'],
  'environments.*.approval.role': ['src/gates/approvals.ts', 'policy.role'],
  'environments.*.approval.selfApproval': ['src/gates/approvals.ts', 'policy.selfApproval'],
  'environments.*.approval.timeout': ['src/gates/engine-gates.ts', 'timeoutMs: policy.timeout'],
  'environments.*.windows': ['src/gates/engine-gates.ts', 'windows?.outside'],
  'environments.*.url': ['src/app/client.ts', 'environments[env]?.url'],
  'environments.*.acceptance': ['src/gates/acceptance.ts', 'config.environments[from]?.acceptance'],
  'environments.*.acceptance.by': ['src/gates/acceptance.ts', 'policy.by'],
  'environments.*.revert': ['src/server/routes/client.ts', 'environments[env]?.revert'],
  'environments.*.revert.by': ['src/server/routes/client.ts', 'revert?.by'],
  'environments.*.windows.timezone': ['src/gates/windows.ts', 'windows.timezone'],
  'environments.*.windows.allow': ['src/gates/windows.ts', 'windows.allow'],
  'environments.*.windows.freeze': ['src/gates/windows.ts', 'windows.freeze'],
  'environments.*.windows.holidays': ['src/gates/windows.ts', 'windows.holidays'],
  'environments.*.windows.peak': ['src/gates/windows.ts', 'windows.peak'],
  'environments.*.windows.outside': ['src/gates/engine-gates.ts', "windows?.outside === 'fail'"],
  'environments.*.windows.policy': ['src/gates/windows.ts', "windows.policy === 'seed'"],
  'environments.*.checklist': ['src/gates/checklist-facts.ts', 'env?.checklist'],
  'environments.*.checklist.template': ['src/gates/checklist.ts', "checklist.template === 'seed'"],
  'environments.*.checklist.add': ['src/gates/checklist.ts', 'checklist.add'],
  'environments.*.checklist.add[].id': ['src/gates/checklist.ts', 'id: a.id'],
  'environments.*.checklist.add[].text': ['src/gates/checklist.ts', 'text: a.text'],
  'environments.*.checklist.add[].phase': ['src/gates/checklist.ts', 'phase: a.phase'],
  'environments.*.checklist.add[].required': ['src/gates/checklist.ts', 'required: a.required'],
  'environments.*.checklist.skip': ['src/gates/checklist.ts', 'checklist.skip'],
  'environments.*.checklist.previousWithin': ['src/gates/checklist-facts.ts', 'checklist?.previousWithin'],
  'environments.*.rollbackIf': ['src/engine/metric-sources.ts', 'env?.rollbackIf'],
  'environments.*.rollbackIf.errorRate': ['src/engine/metric-sources.ts', 'r.errorRate'],
  'environments.*.rollbackIf.errorRate.above': ['src/engine/metric-sources.ts', 'above: r.errorRate.above'],
  'environments.*.rollbackIf.errorRate.within': ['src/engine/metric-sources.ts', 'withinMs: r.errorRate.within'],
  'environments.*.rollbackIf.errorRate.test': ['src/engine/metric-sources.ts', 'test: r.errorRate.test'],
  'environments.*.rollbackIf.errorRate.alpha': ['src/engine/metric-sources.ts', 'alpha: r.errorRate.alpha'],
  'environments.*.rollbackIf.latency': ['src/engine/metric-sources.ts', 'r.latency'],
  'environments.*.rollbackIf.latency.p95AboveBaseline': ['src/engine/metric-sources.ts', 'p95AboveBaseline: r.latency.p95AboveBaseline'],
  'environments.*.rollbackIf.latency.for': ['src/engine/metric-sources.ts', 'forMs: r.latency.for'],
  'environments.*.rollbackIf.latency.test': ['src/engine/metric-sources.ts', 'test: r.latency.test'],
  'environments.*.rollbackIf.latency.alpha': ['src/engine/metric-sources.ts', 'alpha: r.latency.alpha'],
  'environments.*.rollbackIf.unhealthyInstances': ['src/engine/metric-sources.ts', 'r.unhealthyInstances'],
  'environments.*.rollbackIf.unhealthyInstances.above': ['src/engine/metric-sources.ts', 'above: r.unhealthyInstances.above'],
  'environments.*.rollbackIf.businessMetric': ['src/engine/metric-sources.ts', 'env?.rollbackIf?.businessMetric'],
  'environments.*.rollbackIf.businessMetric.url': ['src/engine/metric-sources.ts', 'url: b.url'],
  'environments.*.rollbackIf.businessMetric.path': ['src/engine/metric-sources.ts', 'path: b.path'],
  'environments.*.rollbackIf.businessMetric.dropAbove': ['src/engine/metric-sources.ts', 'dropAbove: r.businessMetric.dropAbove'],
  'environments.*.rollbackIf.action': ['src/app/engine.ts', "env.rollbackIf?.action === 'flag-off'"],
  'environments.*.rollbackIf.flag': ['src/app/engine.ts', 'flag: env.rollbackIf.flag'],
  'environments.*.smoke': ['src/app/engine.ts', 'env.smoke'],
  'environments.*.smoke[].get': ['src/engine/smoke.ts', 'check.get'],
  'environments.*.smoke[].expect': ['src/engine/smoke.ts', 'check.expect'],
  'environments.*.smoke[].contains': ['src/engine/smoke.ts', 'check.contains'],
  'environments.*.smoke[].retries': ['src/engine/smoke.ts', 'check.retries'],
  'environments.*.smoke[].delay': ['src/app/engine.ts', 'delayMs: delay'],
  github: ['src/app/github-reporter.ts', 'config.github'],
  'github.repository': ['src/app/github-reporter.ts', 'repository: github.repository'],
  'github.api': ['src/app/github-reporter.ts', 'api: github.api'],
  'environments.*.checks': ['src/app/engine.ts', 'env.checks.map('],
  'environments.*.checks[].name': ['src/app/engine.ts', 'name: check.name'],
  'environments.*.checks[].run': ['src/app/engine.ts', 'run: check.run'],
  'environments.*.checks[].timeout': ['src/app/engine.ts', 'timeoutMs: check.timeout'],
  'environments.*.performance': ['src/app/engine.ts', 'performanceOf(env.performance'],
  'environments.*.performance.rate': ['src/engine/performance.ts', 'rate: config.rate'],
  'environments.*.performance.duration': ['src/engine/performance.ts', 'durationMs: config.duration'],
  'environments.*.performance.connections': ['src/engine/performance.ts', 'config.connections ?? 10'],
  'environments.*.performance.endpoints': ['src/engine/performance.ts', 'endpoints: config.endpoints'],
  'environments.*.performance.maxRegression': ['src/engine/performance.ts', 'config.maxRegression'],
  'environments.*.performance.maxRegression.p50': ['src/engine/performance.ts', 'p50: max.p50'],
  'environments.*.performance.maxRegression.p95': ['src/engine/performance.ts', 'p95: max.p95'],
  'environments.*.performance.maxRegression.p99': ['src/engine/performance.ts', 'p99: max.p99'],
  'environments.*.performance.maxRegression.errorRate': ['src/engine/performance.ts', 'max?.errorRate'],
  'environments.*.performance.maxRegression.minDelta': ['src/engine/performance.ts', 'max?.minDelta'],
  'environments.*.watch': ['src/engine/deploy.ts', 'envConfig?.watch'],
  'environments.*.profile': ['src/app/engine.ts', 'env.profile'],
  'environments.*.allowFailedCI': ['src/gates/promotion.ts', 'allowFailedCI'],
  'environments.*.router': ['src/app/engine.ts', 'env.router?.'],
  'environments.*.router.driver': ['src/app/engine.ts', 'env.router?.driver'],
  'environments.*.router.port': ['src/app/engine.ts', 'env.router?.port'],
  'environments.*.inconclusive': ['src/app/engine.ts', 'env.inconclusive'],
  'environments.*.metrics': ['src/engine/metric-sources.ts', 'env?.metrics'],
  'environments.*.strategy.rolling.bootLimit': ['src/fleet/deploy.ts', 'env.strategy.rolling?.bootLimit'],
  'environments.*.hostFailure': ['src/fleet/plane.ts', "envConfig?.hostFailure ?? 'pause'"],
  'environments.*.minHealthy': ['src/fleet/plane.ts', 'envConfig?.minHealthy ?? 1'],
  'environments.*.hosts': ['src/fleet/hosts.ts', 'environment.hosts.map('],
  'environments.*.hosts[].address': ['src/fleet/hosts.ts', 'address: h.address'],
  'environments.*.hosts[].user': ['src/fleet/hosts.ts', 'user: h.user'],
  'environments.*.hosts[].port': ['src/fleet/hosts.ts', 'port: h.port'],
  'environments.*.hosts[].instances': ['src/fleet/hosts.ts', 'instances: h.instances ??'],
  'environments.*.hosts[].roles': ['src/fleet/hosts.ts', 'roles: h.roles ??'],
  'environments.*.hosts[].key': ['src/fleet/hosts.ts', 'resolve(projectDir, h.key)'],
  'environments.*.hosts[].dir': ['src/fleet/hosts.ts', 'dir: h.dir?.replace('],
  'environments.*.hosts[].agent': ['src/fleet/hosts.ts', 'agent: h.agent ??'],
  'environments.*.hosts[].keySecret': ['src/fleet/hosts.ts', 'keySecret: h.keySecret'],
  'environments.*.hosts[].jump': ['src/fleet/hosts.ts', 'h.jump !== undefined'],
  'environments.*.hosts[].jump.address': ['src/fleet/hosts.ts', 'address: h.jump.address'],
  'environments.*.hosts[].jump.user': ['src/fleet/hosts.ts', 'user: h.jump.user'],
  'environments.*.hosts[].jump.port': ['src/fleet/hosts.ts', 'port: h.jump.port'],
  'environments.*.hosts[].jump.key': ['src/fleet/hosts.ts', 'resolve(projectDir, h.jump.key)'],
  'environments.*.router.answerTimeout': ['src/fleet/plane.ts', 'answerTimeoutMs: envConfig.router.answerTimeout'],
  dora: ['src/cli/commands/metrics.ts', 'config.dora?.fixWithin'],
  'dora.fixWithin': ['src/server/routes/metrics.ts', 's.config?.dora?.fixWithin'],
  'environments.*.metrics.provider': ['src/engine/metric-sources.ts', "m?.provider === 'prometheus'"],
  'environments.*.metrics.url': ['src/engine/metric-sources.ts', 'm.url'],
  'environments.*.metrics.queries': ['src/engine/metric-sources.ts', 'm.queries'],
  'environments.*.metrics.path': ['src/engine/metric-sources.ts', 'm.path'],
  users: ['src/gates/engine-gates.ts', 'config.users'],
  identity: ['src/cli/identity.ts', 'config()?.identity'],
  'identity.allowSlipwayUser': ['src/cli/identity.ts', 'identity?.allowSlipwayUser'],
  migrations: ['src/migrations/service.ts', 'config.migrations'],
  'migrations.engine': ['src/migrations/service.ts', "m.engine !== 'postgres'"],
  'migrations.dir': ['src/migrations/deploy.ts', 'join(release.dir, m.dir)'],
  'migrations.command': ['src/migrations/deploy.ts', 'runCommand(m.command'],
  'migrations.database': ['src/migrations/service.ts', 'm.database'],
  'migrations.lockTimeout': ['src/migrations/deploy.ts', 'lockTimeoutMs: m.lockTimeout'],
  'migrations.statementTimeout': ['src/migrations/deploy.ts', 'statementTimeoutMs: m.statementTimeout'],
  'migrations.retries': ['src/migrations/deploy.ts', 'retries: m.retries'],
  'migrations.lockBudget': ['src/migrations/deploy.ts', 'budgetMs: m.lockBudget'],
  'migrations.rehearse': ['src/migrations/deploy.ts', 'm.rehearse?.'],
  'migrations.rehearse.generate': ['src/migrations/deploy.ts', 'm.rehearse?.generate'],
  'migrations.pgVersion': ['src/migrations/deploy.ts', 'm.pgVersion ?? DEFAULT_PG_VERSION'],
  'migrations.backup': ['src/migrations/service.ts', 'config.migrations?.backup'],
  'migrations.backup.keep': ['src/migrations/deploy.ts', 'keep: m.backup.keep'],
  'migrations.backup.dir': ['src/migrations/service.ts', 'config.migrations?.backup.dir'],
};

/** Keys refused by `validate` with "not supported yet" (schema.ts `notSupportedYet`). */
const NOT_SUPPORTED_YET: string[] = [];

/** Every property path of the schema: `a.b`, `*` for map values, `[]` for list items. */
function keyPaths(schema: Record<string, unknown>): { paths: string[]; never: string[] } {
  const paths = new Set<string>();
  const never = new Set<string>();
  const walk = (s: Record<string, unknown> | undefined, path: string) => {
    if (!s || typeof s !== 'object') return;
    for (const k of ['anyOf', 'oneOf', 'allOf'])
      for (const x of (s[k] as Record<string, unknown>[] | undefined) ?? []) walk(x, path);
    if (typeof s.not === 'object' && path) never.add(path);
    for (const [k, v] of Object.entries((s.properties as Record<string, Record<string, unknown>>) ?? {})) {
      const p = path ? `${path}.${k}` : k;
      paths.add(p);
      walk(v, p);
    }
    if (s.additionalProperties && typeof s.additionalProperties === 'object')
      walk(s.additionalProperties as Record<string, unknown>, `${path}.*`);
    if (s.items && typeof s.items === 'object') walk(s.items as Record<string, unknown>, `${path}[]`);
  };
  walk(schema, '');
  return { paths: [...paths], never: [...never] };
}

test('every key of the JSON Schema is read by the code, or refused as not supported yet', () => {
  const { paths, never } = keyPaths(jsonSchema());
  assert.ok(paths.length > 100, `the walk found ${paths.length} keys; it should see the whole schema`);
  const unread = paths.filter((p) => READERS[p] === undefined && !NOT_SUPPORTED_YET.includes(p));
  assert.deepEqual(
    unread,
    [],
    `keys nobody reads; give each a reader here or refuse it with notSupportedYet`,
  );
  assert.deepEqual(never.sort(), [...NOT_SUPPORTED_YET].sort(), 'the keys the schema refuses');
  const stale = Object.keys(READERS).filter((p) => !paths.includes(p));
  assert.deepEqual(stale, [], 'READERS names keys the schema no longer has');
  const files = new Map<string, string>();
  const gone = Object.entries(READERS).flatMap(([key, [file, expression]]) => {
    if (!files.has(file)) files.set(file, readFileSync(join(repoRoot, file), 'utf8'));
    return files.get(file)!.includes(expression) ? [] : [`${key}: ${file} no longer contains ${expression}`];
  });
  assert.deepEqual(gone, [], 'readers that no longer read their key');
});

test('a key of a feature not built yet is refused by validate, naming the key', () => {
  for (const key of NOT_SUPPORTED_YET) {
    const yaml = `app: shop\nrun: { command: x }\nenvironments: { staging: {} }\n${key}: { dir: db }\n`;
    const result = parseConfig(yaml, 'slipway.yaml');
    assert.ok(!result.ok, `${key} is refused`);
    const problem = result.problems.find((p) => p.path === key);
    assert.match(problem?.message ?? '', /^not supported yet: /);
  }
});
