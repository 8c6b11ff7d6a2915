/**
 * What every command gets: where the config is, how to open the store, who the user is, and the
 * output. Built once per invocation in main.ts; commands never reach for globals themselves.
 */
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { lazyProjectSecrets } from '../app/secrets.ts';
import { requireConfig } from '../config/load.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import type { SecretStore } from '../secrets/contract.ts';
import { Redactor } from '../secrets/redact.ts';
import type { Store } from '../store/contract.ts';
import { describeTarget, openStore, type StoreTarget, storeTarget } from '../store/factory.ts';
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
  /** The user acting: SLIPWAY_USER, else the OS user. */
  readonly user: string;
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
  return {
    io,
    cwd,
    options,
    user: process.env.SLIPWAY_USER || safeUser(),
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

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Wraps a command's action so that the exit code it returns reaches main. */
export type Act = <A extends unknown[]>(
  fn: (...args: A) => number | Promise<number>,
) => (...args: A) => Promise<void>;
