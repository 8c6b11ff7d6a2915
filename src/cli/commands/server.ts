/**
 * `slipway server`: the control plane's HTTP API in the foreground, with the engine inside it.
 * `--init` creates the first admin and writes its token to a 0600 file, printing only the path.
 */

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { createApp } from '../../app/compose.ts';
import { connectAgent } from '../../app/engine.ts';
import { noProjectSecrets } from '../../app/secrets.ts';
import type { SlipwayConfig } from '../../config/schema.ts';
import { AppError, isAppError } from '../../domain/errors.ts';
import { startHostReconciler } from '../../fleet/reconciler.ts';
import { withFleets } from '../../fleet/routing.ts';
import { createLogger } from '../../observe/log.ts';
import { grantUsers } from '../../server/auth/grant-users.ts';
import { issueToken } from '../../server/auth/tokens.ts';
import type { Store } from '../../store/contract.ts';
import { duration, port } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { projectDispatcher } from './notifications.ts';

export const DEFAULT_SERVER_PORT = 7300;

/** Where `server --init` leaves the first admin token, in the project's `.slipway/`. */
export const INIT_TOKEN_FILE = 'first-admin-token';

/**
 * The first admin: refused once any token exists (more come from `slipway token create`). The
 * secret goes to `file`, created new with mode 0600; if it cannot be written the token is revoked.
 */
export async function initAdmin(store: Store, by: string, file: string): Promise<{ id: string }> {
  if ((await store.listTokens()).length > 0)
    throw new AppError(
      'INIT_EXISTS',
      'this store already has API tokens; create more with `slipway token create --user NAME`',
    );
  if (existsSync(file))
    throw new AppError(
      'INIT_EXISTS',
      `${file} already exists (an earlier --init?); move it away or delete it, then run --init again`,
    );
  await store.putUser('admin', by);
  await store.setGrant({ user: 'admin', env: '*', role: 'admin' }, true);
  const { token, secret } = await issueToken(store, {
    user: 'admin',
    name: 'first admin (server --init)',
    expiresInDays: 90,
    by,
  });
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${secret}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    await store.revokeToken(token.id);
    throw new AppError(
      'FILE_NOT_WRITABLE',
      `cannot write the first admin token to ${file}: ${(error as Error).message}; the token was revoked, fix the folder and run --init again`,
    );
  }
  return { id: token.id };
}

interface ServerOptions {
  readonly port: string;
  readonly host: string;
  readonly init?: boolean;
  readonly secureCookies?: boolean;
  readonly maxUpload: string;
  readonly bodyTimeout?: number;
  readonly reconcileHosts?: number;
  readonly name?: string;
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** A byte size: a number with an optional unit (B, KB, MB, GB, KiB, MiB, GiB). */
export function parseSize(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = UNITS[m?.[2]?.toLowerCase() ?? 'x'];
  const bytes = m && unit ? Math.floor(Number(m[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1)
    throw new AppError(
      'USAGE',
      `${flag}: expected a size such as 500MB, 2GiB or a number of bytes, found ${JSON.stringify(text)}`,
    );
  return bytes;
}

function loadConfig(c: Context): SlipwayConfig | null {
  try {
    return c.config().config;
  } catch (error) {
    // Without a slipway.yaml the server still serves history and overview; deploys say why not.
    if (isAppError(error) && error.code === 'FILE_NOT_FOUND') return null;
    throw error;
  }
}

export function registerServer(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('server')
    .description(
      'Run the control plane: the HTTP API (OpenAPI at /openapi.json) with live events, driving deployments; resumes those in flight.',
    )
    .option(
      '--port <n>',
      `port on 127.0.0.1 (default ${DEFAULT_SERVER_PORT}; 0 picks a free one)`,
      port('--port', true),
      DEFAULT_SERVER_PORT,
    )
    .option(
      '--host <address>',
      'address to listen on (default 127.0.0.1; put TLS in front for others)',
      '127.0.0.1',
    )
    .option(
      '--init',
      'create the first admin user; its API token goes to .slipway/first-admin-token (0600), only the path is printed',
    )
    .option('--secure-cookies', 'mark the dashboard session cookie Secure (serve it behind HTTPS)')
    .option('--max-upload <size>', 'largest release upload accepted, e.g. 500MB or 2GiB', '1GiB')
    .option(
      '--body-timeout <duration>',
      'close a connection whose request body stalls this long (default 15s)',
      duration('--body-timeout'),
    )
    .option(
      '--reconcile-hosts <duration>',
      'how often the leader gives hosts that came back (environments with hosts:) their desired state (default 10s)',
      duration('--reconcile-hosts'),
    )
    .option(
      '--name <name>',
      'name this server in logs, /api/health and deployment timelines (default host:pid); several servers on one PostgreSQL store elect one leader',
    )
    .action(
      act(async (opts: ServerOptions) => {
        const c = ctx();
        const maxUploadBytes = parseSize('--max-upload', opts.maxUpload);
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new AppError(
            'USAGE',
            `--port: expected a port from 0 to 65535, found ${JSON.stringify(opts.port)}`,
          );
        const store = await c.store();
        const config = loadConfig(c);
        if (opts.init) {
          // Never on stdout: a server's output ends up in journals and CI logs.
          const file = join(c.dataDir(), INIT_TOKEN_FILE);
          const { id } = await initAdmin(store, c.user, file);
          c.io.out(
            `created user admin with token ${id}; its secret is in ${file} (mode 0600): read it once, keep it somewhere safe, then delete the file`,
          );
        }
        const logger = createLogger({
          name: 'server',
          redact: (line) => c.redact(line),
          stream: { write: (text: string) => c.io.err(text.trimEnd()), isTTY: process.stderr.isTTY },
        });
        // The server's log lines are few: problems (a failed request or deployment) and the dashboard build.
        const log = (line: string) => (/fail|error/i.test(line) ? logger.error(line) : logger.info(line));
        // Every project path (.env files, stored values, the local secret store, the agent) resolves
        // from the folder of the config given with -f, wherever the server was started.
        // One data plane for the engine and the host reconciler: a fleet plane keeps the desired state it applied.
        const plane = withFleets(
          connectAgent(c.dataDir()),
          config ?? undefined,
          c.projectDir(),
          c.dataDir(),
          () => c.secrets(),
        );
        const app = createApp({
          config,
          projectDir: c.projectDir(),
          dataDir: c.dataDir(),
          store,
          secrets: config ? c.secrets() : noProjectSecrets(),
          agent: () => plane,
          // The approval gate counts the server's grants, as the API does (grant-users.ts).
          users: grantUsers(store, config),
          log,
        });
        // The HTTP stack (hono, prom-client, the routes) loads for this command only.
        const { startServer } = await import('../../server/main.ts');
        const running = await startServer({
          store,
          config,
          app,
          dataDir: c.dataDir(),
          port,
          host: opts.host,
          secureCookies: opts.secureCookies === true,
          maxUploadBytes,
          log,
          ...(opts.bodyTimeout !== undefined && { bodyTimeoutMs: opts.bodyTimeout }),
          // Only the leader drives deployments (src/server/leadership.ts).
          leadership: { ...(opts.name && { name: opts.name }) },
        });
        // Notifications are sent beside the API; deployments only queue them.
        const notifications = config?.notifications?.length
          ? projectDispatcher(config, store, () => c.secrets(), {
              log: (line, fields) => logger.info(fields ?? {}, line),
            })
          : undefined;
        notifications?.start();
        // A host that comes back after a deployment went on without it is given the desired state.
        const hosts = config
          ? startHostReconciler({
              app: config.app,
              plane,
              store,
              leading: () => running.leadership?.leading !== false,
              ...(opts.reconcileHosts !== undefined && { intervalMs: opts.reconcileHosts }),
              log: (line) => logger.info(line),
            })
          : undefined;
        if (running.resumed.length)
          c.io.out(`resumed ${running.resumed.length} deployment(s): ${running.resumed.join(', ')}`);
        // Printed last: scripts and tests wait for this line.
        c.io.out(`slipway server: API on ${running.url} (OpenAPI at ${running.url}/openapi.json)`);
        await new Promise<void>((done) => {
          process.once('SIGTERM', done);
          process.once('SIGINT', done);
        });
        c.io.out('slipway server: stopping; deployments in flight resume with the next server');
        await notifications?.stop();
        await hosts?.stop();
        await running.close();
        return 0;
      }),
    );
}
