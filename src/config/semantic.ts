/**
 * Rules the schema alone cannot express: the lifecycle graph, canary weights, windows that
 * overlap. They read the raw document defensively, so they run (and report) even when other parts
 * of the file are broken — every problem at once.
 */
import { DateTime } from 'luxon';
import { ROLES } from '../domain/auth.ts';
import { SEED_CHECKLIST } from '../gates/checklist.ts';
import { notificationProblems } from './notifications.ts';
import { performanceProblems } from './performance.ts';
import type { Problem } from './problems.ts';
import { referenceProblems } from './references.ts';
import { STRATEGY_NAMES } from './schema.ts';
import { suggestion } from './suggest.ts';
import { parseDuration, parsePercent } from './units.ts';
import { parseWindow, type WindowSpec } from './windows.ts';

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A process needs a command; a container has its image's CMD (run.image). */
function runProblems(data: Raw): Problem[] {
  if (!isObject(data.run) || data.run.command !== undefined || data.run.image !== undefined) return [];
  return [
    {
      path: ['run', 'command'],
      message:
        'missing; expected the command line that starts the app, e.g. "node server.js" (or run.image, to run images)',
    },
  ];
}

export function semanticProblems(data: unknown): Problem[] {
  if (isObject(data) && !isObject(data.environments)) return runProblems(data);
  if (!isObject(data) || !isObject(data.environments)) return [];
  const envs = data.environments;
  const problems: Problem[] = [];
  const names = new Set(Object.keys(envs));
  for (const [name, env] of Object.entries(envs)) {
    if (!isObject(env)) continue;
    const base = ['environments', name];
    problems.push(...afterProblems(name, env, names, base));
    if (isObject(env.strategy)) {
      problems.push(...strategyProblems(env.strategy, [...base, 'strategy']));
    }
    if (isObject(env.windows)) problems.push(...windowProblems(env.windows, [...base, 'windows']));
    if (isObject(env.checklist)) problems.push(...checklistProblems(env.checklist, [...base, 'checklist']));
    problems.push(...performanceProblems(env, base));
    if (env.hosts !== undefined && isObject(data.run) && data.run.image !== undefined)
      problems.push({
        path: [...base, 'hosts'],
        message: `hosts run releases of files; run.image with hosts is not built yet: remove run.image (register folder releases), or run ${name} on this machine (remove hosts)`,
      });
    if (
      isObject(env.rollbackIf) &&
      env.rollbackIf.action === 'flag-off' &&
      typeof env.rollbackIf.flag !== 'string'
    )
      problems.push({
        path: [...base, 'rollbackIf', 'flag'],
        message: 'action flag-off turns off the flag named here; add e.g. `flag: new-checkout`',
      });
    if (isObject(env.rollbackIf)) problems.push(...alphaProblems(env.rollbackIf, [...base, 'rollbackIf']));
    if (isObject(env.approval) && isObject(data.users)) {
      problems.push(...approverProblems(env.approval, data.users, [...base, 'approval']));
    }
  }
  problems.push(...runProblems(data));
  problems.push(...cycleProblems(envs));
  problems.push(...healthProblems(data));
  problems.push(...referenceProblems(data));
  problems.push(...notificationProblems(data, names));
  return problems;
}

function afterProblems(name: string, env: Raw, names: ReadonlySet<string>, base: string[]): Problem[] {
  if (typeof env.after !== 'string') return [];
  if (env.after === name) {
    return [{ path: [...base, 'after'], message: `environment "${name}" cannot come after itself` }];
  }
  if (!names.has(env.after)) {
    const others = [...names].filter((n) => n !== name);
    const listed = others.length > 20 ? `${[...names].slice(0, 20).join(', ')}, …` : [...names].join(', ');
    return [
      {
        path: [...base, 'after'],
        message: `unknown environment "${env.after}"${others.length <= 1000 ? suggestion(env.after, others) : ''} (environments: ${listed})`,
      },
    ];
  }
  return [];
}

function cycleProblems(envs: Raw): Problem[] {
  const after = (n: string) => {
    const env = envs[n];
    return isObject(env) && typeof env.after === 'string' && Object.hasOwn(envs, env.after)
      ? env.after
      : undefined;
  };
  // Each environment is walked once: a walk stops at one already finished (linear in environments).
  const done = new Set<string>();
  const problems: Problem[] = [];
  for (const start of Object.keys(envs)) {
    const onPath = new Map<string, number>();
    const seen: string[] = [];
    let current: string | undefined = start;
    while (current !== undefined && !done.has(current) && !onPath.has(current)) {
      onPath.set(current, seen.length);
      seen.push(current);
      current = after(current);
    }
    for (const n of seen) done.add(n);
    if (current === undefined || !onPath.has(current)) continue;
    const loop = seen.slice(onPath.get(current));
    // `after` naming itself is reported by afterProblems.
    if (loop.length < 2) continue;
    problems.push({
      path: ['environments', loop[0] as string, 'after'],
      message: `the lifecycle has a cycle: ${[...loop, loop[0]].join(' → ')}; one of them must start the lifecycle (remove its "after")`,
    });
  }
  return problems;
}

function strategyProblems(strategy: Raw, base: string[]): Problem[] {
  const problems: Problem[] = [];
  const chosen = Object.keys(strategy).filter((k) => STRATEGY_NAMES.includes(k as never));
  if (chosen.length !== 1) {
    problems.push({
      path: base,
      message:
        chosen.length === 0
          ? 'expected one strategy: rolling, blue-green or canary'
          : `expected one strategy, found ${chosen.join(' and ')}; keep one of them`,
    });
  }
  const canary = strategy.canary;
  if (isObject(canary) && Array.isArray(canary.steps) && typeof canary.flag !== 'string') {
    const i = canary.steps.findIndex((step) => isObject(step) && step.flag !== undefined);
    if (i >= 0)
      problems.push({
        path: [...base, 'canary', 'steps', i, 'flag'],
        message:
          "a step moves the canary's feature flag; name it with `flag: new-checkout` under strategy.canary",
      });
  }
  if (isObject(canary) && canary.flagAnalysis === 'variants' && typeof canary.flag !== 'string')
    problems.push({
      path: [...base, 'canary', 'flagAnalysis'],
      message:
        "flagAnalysis: variants judges the variants of the canary's flag; name it with `flag: new-checkout`",
    });
  if (isObject(canary) && Array.isArray(canary.steps)) {
    let last: number | undefined;
    let lastIndex = -1;
    let outOfRange = false;
    canary.steps.forEach((step, i) => {
      if (!isObject(step) || typeof step.weight !== 'number') return;
      // Out-of-range weights are the schema's to report; judging the order on top would only add noise.
      if (step.weight < 1 || step.weight > 100) outOfRange = true;
      if (!outOfRange && last !== undefined && step.weight <= last) {
        problems.push({
          path: [...base, 'canary', 'steps', i, 'weight'],
          message: `canary weights must rise: step ${i} has ${step.weight} after ${last} in step ${lastIndex}`,
        });
      }
      last = step.weight;
      lastIndex = i;
    });
    if (!outOfRange && last !== undefined && last !== 100) {
      problems.push({
        path: [...base, 'canary', 'steps', lastIndex, 'weight'],
        message: `the last canary weight must be 100 so the release ends with all traffic, found ${last}; add a step { weight: 100 }`,
      });
    }
  }
  const rolling = strategy.rolling;
  if (isObject(rolling) && isZero(rolling.maxSurge) && isZero(rolling.maxUnavailable)) {
    problems.push({
      path: [...base, 'rolling'],
      message:
        'maxSurge and maxUnavailable are both 0, so no instance could ever be replaced; set maxSurge: 1',
    });
  }
  return problems;
}

function isZero(v: unknown): boolean {
  return v === 0 || (typeof v === 'string' && parsePercent(v) === 0);
}

function windowProblems(windows: Raw, base: string[]): Problem[] {
  const problems: Problem[] = [];
  const allow = windows.allow;
  if (Array.isArray(allow)) problems.push(...overlapProblems(allow, [...base, 'allow']));
  for (const list of ['freeze', 'holidays'] as const) {
    const ranges = windows[list];
    if (!Array.isArray(ranges)) continue;
    ranges.forEach((text, index) => {
      if (typeof text !== 'string') return;
      const [from, to] = text.split('/');
      for (const date of [from, to]) {
        const wrong = date === undefined ? undefined : calendarProblem(date);
        if (wrong) problems.push({ path: [...base, list, index], message: wrong });
      }
      if (from && to && to < from) {
        problems.push({
          path: [...base, list, index],
          message: `range "${text}" ends before it starts; write it as ${to}/${from}`,
        });
      }
    });
  }
  return problems;
}

/** `2027-02-30` has the right shape but is no day of any calendar. */
function calendarProblem(date: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return undefined; // the schema reports the shape
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (DateTime.fromObject({ year, month, day }, { zone: 'utc' }).isValid) return undefined;
  if (month < 1 || month > 12) return `"${date}" is not a calendar date: there is no month ${month}`;
  const days = DateTime.fromObject({ year, month, day: 1 }, { zone: 'utc' }).daysInMonth;
  const monthName = DateTime.fromObject({ year, month, day: 1 }, { zone: 'utc' }).toFormat('MMMM yyyy');
  return `"${date}" is not a calendar date: ${monthName} has ${days} days`;
}

/**
 * Allowed windows that overlap, found with a sweep per (time zone, day) sorted by start rather
 * than comparing every window with every other; each overlapping pair is reported once, on the
 * later window.
 */
function overlapProblems(allow: unknown[], base: (string | number)[]): Problem[] {
  const buckets = new Map<string, { spec: WindowSpec; index: number }[]>();
  allow.forEach((text, index) => {
    if (typeof text !== 'string') return;
    const spec = parseWindow(text);
    if (typeof spec === 'string') return;
    for (const day of spec.days) {
      const key = `${spec.timeZone ?? ''} ${day}`;
      const list = buckets.get(key) ?? [];
      list.push({ spec, index });
      buckets.set(key, list);
    }
  });
  const pairs = new Map<string, { later: number; earlier: number }>();
  for (const list of buckets.values()) {
    list.sort((a, b) => a.spec.start - b.spec.start || a.index - b.index);
    let open: { spec: WindowSpec; index: number } | undefined;
    for (const item of list) {
      if (open && item.spec.start < open.spec.end) {
        const [earlier, later] =
          open.index < item.index ? [open.index, item.index] : [item.index, open.index];
        if (!pairs.has(`${later}`)) pairs.set(`${later}`, { later, earlier });
      }
      if (!open || item.spec.end > open.spec.end) open = item;
    }
  }
  return [...pairs.values()].map(({ later, earlier }) => ({
    path: [...base, later],
    message: `window "${String(allow[later])}" overlaps window ${earlier} ("${String(allow[earlier])}"); merge them into one`,
  }));
}

/** A skipped item must exist in the template, or the skip silently does nothing; added ids are unique. */
function checklistProblems(checklist: Raw, base: string[]): Problem[] {
  const problems: Problem[] = [];
  // Two added items with one id: only one could ever be checked off.
  if (Array.isArray(checklist.add)) {
    const first = new Map<string, number>();
    checklist.add.forEach((item, index) => {
      if (!isObject(item) || typeof item.id !== 'string') return;
      const earlier = first.get(item.id);
      if (earlier === undefined) first.set(item.id, index);
      else
        problems.push({
          path: [...base, 'add', index, 'id'],
          message: `item id "${item.id}" is already used by add[${earlier}]; give each item its own id`,
        });
    });
  }
  if (!Array.isArray(checklist.skip)) return problems;
  const ids = checklist.template === 'none' ? [] : SEED_CHECKLIST.map((i) => i.id);
  checklist.skip.forEach((id, index) => {
    if (typeof id === 'string' && !ids.includes(id)) {
      problems.push({
        path: [...base, 'skip', index],
        message: `unknown checklist item "${id}"${suggestion(id, ids)} (template items: ${ids.join(', ') || 'none'})`,
      });
    }
  });
  return problems;
}

/** With `users:` listed, the approvals an environment asks for must be possible to give. */
function approverProblems(approval: Raw, users: Raw, base: string[]): Problem[] {
  const role = typeof approval.role === 'string' ? approval.role : 'approver';
  const heldByAnyone = Object.values(users).some((roles) => Array.isArray(roles) && roles.includes(role));
  // An unknown role is reported by referenceProblems; counting its holders would only add noise.
  if (!heldByAnyone && !(ROLES as readonly string[]).includes(role)) return [];
  const required = typeof approval.required === 'number' ? approval.required : 1;
  const holders = Object.entries(users)
    .filter(([, roles]) => Array.isArray(roles) && roles.includes(role))
    .map(([name]) => name);
  if (holders.length >= required) return [];
  return [
    {
      path: [...base, 'required'],
      message: `${required} approval(s) from role ${role} are required but ${holders.length ? `only ${holders.join(', ')} hold${holders.length === 1 ? 's' : ''} it` : 'no user under users: holds it'}; give the role to more users, e.g. users: { bob: [${role}] }`,
    },
  ];
}

function healthProblems(data: Raw): Problem[] {
  const health = isObject(data.run) && isObject(data.run.health) ? data.run.health : undefined;
  if (!health || typeof health.interval !== 'string' || typeof health.timeout !== 'string') return [];
  const interval = parseDuration(health.interval);
  const timeout = parseDuration(health.timeout);
  if (interval !== null && timeout !== null && timeout > interval) {
    return [
      {
        path: ['run', 'health', 'timeout'],
        message: `a health check timeout (${health.timeout}) longer than its interval (${health.interval}) lets checks pile up; make it at most ${health.interval}`,
      },
    ];
  }
  return [];
}

/** `alpha` sets the level of a fixed-sample test: it means nothing beside another `test`. */
function alphaProblems(r: Record<string, unknown>, base: (string | number)[]): Problem[] {
  const out: Problem[] = [];
  for (const [key, test] of [
    ['errorRate', 'two-proportion'],
    ['latency', 'mann-whitney'],
  ] as const) {
    const t = r[key];
    if (isObject(t) && t.alpha !== undefined && t.test !== test)
      out.push({
        path: [...base, key, 'alpha'],
        message: `alpha is the significance level of \`test: ${test}\`; add \`test: ${test}\` or remove alpha (the sequential tests share a fixed 1%)`,
      });
  }
  return out;
}
