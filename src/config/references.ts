/**
 * Cross-references inside slipway.yaml that the schema cannot see: roles between approvals and
 * users, mustMatch keys that must be declared, secrets that must not also be written in plain
 * text, router ports two environments cannot share. Like semantic.ts, they read the raw document
 * defensively and run in one pass over it (a generated file may have many thousand keys).
 */
import { ROLES } from '../domain/auth.ts';
import type { Problem } from './problems.ts';
import { suggestion } from './suggest.ts';

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);
const ROLE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

/** A list for a message: the first few names, then how many more. */
function some(names: Iterable<string>, max = 10): string {
  const all = [...names];
  const shown = all.slice(0, max).join(', ');
  return all.length > max ? `${shown}, and ${all.length - max} more` : shown || 'none';
}

export function referenceProblems(data: Raw): Problem[] {
  const envs = isObject(data.environments) ? data.environments : {};
  return [...roleProblems(data, envs), ...configProblems(data, envs), ...portProblems(envs)];
}

/**
 * A role is one slipway knows (server roles) or one an environment's approval asks for; an
 * approval's role must be a known one or held by a listed user — otherwise nobody can ever give it.
 */
function roleProblems(data: Raw, envs: Raw): Problem[] {
  const problems: Problem[] = [];
  const users = isObject(data.users) ? data.users : undefined;
  const held = new Set<string>();
  if (users) for (const roles of Object.values(users)) for (const r of strings(roles)) held.add(r);
  const asked = new Set<string>();
  for (const [name, env] of Object.entries(envs)) {
    if (!isObject(env) || !isObject(env.approval) || typeof env.approval.role !== 'string') continue;
    const role = env.approval.role;
    if ((ROLES as readonly string[]).includes(role) || held.has(role)) {
      asked.add(role);
      continue;
    }
    const candidates = [...new Set([...ROLES, ...held])];
    problems.push({
      path: ['environments', name, 'approval', 'role'],
      message: `unknown role "${role}": not one of ${ROLES.join(', ')} and no user under users: holds it, so nobody could ever approve${suggestion(role, candidates)}`,
    });
  }
  if (!users) return problems;
  const known = [...new Set([...ROLES, ...asked])];
  for (const [user, roles] of Object.entries(users)) {
    strings(roles).forEach((role, index) => {
      // A malformed role name is the schema's to report.
      if (known.includes(role) || !ROLE_NAME.test(role)) return;
      const custom = [...asked].filter((r) => !(ROLES as readonly string[]).includes(r));
      problems.push({
        path: ['users', user, index],
        message: `unknown role "${role}"; expected ${ROLES.join(', ')}${custom.length ? ` or a role an approval asks for (${some(custom)})` : ''}${suggestion(role, known)}`,
      });
    });
  }
  return problems;
}

interface Block {
  readonly path: readonly string[];
  readonly block: Raw;
}

function configBlocks(data: Raw, envs: Raw): Block[] {
  const blocks: Block[] = [];
  if (isObject(data.config)) blocks.push({ path: ['config'], block: data.config });
  for (const [name, env] of Object.entries(envs)) {
    if (isObject(env) && isObject(env.config))
      blocks.push({ path: ['environments', name, 'config'], block: env.config });
  }
  return blocks;
}

const typeOf = (spec: unknown): unknown => (isObject(spec) ? spec.type : spec);
const isSecretType = (spec: unknown): boolean => {
  const type = typeOf(spec);
  return typeof type === 'string' && type.trim() === 'secret';
};

/** mustMatch names declared keys; a secret is never also a plain value or a default. */
function configProblems(data: Raw, envs: Raw): Problem[] {
  const problems: Problem[] = [];
  const blocks = configBlocks(data, envs);
  const declared = new Set<string>();
  for (const { block } of blocks) {
    if (isObject(block.require)) for (const k of Object.keys(block.require)) declared.add(k);
    if (isObject(block.values)) for (const k of Object.keys(block.values)) declared.add(k);
  }
  for (const env of Object.values(envs))
    if (isObject(env)) for (const k of strings(env.secrets)) declared.add(k);
  for (const { path, block } of blocks) {
    strings(block.mustMatch).forEach((key, index) => {
      if (declared.has(key)) return;
      problems.push({
        path: [...path, 'mustMatch', index],
        message: `"${key}" is not declared under any config.require, config.values or secrets (declared: ${some([...declared].sort())}); declare it or remove it from mustMatch${declared.size <= 1000 ? suggestion(key, [...declared]) : ''}`,
      });
    });
  }
  const topSecrets = new Set<string>();
  const top = isObject(data.config) ? data.config : undefined;
  if (top && isObject(top.require))
    for (const [k, spec] of Object.entries(top.require)) if (isSecretType(spec)) topSecrets.add(k);
  const setCommand = (path: readonly string[], key: string) =>
    `\`slipway secret set ${path[0] === 'environments' ? path[1] : 'ENV'} ${key}\``;
  const plainSecret = (path: readonly string[], key: string, why: string): Problem => ({
    path: [...path, 'values', key],
    message: `${key} is a secret (${why}) but is written here in plain text; store it with ${setCommand(path, key)} and remove it from slipway.yaml`,
  });
  for (const { path, block } of blocks) {
    const env = path[0] === 'environments' ? envs[path[1] as string] : undefined;
    const listed = new Set(isObject(env) ? strings(env.secrets) : []);
    const typed = new Set(topSecrets);
    if (isObject(block.require)) {
      for (const [key, spec] of Object.entries(block.require)) {
        if (!isSecretType(spec)) continue;
        typed.add(key);
        if (isObject(spec) && spec.default !== undefined) {
          problems.push({
            path: [...path, 'require', key, 'default'],
            message: `${key} is a secret (type secret) and cannot have a default written in slipway.yaml; store it with ${setCommand(path, key)}`,
          });
        }
      }
    }
    if (!isObject(block.values)) continue;
    for (const key of Object.keys(block.values)) {
      if (listed.has(key))
        problems.push(plainSecret(path, key, `listed under environments.${path[1]}.secrets`));
      else if (typed.has(key)) problems.push(plainSecret(path, key, 'type secret under config.require'));
    }
  }
  // A top-level value for a key some environment lists as a secret reaches that environment too.
  if (top && isObject(top.values)) {
    for (const [name, env] of Object.entries(envs)) {
      if (!isObject(env)) continue;
      for (const key of strings(env.secrets)) {
        if (key in (top.values as Raw))
          problems.push(plainSecret(['config'], key, `listed under environments.${name}.secrets`));
      }
    }
  }
  return problems;
}

/** Two environments cannot listen on one port of the same machine. */
function portProblems(envs: Raw): Problem[] {
  const problems: Problem[] = [];
  const owner = new Map<number, string>();
  for (const [name, env] of Object.entries(envs)) {
    if (!isObject(env) || !isObject(env.router) || typeof env.router.port !== 'number') continue;
    const port = env.router.port;
    const first = owner.get(port);
    if (first === undefined) owner.set(port, name);
    else
      problems.push({
        path: ['environments', name, 'router', 'port'],
        message: `port ${port} is already the router port of environment "${first}"; give each environment its own port`,
      });
  }
  return problems;
}
