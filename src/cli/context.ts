/**
 * What every command gets: where the config is, how to open the store, who the user is, and the
 * output. Built once per invocation in main.ts; commands never reach for globals themselves.
 */
import { dirname, resolve } from 'node:path';
import { lazyProjectSecrets } from '../app/secrets.ts';
import { requireConfig } from '../config/load.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { isAppError } from '../domain/errors.ts';
import { closeFleetPlanes } from '../fleet/routing.ts';
import type { SecretStore } from '../secrets/contract.ts';
import { Redactor } from '../secrets/redact.ts';
import type { Store } from '../store/contract.ts';
import { describeTarget, openStore, type StoreTarget, storeTarget } from '../store/factory.ts';
import { type LocalIdentity, resolveLocalIdentity } from './identity.ts';
import type { Io } from './io.ts';
import { type ApiClient, remoteFromEnv } from './remote.ts';

export interface GlobalOptions {
  readonly file: string;
  readonly store?: string;
  readonly json: boolean;
}

export interface Context {
  readonly io: Io;
  readonly cwd: string;
  readonly options: GlobalOptions;
  /** The user acting: the OS user, or SLIPWAY_USER where slipway.yaml allows it (identity.ts). */
  readonly user: string;
  /** The acting user and how it was established, recorded with every decision. */
  identity(): LocalIdentity;
  /** The folder holding the config; relative paths in it and `.slipway/` are resolved from here. */
  projectDir(): string;
  /** The project's state folder (`.slipway/` beside the config). */
  dataDir(): string;
  config(): { config: SlipwayConfig; lifecycle: readonly string[] };
  /**
   * The slipway server to talk to (SLIPWAY_URL + SLIPWAY_TOKEN), or undefined to work locally.
   * Commands that support a server check this first and leave their local path unchanged.
   */
  remote(): ApiClient | undefined;
  /** Opens the store once; main.ts closes it after the command. */
  store(): Promise<Store>;
  /** The secret store named in slipway.yaml, opened on first use; main.ts closes it. */
  secrets(): SecretStore;
  /** Where `--from-stdin` reads. */
  readonly stdin: NodeJS.ReadableStream;
  /** Teach the redactor secret values this command has seen, so no error or output shows them. */
  remember(values: Readonly<Record<string, string>> | ReadonlyMap<string, string>): void;
  /** Hide every remembered value (and credential-named assignments) in text. */
  redact(text: string): string;
  close(): Promise<void>;
}

export function createContext(
  io: Io,
  cwd: string,
  options: GlobalOptions,
  stdin: NodeJS.ReadableStream = process.stdin,
): Context {
  let store: Promise<Store> | undefined;
  let secrets: SecretStore | undefined;
  const known = new Map<string, string>();
  let redactor = new Redactor(known);
  const configFile = resolve(cwd, options.file);
  const projectDir = () => dirname(configFile);
  let identity: LocalIdentity | undefined;
  const resolveIdentity = () => {
    identity ??= resolveLocalIdentity(process.env, () => {
      try {
        return requireConfig(configFile, options.file).config;
      } catch (error) {
        if (isAppError(error) && error.code === 'FILE_NOT_FOUND') return null;
        throw error;
      }
    });
    return identity;
  };
  return {
    io,
    cwd,
    options,
    get user() {
      return resolveIdentity().name;
    },
    identity: resolveIdentity,
    projectDir,
    dataDir: () => resolve(projectDir(), '.slipway'),
    config: () => requireConfig(configFile, options.file),
    remote: () => remoteFromEnv(process.env),
    store() {
      store ??= openStore(storeUrl(options), projectDir(), {
        dataDir: resolve(projectDir(), '.slipway'),
      });
      return store;
    },
    secrets() {
      secrets ??= lazyProjectSecrets(requireConfig(configFile, options.file).config, projectDir());
      return secrets;
    },
    stdin,
    remember(values) {
      const entries = values instanceof Map ? [...values] : Object.entries(values);
      for (const [key, value] of entries) known.set(known.has(key) ? `${key}#${known.size}` : key, value);
      redactor = new Redactor(known);
    },
    redact: (text) => redactor.redact(text),
    async close() {
      if (store) await (await store.catch(() => undefined))?.close();
      await secrets?.close().catch(() => undefined);
      await closeFleetPlanes();
    },
  };
}

/** The store named by --store, else SLIPWAY_STORE, else undefined (the default SQLite file). */
export const storeUrl = (options: GlobalOptions): string | undefined =>
  options.store ?? process.env.SLIPWAY_STORE;

/** The store this command uses: what it is, its key in the project marker, and how to name it. */
export function storeDescription(c: Context): { target: StoreTarget; key: string; shown: string } {
  const target = storeTarget(storeUrl(c.options), c.projectDir());
  return { target, ...describeTarget(target, c.projectDir()) };
}

/** Wraps a command's action so that the exit code it returns reaches main. */
export type Act = <A extends unknown[]>(
  fn: (...args: A) => number | Promise<number>,
) => (...args: A) => Promise<void>;
