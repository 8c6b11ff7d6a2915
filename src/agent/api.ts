/**
 * The agent's admin HTTP API, on 127.0.0.1 only. Every route but `GET /v1/health` needs
 * `Authorization: Bearer <token>`.
 *
 *   GET    /v1/health                                     liveness, no token
 *   GET    /v1/envs                                       status of every environment
 *   PUT    /v1/envs/:env                                  desired state of an environment (EnvBody)
 *   GET    /v1/envs/:env                                  status: instances, weights, health
 *   GET    /v1/envs/:env/desired                          the desired state as accepted (config values, not secrets)
 *   DELETE /v1/envs/:env                                  stop routing and stop its instances
 *   POST   /v1/envs/:env/weights                          { weights: { release: percent } }
 *   GET    /v1/envs/:env/releases/:release/logs?lines=N[&follow=1]   text, chunked when following
 *   GET    /v1/envs/:env/releases/:release/metrics?windowMs=N         the router's ReleaseMetrics
 *   GET    /metrics                                       the agent's and every router's metrics, Prometheus text (prometheus.ts)
 *
 * Handling order: auth → route → body parse/validate (400 naming the field) → agent.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError, errorEnvelope, isAppError } from '../domain/errors.ts';
import { heldListener } from '../traffic/builtin/held-listeners.ts';
import type { Agent } from './agent.ts';
import { followLogs, hasLogFiles } from './follow.ts';
import { type AgentMetrics, createAgentMetrics } from './prometheus.ts';
import { envBodySchema, parseBody, weightsBodySchema, withoutSecretValues } from './state.ts';
import { tokenMatches } from './token.ts';

const MAX_BODY = 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new AppError('USAGE', `request body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('USAGE', 'request body is not valid JSON');
  }
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer (.+)$/.exec(header);
  return match !== null && tokenMatches(match[1]!.trim(), token);
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], url: URL) => Promise<void>;

function routes(agent: Agent, metrics: AgentMetrics): [string, RegExp, Handler][] {
  const seg = '([^/]+)';
  return [
    ['GET', /^\/v1\/envs$/, async (_req, res) => send(res, 200, { envs: await agent.status() })],
    [
      'PUT',
      new RegExp(`^/v1/envs/${seg}$`),
      async (req, res, [env]) => {
        const body = parseBody(envBodySchema, await readBody(req), `desired state of ${env}`);
        send(res, 200, await agent.putEnv(env!, body));
      },
    ],
    [
      'GET',
      new RegExp(`^/v1/envs/${seg}$`),
      async (_req, res, [env]) => send(res, 200, (await agent.status(env!))[0]),
    ],
    [
      'GET',
      new RegExp(`^/v1/envs/${seg}/desired$`),
      async (_req, res, [env]) => {
        const desired = await agent.desired(env!);
        if (desired === undefined)
          throw new AppError('ENV_NOT_FOUND', `the agent runs no environment ${env}`);
        send(res, 200, withoutSecretValues(desired));
      },
    ],
    [
      'DELETE',
      new RegExp(`^/v1/envs/${seg}$`),
      async (_req, res, [env]) => {
        await agent.deleteEnv(env!);
        send(res, 200, { deleted: env });
      },
    ],
    [
      'POST',
      new RegExp(`^/v1/envs/${seg}/weights$`),
      async (req, res, [env]) => {
        const { weights } = parseBody(weightsBodySchema, await readBody(req), `weights of ${env}`);
        send(res, 200, await agent.setWeights(env!, weights));
      },
    ],
    [
      'GET',
      new RegExp(`^/v1/envs/${seg}/releases/${seg}/metrics$`),
      async (_req, res, [env, release], url) => {
        const windowMs = Number(url.searchParams.get('windowMs') ?? '60000');
        if (!Number.isInteger(windowMs) || windowMs < 1 || windowMs > 86_400_000) {
          throw new AppError(
            'USAGE',
            `windowMs: must be a whole number of milliseconds from 1 to 86400000, got ${url.searchParams.get('windowMs')}`,
          );
        }
        const router = await agent.routerOf(env!);
        if (!router.metrics) {
          throw new AppError(
            'USAGE',
            `environments.${env}.router.driver: the ${router.name} router keeps no per-release metrics; set environments.${env}.metrics to the prometheus or http provider, or use router.driver: builtin`,
          );
        }
        send(res, 200, await router.metrics(env!, release!, windowMs));
      },
    ],
    [
      'GET',
      /^\/metrics$/,
      async (_req, res) => {
        const text = await metrics.render(() => agent.prometheus());
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(text);
      },
    ],
    [
      'GET',
      new RegExp(`^/v1/envs/${seg}/releases/${seg}/logs$`),
      async (req, res, [env, release], url) => {
        const lines = Number(url.searchParams.get('lines') ?? '100');
        if (!Number.isInteger(lines) || lines < 0 || lines > 100_000) {
          throw new AppError(
            'USAGE',
            `lines: must be a whole number from 0 to 100000, got ${url.searchParams.get('lines')}`,
          );
        }
        // Redacted here as well as when written: a file from before may hold a value in plain text.
        const hide = agent.redactor();
        const tail = (await agent.logs(env!, release!, lines)).map(hide);
        const follow = url.searchParams.get('follow') === '1' || url.searchParams.get('follow') === 'true';
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.write(tail.map((line) => `${line}\n`).join(''));
        if (!follow || !hasLogFiles(agent.runtime)) {
          res.end();
          return;
        }
        const stop = followLogs(agent.runtime, env!, release!, (line) => res.write(`${hide(line)}\n`));
        req.on('close', stop);
        res.on('close', stop);
      },
    ],
  ];
}

/** The admin server; `listen()` resolves with the port it got. */
export function createAdminServer(agent: Agent): Server {
  const metrics = createAgentMetrics(() => agent.status());
  const table = routes(agent, metrics);
  // zod compiles a schema on its first parse (about 1.5 ms): pay it now, not in the first switch.
  weightsBodySchema.safeParse({ weights: { warm: 100 } });
  return createServer((req, res) => {
    res.once('finish', () => metrics.request(req.method ?? 'GET', res.statusCode));
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://agent');
      try {
        if (req.method === 'GET' && url.pathname === '/v1/health') return send(res, 200, { ok: true });
        if (!authorized(req, agent.token)) {
          // Drain the body so the connection stays usable, then refuse.
          req.resume();
          throw new AppError(
            'UNAUTHORIZED',
            'missing or wrong bearer token; it is in agent.token in the state folder',
          );
        }
        let pathMatched = false;
        for (const [method, pattern, handler] of table) {
          const match = pattern.exec(url.pathname);
          if (match === null) continue;
          pathMatched = true;
          if (method !== req.method) continue;
          return await handler(req, res, match.slice(1).map(decodeURIComponent), url);
        }
        throw pathMatched
          ? new AppError('ROUTE_NOT_FOUND', `${req.method} is not allowed on ${url.pathname}`)
          : new AppError('ROUTE_NOT_FOUND', `no route ${req.method} ${url.pathname}`);
      } catch (error) {
        const appError = isAppError(error)
          ? error
          : new AppError('INTERNAL', `agent error: ${(error as Error).message}`, { cause: error });
        if (res.headersSent) {
          res.destroy(appError);
          return;
        }
        // An instance's failure can quote its environment; no secret value leaves in an error.
        const redacted = new AppError(appError.code, agent.redact(appError.message), {
          details: appError.details.map((d) => agent.redact(d)),
        });
        send(res, appError.status, errorEnvelope(redacted));
      }
    })();
  });
}

/** Listens on 127.0.0.1:port (0 = any free port) and resolves with the port. */
/**
 * Listens on 127.0.0.1:port. Under a supervisor the parent holds the socket (so the admin URL
 * stays the same across agent restarts and calls made meanwhile wait instead of being refused).
 */
export async function listen(server: Server, port: number): Promise<number> {
  const held = await heldListener('127.0.0.1', port, 'admin');
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => resolve((server.address() as AddressInfo).port);
    if (held) server.listen(held, done);
    else server.listen(port, '127.0.0.1', done);
  });
}
