/**
 * One SSH connection per host (ssh2, the maintained pure-JS client dockerode uses too): commands
 * and the agent's tunnel share it. The host key is checked against the project's known_hosts
 * before any credential is sent; errors name the host and what to check. A host behind a jump host
 * is reached through a `direct-tcpip` channel of the jump host's connection (its key pinned too);
 * hosts behind the same jump host share that one connection.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type ssh2 from 'ssh2';
import { AppError } from '../domain/errors.ts';
import { lazyRequire } from '../runtime/lazy-require.ts';
import { fingerprint, type KnownHosts, knownHostName } from './known-hosts.ts';

/** ssh2, loaded when a command reaches a host (not at every command's start). */
const loadSsh2 = lazyRequire<typeof ssh2>('ssh2');

export interface SshTarget {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Absolute path of the private key file; default the SSH agent, then ~/.ssh/id_ed25519 or id_rsa. */
  readonly key?: string | undefined;
  /** The private key itself (read from the secret store); wins over `key`. Never logged. */
  readonly privateKey?: Buffer | undefined;
  /** Where the secret-store key came from, for messages (`secret NAME of ENV`). */
  readonly keySource?: string | undefined;
  /** The host this one is reached through (ProxyJump). */
  readonly jump?: SshTarget | undefined;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SshSession {
  readonly target: SshTarget;
  /** The host key the server presented (raw blob). */
  readonly hostKey: Buffer;
  /** The jump host's key, when reached through one. */
  readonly jumpHostKey?: Buffer | undefined;
  /** Runs a shell command on the host; `input` is its stdin. Rejects only when the channel fails. */
  exec(command: string, options?: { input?: Buffer | Readable; timeoutMs?: number }): Promise<ExecResult>;
  /** Like exec, but a non-zero exit is an error naming the host and what ran. */
  run(command: string, options?: { input?: Buffer | Readable; timeoutMs?: number }): Promise<string>;
  /** A local port forward to `host:port` as seen from the remote host; its address on 127.0.0.1. */
  forward(host: string, port: number): Promise<{ readonly port: number; close(): Promise<void> }>;
  close(): void;
}

/** `verify`: the key must be pinned already. `trust`: an unpinned key is accepted (and returned). */
export type HostKeyPolicy = 'verify' | 'trust';

const name = (t: SshTarget) => `${t.user}@${knownHostName(t.address, t.port)}`;

function credentials(target: SshTarget): { privateKey?: Buffer; agent?: string } {
  if (target.privateKey !== undefined) return { privateKey: target.privateKey };
  if (target.key !== undefined) {
    try {
      return { privateKey: readFileSync(target.key) };
    } catch {
      throw new AppError(
        'FILE_NOT_FOUND',
        `host ${target.address}: the key file ${target.key} cannot be read; check hosts[].key in slipway.yaml`,
      );
    }
  }
  if (process.env.SSH_AUTH_SOCK) return { agent: process.env.SSH_AUTH_SOCK };
  for (const file of ['id_ed25519', 'id_rsa']) {
    const path = join(homedir(), '.ssh', file);
    if (existsSync(path)) return { privateKey: readFileSync(path) };
  }
  throw new AppError(
    'HOST_UNREACHABLE',
    `host ${target.address}: no SSH key: set hosts[].key in slipway.yaml, or start an SSH agent (SSH_AUTH_SOCK)`,
  );
}

/** Opens the connection; the host key is checked before authentication (the jump host's first). */
export async function connect(
  target: SshTarget,
  knownHosts: KnownHosts,
  policy: HostKeyPolicy = 'verify',
  timeoutMs = 10_000,
): Promise<SshSession> {
  if (target.jump === undefined) {
    const { client, hostKey } = await open(target, knownHosts, policy, timeoutMs);
    return session(client, target, hostKey);
  }
  const jump = await jumpConnection(target.jump, knownHosts, policy, timeoutMs);
  try {
    const sock = await new Promise<ssh2.ClientChannel>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)),
        timeoutMs,
      );
      jump.client.forwardOut('127.0.0.1', 0, target.address, target.port, (error, channel) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(channel);
      });
    }).catch((error: Error) => {
      throw new AppError(
        'HOST_UNREACHABLE',
        `host ${target.address}: the jump host ${target.jump?.address} cannot reach ${knownHostName(target.address, target.port)} (${error.message}); check hosts[].address and hosts[].port as the jump host sees them`,
      );
    });
    const { client, hostKey } = await open(target, knownHosts, policy, timeoutMs, sock);
    const inner = session(client, target, hostKey, jump.hostKey);
    return {
      ...inner,
      close: () => {
        inner.close();
        jump.release();
      },
    };
  } catch (error) {
    jump.release();
    throw error;
  }
}

interface SharedJump {
  readonly client: ssh2.Client;
  readonly hostKey: Buffer;
  release(): void;
}

/** Open jump connections by user@host:port, shared by the hosts behind them (closed with the last one). */
const jumps = new Map<
  string,
  { opening: Promise<{ client: ssh2.Client; hostKey: Buffer }>; users: number }
>();

async function jumpConnection(
  target: SshTarget,
  knownHosts: KnownHosts,
  policy: HostKeyPolicy,
  timeoutMs: number,
): Promise<SharedJump> {
  const id = `${name(target)}/${policy}`;
  let entry = jumps.get(id);
  if (entry === undefined) {
    const opening = open(target, knownHosts, policy, timeoutMs).catch((error: AppError) => {
      jumps.delete(id);
      throw new AppError(error.code, `jump host: ${error.message}`);
    });
    entry = { opening, users: 0 };
    jumps.set(id, entry);
  }
  entry.users++;
  const current = entry;
  const release = () => {
    if (--current.users > 0) return;
    if (jumps.get(id) === current) jumps.delete(id);
    void current.opening
      .then((j) => {
        j.client.end();
        setTimeout(() => dropSocket(j.client), 2_000).unref();
      })
      .catch(() => {});
  };
  try {
    const { client, hostKey } = await current.opening;
    return { client, hostKey, release };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * Destroys the client's TCP socket. ssh2's own `destroy()` skips a socket it has already ended, and
 * an ended socket to a host that is cut off stays open (FIN-WAIT-1) until TCP gives up, holding the
 * command's event loop for minutes.
 */
function dropSocket(client: ssh2.Client): void {
  (client as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
}

function open(
  target: SshTarget,
  knownHosts: KnownHosts,
  policy: HostKeyPolicy,
  timeoutMs: number,
  sock?: ssh2.ClientChannel,
): Promise<{ client: ssh2.Client; hostKey: Buffer }> {
  const creds = credentials(target);
  return new Promise((resolve, reject) => {
    const client = new (loadSsh2().Client)();
    let presented: Buffer | undefined;
    let refusal: AppError | undefined;
    client.on('error', (error: Error & { code?: string; level?: string }) => {
      client.end();
      reject(refusal ?? connectError(target, error));
    });
    client.on('ready', () => resolve({ client, hostKey: presented as Buffer }));
    client.connect({
      host: target.address,
      port: target.port,
      ...(sock !== undefined && { sock }),
      username: target.user,
      ...creds,
      readyTimeout: timeoutMs,
      keepaliveInterval: 5_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        presented = Buffer.from(key);
        const pinned = knownHosts.get(target.address, target.port);
        if (pinned?.blob.equals(presented)) return true;
        if (pinned !== undefined) {
          refusal = new AppError(
            'HOST_KEY_REFUSED',
            `host ${target.address}: its SSH key changed — now ${fingerprint(presented)}, pinned ${fingerprint(pinned.blob)}. If the host was rebuilt on purpose, check the new fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) and remove its line from .slipway/known_hosts, then run \`slipway hosts trust ENV\`; otherwise do not connect`,
          );
          return false;
        }
        if (policy === 'trust') return true;
        refusal = new AppError(
          'HOST_KEY_REFUSED',
          `host ${target.address}: its SSH key (${fingerprint(presented)}) is not pinned; run \`slipway hosts trust ENV\` first`,
        );
        return false;
      },
    });
  });
}

function connectError(target: SshTarget, error: Error & { code?: string; level?: string }): AppError {
  const where = name(target);
  const code = error.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new AppError(
      'HOST_UNREACHABLE',
      `host ${target.address}: the name is not found (DNS); check hosts[].address`,
    );
  if (code === 'ECONNREFUSED')
    return new AppError(
      'HOST_UNREACHABLE',
      `host ${target.address}: port ${target.port} refused the SSH connection; check that sshd runs there and hosts[].port`,
    );
  if (error.level === 'client-authentication')
    return new AppError(
      'HOST_UNREACHABLE',
      `host ${target.address}: ${where} refused the key (${target.keySource ?? target.key ?? (process.env.SSH_AUTH_SOCK ? 'the SSH agent' : '~/.ssh')}); check hosts[].user (${target.user}) and that the key's public half is in that user's ~/.ssh/authorized_keys on the host`,
    );
  if (/timed out/i.test(error.message) || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH')
    return new AppError(
      'HOST_UNREACHABLE',
      `host ${target.address}: no SSH answer from ${where} (${error.message}); check the address, the network and the firewall`,
    );
  return new AppError('HOST_UNREACHABLE', `host ${target.address}: SSH to ${where} failed: ${error.message}`);
}

function session(client: ssh2.Client, target: SshTarget, hostKey: Buffer, jumpHostKey?: Buffer): SshSession {
  const servers = new Set<Server>();
  const exec: SshSession['exec'] = (command, options = {}) =>
    new Promise((resolve, reject) => {
      client.exec(command, (error, stream) => {
        if (error)
          return reject(new AppError('HOST_UNREACHABLE', `host ${target.address}: ${error.message}`));
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const timer = setTimeout(() => {
          stream.close();
          reject(new AppError('HOST_UNREACHABLE', `host ${target.address}: \`${command}\` took too long`));
        }, options.timeoutMs ?? 120_000);
        stream.on('data', (b: Buffer) => out.push(b));
        stream.stderr.on('data', (b: Buffer) => err.push(b));
        stream.on('close', (code: number | null) => {
          clearTimeout(timer);
          resolve({
            code: code ?? 255,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
          });
        });
        if (options.input instanceof Readable) options.input.pipe(stream);
        else stream.end(options.input);
      });
    });
  return {
    target,
    hostKey,
    jumpHostKey,
    exec,
    async run(command, options) {
      const result = await exec(command, options);
      if (result.code !== 0)
        throw new AppError(
          'HOST_DEPLOY_FAILED',
          `host ${target.address}: \`${command.split(' ')[0]}…\` exited ${result.code}: ${(result.stderr || result.stdout).trim().slice(-400)}`,
        );
      return result.stdout;
    },
    forward(host, port) {
      const sockets = new Set<Socket>();
      const server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => {
          if (error) return socket.destroy();
          socket.pipe(channel).pipe(socket);
          socket.on('error', () => channel.close());
          channel.on('error', () => socket.destroy());
        });
      });
      servers.add(server);
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          const address = server.address();
          resolve({
            port: typeof address === 'object' && address ? address.port : 0,
            close: () =>
              new Promise<void>((done) => {
                servers.delete(server);
                // Kept-alive client connections would hold the server open: end them.
                for (const socket of sockets) socket.destroy();
                server.close(() => done());
              }),
          });
        });
      });
    },
    close() {
      for (const server of servers) server.close();
      client.end();
      // A host cut off never acknowledges the goodbye: drop the socket after a moment, or it would
      // keep the command alive until TCP gives up (minutes).
      setTimeout(() => dropSocket(client), 2_000).unref();
    },
  };
}
