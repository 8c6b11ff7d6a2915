/**
 * The agent's desired state: per environment, the releases to run (with their instance specs),
 * their weights and the listener. It is the body of `PUT /v1/envs/:env` (validated with zod) and
 * is kept in `<stateDir>/agent-state.json`, written atomically, so that the agent serves the last
 * desired state after a restart without the control plane.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { DesiredEnv, DesiredRelease, EnvBody } from '../domain/data-plane.ts';
import { AppError } from '../domain/errors.ts';
import type { Instance, InstanceSpec } from '../runtime/contract.ts';
import { OrderedWriter } from '../runtime/ordered-writer.ts';
import { readJson } from '../runtime/process/atomic-json.ts';
import type { SealedRecord } from '../secrets/local/secrets-file.ts';
import type { RouteState } from '../traffic/contract.ts';
import { loadOrCreateStateKey, openVars, sealVars } from './state-seal.ts';

export {
  type DesiredEnv,
  type DesiredRelease,
  type EnvBody,
  type EnvBodyInput,
  envBodySchema,
  envNameSchema,
  parseBody,
  releaseSchema,
  weightsBodySchema,
} from '../domain/data-plane.ts';

/**
 * The desired state as the admin API shows it: secret values left out (their names stay in
 * `secretKeys`). A caller that writes it back gets them kept (`keepSecretValues`).
 */
export function withoutSecretValues(desired: DesiredEnv): DesiredEnv {
  return {
    ...desired,
    releases: desired.releases.map((r) => ({
      ...r,
      vars: Object.fromEntries(Object.entries(r.vars).filter(([key]) => !r.secretKeys?.includes(key))),
    })),
  };
}

/**
 * `body` with each release's secret vars that it names in `secretKeys` but leaves out taken from
 * the same release in `previous`: what lets a caller read the desired state (without secret
 * values) and write it back without ever holding them.
 */
export function keepSecretValues(body: EnvBody, previous: DesiredEnv | undefined): EnvBody {
  if (!previous) return body;
  return {
    ...body,
    releases: body.releases.map((r) => {
      const before = previous.releases.find((p) => p.release === r.release);
      const kept = (r.secretKeys ?? []).filter((key) => !(key in r.vars) && before?.vars[key] !== undefined);
      if (kept.length === 0) return r;
      return {
        ...r,
        vars: { ...r.vars, ...Object.fromEntries(kept.map((key) => [key, before!.vars[key]!])) },
      };
    }),
  };
}

export interface EnvRecord {
  readonly desired: DesiredEnv;
  /** The instances as last seen (pids, ports), for status after a restart and for humans. */
  readonly instances: readonly Instance[];
  readonly updatedAt: string;
}

interface StateFile {
  readonly version: 1;
  readonly envs: Record<string, EnvRecord>;
}

export function instanceSpec(env: string, release: DesiredRelease): InstanceSpec {
  const { weight: _weight, retireAt: _retireAt, secretKeys, ...spec } = release;
  // The process runtime redacts secretVars from its log files; the container runtime mounts secretKeys as files.
  return { ...spec, env, ...(secretKeys && { secretKeys, secretVars: secretKeys }) };
}

export function routeState(desired: DesiredEnv, instances: readonly Instance[]): RouteState {
  const first = desired.releases[0]!;
  return {
    env: desired.env,
    listen: desired.listen,
    releases: desired.releases.map((r) => ({
      release: r.release,
      weight: r.weight,
      backends: instances
        .filter((i) => i.release === r.release)
        .map((i) => ({ id: i.id, host: i.host, port: i.port })),
    })),
    ...(desired.stickiness ? { stickiness: desired.stickiness } : {}),
    ...(desired.previewHeader ? { previewHeader: desired.previewHeader } : {}),
    health: first.health,
  };
}

type StoredRelease = Omit<DesiredRelease, 'vars'> & {
  vars?: Record<string, string>;
  varsSealed?: SealedRecord;
};

/**
 * A state file that is not JSON (or not an object with `envs`) is renamed to
 * `agent-state.json.corrupt-<time>` (kept for inspection, never deleted) and its reason returned.
 */
function setAsideIfCorrupt(path: string): string | undefined {
  let problem: string | undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<StateFile> | null;
    if (
      parsed === null ||
      typeof parsed !== 'object' ||
      typeof parsed.envs !== 'object' ||
      parsed.envs === null
    )
      problem = 'holds no "envs" object';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== undefined) return undefined; // unreadable: readJson says why
    problem = `is not valid JSON (${(error as Error).message})`;
  }
  if (problem === undefined) return undefined;
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(path, aside);
  return `${path} ${problem}; it was moved to ${aside}`;
}

/**
 * The state file; every write replaces it atomically, with each release's vars sealed
 * (state-seal.ts). Reading it (at start) is synchronous; writes run off the event loop (an fsync
 * can take tens of milliseconds on a busy disk, and the builtin router answers on the same loop).
 */
export class AgentStateFile {
  readonly path: string;
  private envs: Record<string, EnvRecord>;
  private readonly key: Buffer;
  private readonly writer: OrderedWriter;
  /**
   * Why the file could not be used, when it was missing or unreadable as JSON: the agent then
   * starts with no desired state, keeps every running instance, and the control plane rebuilds it
   * (`slipway agent rebuild`).
   */
  readonly lost: string | undefined;

  constructor(stateDir: string, key?: Buffer) {
    this.path = join(stateDir, 'agent-state.json');
    this.writer = new OrderedWriter(this.path);
    this.key = key ?? loadOrCreateStateKey(stateDir);
    this.lost = existsSync(this.path) ? setAsideIfCorrupt(this.path) : `${this.path} is missing`;
    const file = readJson<StateFile>(this.path, { version: 1, envs: {} });
    if (file.version !== 1) {
      throw new AppError(
        'RUNTIME_STATE_INVALID',
        `${this.path} has version ${file.version}; this agent reads 1`,
      );
    }
    this.envs = Object.fromEntries(
      Object.entries(file.envs).map(([env, record]) => [env, this.opened(env, record)]),
    );
  }

  private opened(env: string, record: EnvRecord): EnvRecord {
    const releases = (record.desired.releases as readonly StoredRelease[]).map(({ varsSealed, ...r }) => ({
      ...r,
      // Files written before sealing hold plain vars; they are sealed on the next write.
      vars: varsSealed ? openVars(this.key, env, r.release, varsSealed, this.path) : (r.vars ?? {}),
    }));
    return { ...record, desired: { ...record.desired, releases } };
  }

  private sealed(env: string, record: EnvRecord): EnvRecord {
    const releases = record.desired.releases.map(
      ({ vars, ...r }): StoredRelease => ({ ...r, varsSealed: sealVars(this.key, env, r.release, vars) }),
    );
    return { ...record, desired: { ...record.desired, releases: releases as DesiredRelease[] } };
  }

  all(): EnvRecord[] {
    return Object.values(this.envs);
  }

  get(env: string): EnvRecord | undefined {
    return this.envs[env];
  }

  /** Holds `record` now (get() sees it at once); resolves once the file on disk holds it too. */
  put(record: EnvRecord): Promise<void> {
    this.envs = { ...this.envs, [record.desired.env]: record };
    return this.save();
  }

  /** Forgets `env` now; resolves once the file on disk no longer holds it. */
  delete(env: string): Promise<void> {
    const { [env]: _gone, ...rest } = this.envs;
    this.envs = rest;
    return this.save();
  }

  /** Resolves once every write asked for so far has ended (a clean stop waits for it; never rejects). */
  settled(): Promise<void> {
    return this.writer.idle();
  }

  private save(): Promise<void> {
    const current = this.envs;
    // Sealed when the write starts: a state replaced while an earlier write runs is never sealed.
    return this.writer.write(() => {
      const envs = Object.fromEntries(
        Object.entries(current).map(([env, record]) => [env, this.sealed(env, record)]),
      );
      return `${JSON.stringify({ version: 1, envs } satisfies StateFile, null, 2)}\n`;
    });
  }
}
