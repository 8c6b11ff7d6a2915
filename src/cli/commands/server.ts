/**
 * `slipway server`: the control plane's HTTP API in the foreground, with the engine inside it.
 * `--init` creates the first admin and prints its token once.
 */
import type { Command } from 'commander';
import type { SlipwayConfig } from '../../config/schema.ts';
import { AppError, isAppError } from '../../domain/errors.ts';
import { connectAgent, createExecutor } from '../../engine/compose.ts';
import { grantUsers } from '../../server/auth/grant-users.ts';
import { issueToken } from '../../server/auth/tokens.ts';
import { startServer } from '../../server/main.ts';
import type { Store } from '../../store/contract.ts';
import { port } from '../args.ts';
import type { Act, Context } from '../context.ts';

export const DEFAULT_SERVER_PORT = 7300;

/** The first admin: refused once any token exists (more come from `slipway token create`). */
export async function initAdmin(store: Store, by: string): Promise<{ id: string; secret: string }> {
  if ((await store.listTokens()).length > 0)
    throw new AppError(
      'INIT_EXISTS',
      'this store already has API tokens; create more with `slipway token create --user NAME`',
    );
  await store.putUser('admin', by);
  await store.setGrant({ user: 'admin', env: '*', role: 'admin' }, true);
  const { token, secret } = await issueToken(store, {
    user: 'admin',
    name: 'first admin (server --init)',
    expiresInDays: 90,
    by,
  });
  return { id: token.id, secret };
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
    .option('--init', 'create the first admin user and print its API token once')
    .option('--secure-cookies', 'mark the dashboard session cookie Secure (serve it behind HTTPS)')
    .action(
      act(async (opts: { port: string; host: string; init?: boolean; secureCookies?: boolean }) => {
        const c = ctx();
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new AppError(
            'USAGE',
            `--port: expected a port from 0 to 65535, found ${JSON.stringify(opts.port)}`,
          );
        const store = await c.store();
        const config = loadConfig(c);
        if (opts.init) {
          const { id, secret } = await initAdmin(store, c.user);
          c.io.out(`created user admin with token ${id}; it is shown only this once:`);
          c.io.out(secret);
        }
        const running = await startServer({
          store,
          config,
          dataDir: c.dataDir(),
          port,
          host: opts.host,
          secureCookies: opts.secureCookies === true,
          engine: () => {
            if (!config)
              throw new AppError('USAGE', 'no slipway.yaml here: the server cannot drive deployments');
            const agent = connectAgent(c.dataDir());
            // The approval gate counts the server's grants, as the API does (grant-users.ts).
            const users = grantUsers(store, config);
            return { agent, executor: createExecutor({ store, agent, config, users }) };
          },
          log: (line) => c.io.err(line),
        });
        if (running.resumed.length)
          c.io.out(`resumed ${running.resumed.length} deployment(s): ${running.resumed.join(', ')}`);
        // Printed last: scripts and tests wait for this line.
        c.io.out(`slipway server: API on ${running.url} (OpenAPI at ${running.url}/openapi.json)`);
        await new Promise<void>((done) => {
          process.once('SIGTERM', done);
          process.once('SIGINT', done);
        });
        c.io.out('slipway server: stopping; deployments in flight resume with the next server');
        await running.close();
        return 0;
      }),
    );
}
