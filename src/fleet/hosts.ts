/**
 * An environment's hosts as slipway.yaml describes them, resolved for connecting: key paths made
 * absolute, defaults filled in; and the record of when each host was last reached.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { EnvironmentConfig, FleetHostConfig, SlipwayConfig } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import type { SecretStore } from '../secrets/contract.ts';
import { KnownHosts } from './known-hosts.ts';
import { connect, type HostKeyPolicy, type SshSession, type SshTarget } from './ssh.ts';

export interface FleetHost extends SshTarget {
  readonly roles: readonly string[];
  /** Instances of the app on this host. */
  readonly instances: number;
  /** The host's folder for this app (relative: under the SSH user's home). */
  readonly dir: string;
  /** The command that runs slipway on the host. */
  readonly agent: string;
  /** The secret of this environment holding the SSH private key (read by `withSecretKeys`). */
  readonly keySecret?: string;
}

export interface Fleet {
  readonly env: string;
  readonly hosts: readonly FleetHost[];
  readonly knownHosts: KnownHosts;
  readonly dataDir: string;
}

export function knownHostsFile(dataDir: string): string {
  return join(dataDir, 'known_hosts');
}

/** The hosts of `env`; an environment without hosts is a usage error naming the fix. */
export function fleetOf(config: SlipwayConfig, env: string, projectDir: string, dataDir: string): Fleet {
  const environment = config.environments[env] as EnvironmentConfig | undefined;
  if (environment === undefined) throw new AppError('ENV_NOT_FOUND', `no environment ${env} in slipway.yaml`);
  if (environment.hosts === undefined)
    throw new AppError(
      'USAGE',
      `environment ${env} lists no hosts; add environments.${env}.hosts to slipway.yaml (address, user, port) to run it on other machines`,
    );
  const instances = environment.instances ?? config.run.instances;
  const hosts = environment.hosts.map(
    (h: FleetHostConfig): FleetHost => ({
      address: h.address,
      port: h.port,
      user: h.user,
      ...(h.key !== undefined && { key: isAbsolute(h.key) ? h.key : resolve(projectDir, h.key) }),
      ...(h.keySecret !== undefined && { keySecret: h.keySecret }),
      ...(h.jump !== undefined && {
        jump: {
          address: h.jump.address,
          port: h.jump.port,
          user: h.jump.user,
          ...(h.jump.key !== undefined && {
            key: isAbsolute(h.jump.key) ? h.jump.key : resolve(projectDir, h.jump.key),
          }),
        },
      }),
      roles: h.roles ?? [],
      instances: h.instances ?? instances,
      // Commands quote the folder, so `~/` would not expand: a relative folder is under the home already.
      dir: h.dir?.replace(/^~\//, '') ?? `.slipway-host/${config.app}`,
      agent: h.agent ?? 'slipway',
    }),
  );
  return { env, hosts, knownHosts: new KnownHosts(knownHostsFile(dataDir)), dataDir };
}

/**
 * The fleet with each `keySecret` read from the secret store into the host's `privateKey` (kept
 * in memory only). A missing secret is named with the command that stores it.
 */
export async function withSecretKeys(fleet: Fleet, secrets: () => SecretStore): Promise<Fleet> {
  if (!fleet.hosts.some((h) => h.keySecret !== undefined)) return fleet;
  const store = secrets();
  const hosts = await Promise.all(
    fleet.hosts.map(async (h) => {
      if (h.keySecret === undefined) return h;
      const value = await store.get(fleet.env, h.keySecret);
      if (value === undefined)
        throw new AppError(
          'SECRET_NOT_FOUND',
          `host ${h.address}: hosts[].keySecret names ${h.keySecret}, which the ${store.name} secret store does not hold for ${fleet.env}; store the key with \`slipway secret set ${fleet.env} ${h.keySecret} --from-stdin < PRIVATE_KEY_FILE\``,
        );
      return {
        ...h,
        privateKey: Buffer.from(value.endsWith('\n') ? value : `${value}\n`),
        keySource: `secret ${h.keySecret} of ${fleet.env}`,
      };
    }),
  );
  return { ...fleet, hosts };
}

/** Connects to every host at once; if any fails, the others are closed and the first error thrown. */
export async function connectAll(fleet: Fleet, policy: HostKeyPolicy = 'verify'): Promise<SshSession[]> {
  const results = await Promise.allSettled(fleet.hosts.map((h) => connect(h, fleet.knownHosts, policy)));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    for (const r of results) if (r.status === 'fulfilled') r.value.close();
    throw failed.reason;
  }
  const sessions = results.map((r) => (r as PromiseFulfilledResult<SshSession>).value);
  for (const h of fleet.hosts) touchContact(fleet, h.address);
  return sessions;
}

const contactsFile = (fleet: Fleet) => join(fleet.dataDir, 'fleet', fleet.env, 'contacts.json');

/** When each host was last reached over SSH (ISO times), from `.slipway/fleet/<env>/contacts.json`. */
export function lastContacts(fleet: Fleet): Record<string, string> {
  try {
    return JSON.parse(readFileSync(contactsFile(fleet), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

export function touchContact(fleet: Fleet, address: string, at = new Date()): void {
  const file = contactsFile(fleet);
  const contacts = { ...lastContacts(fleet), [address]: at.toISOString() };
  mkdirSync(join(fleet.dataDir, 'fleet', fleet.env), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(contacts, null, 2));
  renameSync(`${file}.tmp`, file);
}
