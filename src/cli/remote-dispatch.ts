/**
 * What each command does when SLIPWAY_URL + SLIPWAY_TOKEN are set: run through the server, run
 * here because it only reads local files (validate, schema, init), or refuse because it works on
 * this machine's secrets, values or data plane. Never a silent fallback to a local store: main.ts
 * consults this table before any action runs, and a test fails for a command missing from it.
 */
import { AppError } from '../domain/errors.ts';
import { remoteFlagService } from '../flags/remote-service.ts';
import { type AcceptOptions, remoteAccept } from './commands/accept.ts';
import { FLAG_COMMANDS } from './commands/flags.ts';
import { type DoraOptions, remoteDora } from './commands/metrics.ts';
import { remotePerf } from './commands/perf.ts';
import { remotePostmortem } from './commands/postmortem.ts';
import type { Context } from './context.ts';
import type { ApiClient } from './remote.ts';
import {
  remoteAuditExport,
  remoteAuditVerify,
  remoteTokenCreate,
  remoteTokenList,
  remoteTokenRevoke,
  remoteUserList,
  remoteUserPut,
} from './remote-admin.ts';
import {
  remoteControl,
  remoteDecide,
  remoteDeploy,
  remoteHistory,
  remotePromote,
  remoteRollback,
  remoteStatus,
} from './remote-commands.ts';
import { remoteCheck, remoteOverride } from './remote-gates.ts';
import { remoteReleaseCreate, remoteReleaseRm, remoteReleases } from './remote-releases.ts';

/** A command's action through the server; `args` are commander's (positionals, then options). */
type Remote = (c: Context, r: ApiClient, args: readonly unknown[]) => Promise<number>;
export type RemoteMode = { readonly remote: Remote } | 'local' | { readonly refuse: string };

const ON_THE_SERVER = "run it on the server's machine (without SLIPWAY_URL)";
const local = (why: string): RemoteMode => ({
  refuse: `not available against a server (${why}); ${ON_THE_SERVER}`,
});
const notYet = local('the API has no route for it yet');
type Opts = Record<string, string | undefined>;
const control = (verb: 'pause' | 'resume' | 'abort'): RemoteMode => ({
  remote: (c, r, [env, o]) => remoteControl(c, r, env as string, verb, (o as Opts).reason),
});

const each = (paths: readonly string[], mode: RemoteMode) => Object.fromEntries(paths.map((p) => [p, mode]));

/** Keyed by the command path as typed, e.g. `release create`. */
export const REMOTE_MODES: Readonly<Record<string, RemoteMode>> = {
  validate: 'local',
  schema: 'local',
  init: 'local',
  // Writes a file into the repository it runs in; nothing of the server's state.
  'ci init': 'local',
  status: { remote: (c, r) => remoteStatus(c, r) },
  history: {
    remote: (c, r, [o]) =>
      remoteHistory(c, r, o as { env?: string; status?: string; by?: string; limit: number }),
  },
  'release create': {
    remote: (c, r, [path, o]) => remoteReleaseCreate(c, r, path as string, o as never),
  },
  'release rm': { remote: (c, r, [ref]) => remoteReleaseRm(c, r, ref as string) },
  releases: { remote: (c, r, [o]) => remoteReleases(c, r, o as { limit: number }) },
  perf: { remote: (c, r, [env, o]) => remotePerf(c, r, env as string, o as { limit: number }) },
  deploy: { remote: (c, r, [ref, o]) => remoteDeploy(c, r, (o as Opts).env as string, ref as string) },
  promote: {
    remote: (c, r, [o]) => remotePromote(c, r, o as { from: string; to: string; override?: string }),
  },
  pause: control('pause'),
  resume: control('resume'),
  abort: control('abort'),
  rollback: {
    remote: (c, r, [env, o]) => {
      const { to, reason } = o as Opts;
      return remoteRollback(c, r, env as string, {
        ...(to !== undefined && { to }),
        ...(reason !== undefined && { reason }),
      });
    },
  },
  accept: { remote: (c, r, [ref, o]) => remoteAccept(c, r, ref as string, o as AcceptOptions) },
  approve: {
    remote: (c, r, [id, o]) => remoteDecide(c, r, id as string, 'approve', (o as Opts).reason ?? null),
  },
  reject: {
    remote: (c, r, [id, o]) => remoteDecide(c, r, id as string, 'reject', (o as Opts).reason ?? null),
  },
  check: {
    remote: (c, r, [id, item, o]) => remoteCheck(c, r, id as string, item as string, (o as Opts).note),
  },
  checklist: notYet,
  override: {
    remote: (c, r, [id, o]) => {
      const { gate, reason } = o as Opts;
      return remoteOverride(c, r, id as string, gate as 'window' | 'checklist', reason as string);
    },
  },
  ...each(
    ['agent', 'agent stop', 'agent install', 'agent uninstall', 'agent rebuild', 'logs'],
    local('the agent and its instances run on the machine that serves traffic'),
  ),
  ...each(
    ['hosts trust', 'hosts status', 'hosts deploy', 'hosts stop', 'hosts bootstrap'],
    local("hosts are reached with this machine's SSH keys and known_hosts"),
  ),
  ...each(['doctor', 'store backup', 'store restore'], local("it checks or replaces the server's own store")),
  // Lint reads only local files; the rest work on an environment's database with its secrets.
  'migrations lint': 'local',
  ...each(
    [
      'migrations status',
      'migrations apply',
      'migrations rehearse',
      'migrations contract',
      'db backup',
      'db backups',
      'db restore',
    ],
    local("it connects to the environment's database with this machine's secrets"),
  ),
  server: local('a server is started on its own machine'),
  exec: local("it runs a command with the server's config values and secrets"),
  ...each(
    ['config check', 'config show', 'config diff', 'config set', 'config unset'],
    local("config values come from the server's files and secret store"),
  ),
  ...each(
    ['secret init', 'secret set', 'secret get', 'secret list', 'secret rm', 'secret rotate-key'],
    local('secrets stay on the server machine and never cross the API'),
  ),
  'token create': { remote: (c, r, [o]) => remoteTokenCreate(c, r, o as never) },
  'token list': { remote: (c, r, [o]) => remoteTokenList(c, r, o as { user?: string }) },
  'token revoke': { remote: (c, r, [id]) => remoteTokenRevoke(c, r, id as string) },
  'user add': { remote: (c, r, [name, o]) => remoteUserPut(c, r, 'add', name as string, o as never) },
  'user grant': { remote: (c, r, [name, o]) => remoteUserPut(c, r, 'grant', name as string, o as never) },
  'user revoke': notYet,
  'user list': { remote: (c, r) => remoteUserList(c, r) },
  'audit verify': { remote: (c, r) => remoteAuditVerify(c, r) },
  'flags evaluate': 'local',
  ...Object.fromEntries(
    ['list', 'get', 'history', 'set', 'rollout', 'kill', 'import', 'diff'].map((sub) => [
      `flags ${sub}`,
      {
        remote: (c: Context, r: ApiClient, args: readonly unknown[]) =>
          (FLAG_COMMANDS[sub] as NonNullable<(typeof FLAG_COMMANDS)[string]>)(
            c,
            remoteFlagService(r.http),
            args,
          ),
      },
    ]),
  ),
  postmortem: { remote: (c, r, [id]) => remotePostmortem(c, r, id as string) },
  ...each(
    ['notifications list', 'notifications deliver'],
    local("the queue is in the server's store and the server delivers it itself"),
  ),
  'metrics dora': { remote: (c, r, [o]) => remoteDora(c, r, o as DoraOptions) },
  'audit export': { remote: (c, r, [o]) => remoteAuditExport(c, r, o as { out?: string }) },
};

/**
 * The action to run instead of the local one, or undefined to run the local one. Throws for a
 * command that refuses, and for one this table forgot (a bug, caught by its test).
 */
export function remoteAction(
  path: string,
  client: () => ApiClient | undefined,
): ((c: Context, args: readonly unknown[]) => Promise<number>) | undefined {
  const mode = REMOTE_MODES[path];
  if (mode === 'local') return undefined;
  const r = client();
  if (!r) return undefined;
  if (mode === undefined) throw new Error(`no remote mode for "slipway ${path}" in remote-dispatch.ts`);
  if ('refuse' in mode) throw new AppError('LOCAL_ONLY', `slipway ${path} is ${mode.refuse}`);
  return (c, args) => mode.remote(c, r, args);
}
