/**
 * `slipway server`: the API on a port, the engine in the same process. On start it resumes every
 * deployment that was in flight; on stop it leaves them in flight for the next server.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { App } from '../app/compose.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import type { Store } from '../store/contract.ts';
import { ensureDashboard } from '../web/build.ts';
import { createServerApp, type ServerAppOptions } from './app.ts';
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
}

export interface RunningServer {
  readonly url: string;
  readonly runner: DeploymentRunner;
  /** Ids of the deployments resumed on start. */
  readonly resumed: readonly string[];
  close(): Promise<void>;
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const runner = new DeploymentRunner({
    app: options.app,
    ...(options.log && { log: options.log }),
    ...(options.driveOnAction !== undefined && { driveOnAction: options.driveOnAction }),
  });
  const webDir = options.dashboard === false ? null : await ensureDashboard(options.log);
  const app = createServerApp({ ...options, runner, webDir });
  const server = createAdaptorServer({ fetch: app.fetch });
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
  });
  const { port } = server.address() as AddressInfo;
  const resumed = options.resume === false ? [] : await runner.resumeInFlight();
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    runner,
    resumed,
    async close() {
      await runner.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Event streams stay open by design; end them so close does not wait forever.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
