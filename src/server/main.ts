/**
 * `slipway server`: the API on a port, the engine in the same process. On start it resumes every
 * deployment that was in flight; on stop it leaves them in flight for the next server.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createAdaptorServer } from '@hono/node-server';
import type { App } from '../app/compose.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import type { Store } from '../store/contract.ts';
import { ensureDashboard } from '../web/build.ts';
import { createServerApp, type ServerAppOptions } from './app.ts';
import { DenialLog } from './auth/denial-log.ts';
import { SignInGuard } from './auth/sign-in-guard.ts';
import { Leadership, type LeadershipOptions, serverName } from './leadership.ts';
import { DeploymentRunner } from './runner.ts';

export interface StartServerOptions extends Omit<ServerAppOptions, 'runner'> {
  readonly store: Store;
  readonly config: SlipwayConfig | null;
  /** The application core (src/app/compose.ts) over the same store and config. */
  readonly app: App;
  /** 0 picks a free port. Loopback unless `host` says otherwise. */
  readonly port: number;
  readonly host?: string;
  /** Resume in-flight deployments on start (default true). */
  readonly resume?: boolean;
  /** Drive a deployment after resume, abort or rollback unless another process does (default true). */
  readonly driveOnAction?: boolean;
  /** Serve the dashboard, building it first when missing or stale (default true). */
  readonly dashboard?: boolean;
  /**
   * How long a request body may stall (no byte arriving) before the connection is closed; default
   * 15 s. The head has its own limit (HEAD_TIMEOUT_MS).
   */
  readonly bodyTimeoutMs?: number;
  /**
   * Take part in leadership (src/server/leadership.ts): drive deployments only while leading.
   * `slipway server` always does; without it this server drives as if it were the only one.
   */
  readonly leadership?: LeadershipOptions;
}

/** A request head (line and headers) must arrive within this. */
export const HEAD_TIMEOUT_MS = 10_000;
export const DEFAULT_BODY_TIMEOUT_MS = 15_000;

export interface RunningServer {
  readonly url: string;
  readonly runner: DeploymentRunner;
  /** Ids of the deployments resumed on start. */
  readonly resumed: readonly string[];
  /** Present with `leadership`: this server's role now. */
  readonly leadership?: Leadership;
  close(): Promise<void>;
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const log = options.log ?? (() => {});
  const name = options.leadership?.name ?? `${hostname()}:${process.pid}`;
  let leadership: Leadership | undefined;
  const runner = new DeploymentRunner({
    app: options.app,
    ...(options.log && { log: options.log }),
    ...(options.driveOnAction !== undefined && { driveOnAction: options.driveOnAction }),
    ...(options.leadership && {
      server: { name, leading: () => leadership?.leading === true },
    }),
  });
  let resumed: readonly string[] = [];
  let adopt: NodeJS.Timeout | undefined;
  if (options.leadership) {
    const resume = options.resume !== false;
    leadership = new Leadership({
      ...options.leadership,
      name,
      store: options.store,
      log,
      onLead: async (from) => {
        const ids = await runner.lead(from, from && serverName(from));
        if (resume) resumed = ids;
      },
      onFollow: () => runner.follow(),
    });
    // Refused here, before listening, when another server owns a SQLite store.
    await leadership.start();
    // The leader picks up what followers stored (a deploy started through them) and what it lost.
    if (resume)
      adopt = setInterval(() => {
        if (leadership?.leading) runner.resumeInFlight().catch(() => undefined);
      }, options.leadership.pollMs ?? 1000);
  }
  const webDir = options.dashboard === false ? null : await ensureDashboard(options.log);
  const denials = new DenialLog(options.store, { ...(options.log && { log: options.log }) });
  const app = createServerApp({
    ...options,
    runner,
    webDir,
    signInGuard: new SignInGuard(),
    denials,
    ...(leadership && { leaderView: () => (leadership as Leadership).view }),
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  limitRequestTime(server, options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new AppError(
          'USAGE',
          `cannot listen on ${host}:${options.port}: ${error.code === 'EADDRINUSE' ? 'the port is in use; pick another with --port' : error.message}`,
        ),
      ),
    );
    server.listen(options.port, host, () => resolve());
  }).catch(async (error) => {
    clearInterval(adopt);
    await runner.close();
    await leadership?.close();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  if (!leadership && options.resume !== false) resumed = await runner.resumeInFlight();
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    runner,
    resumed,
    ...(leadership && { leadership }),
    async close() {
      clearInterval(adopt);
      await runner.close();
      await leadership?.close();
      await denials.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Event streams stay open by design; end them so close does not wait forever.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

/**
 * A slow or stalled client may not hold a connection: the head must arrive within
 * HEAD_TIMEOUT_MS, and a body may not pause longer than `bodyMs` between bytes (an idle limit,
 * not a total one, so a large upload over a slow link still goes through). Once the body is in,
 * the limit is lifted: an event stream's response may stay quiet for long.
 */
function limitRequestTime(server: Server, bodyMs: number): void {
  server.headersTimeout = HEAD_TIMEOUT_MS;
  server.on('request', (req, res) => {
    const hasBody =
      req.headers['transfer-encoding'] !== undefined ||
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    if (!hasBody || req.complete) return;
    const socket = req.socket;
    const stalled = () => socket.destroy();
    socket.setTimeout(bodyMs, stalled);
    const lift = () => socket.setTimeout(0).off('timeout', stalled);
    req.once('end', lift);
    res.once('finish', lift);
    res.once('close', lift);
  });
}
