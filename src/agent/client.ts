/**
 * The control plane's typed client of the agent's admin API. Errors come back as AppErrors: the
 * agent's own code when it answered with one, AGENT_UNAVAILABLE when it could not be reached.
 *
 * @example
 * const agent = createAgentClient({ url: 'http://127.0.0.1:7311', token });
 * await agent.putEnv('staging', { listen: { host: '127.0.0.1', port: 8080 }, releases: [...] });
 * await agent.setWeights('staging', { v2: 100 });
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataPlaneClient, DesiredEnv, EnvBodyInput, EnvStatus } from '../domain/data-plane.ts';
import { AppError } from '../domain/errors.ts';
import { createJsonClient } from '../http/json-client.ts';
import { readJson } from '../runtime/process/atomic-json.ts';
import type { ReleaseMetrics } from '../traffic/contract.ts';

export type { EnvBodyInput };

export interface AgentClientOptions {
  readonly url: string;
  readonly token: string;
  /** Per request; default 120s (a PUT waits for instances to become healthy). */
  readonly timeoutMs?: number;
}

/** The agent's HTTP client is the engine's data-plane port. */
export type AgentClient = DataPlaneClient;

export function createAgentClient(options: AgentClientOptions): AgentClient {
  const base = options.url.replace(/\/$/, '');
  const timeoutMs = options.timeoutMs ?? 120_000;
  const path = (...parts: string[]) => parts.map(encodeURIComponent).join('/');

  const http = createJsonClient({
    url: base,
    token: options.token,
    unavailable: 'AGENT_UNAVAILABLE',
    name: `the agent at ${base}`,
    timeoutMs,
  });
  const call = (method: string, route: string, body?: unknown, signal?: AbortSignal) =>
    http.call(method, route, { body, ...(signal && { signal }) });

  const json = <T>(method: string, route: string, body?: unknown) => http.json<T>(method, route, body);

  return {
    putEnv: (env, body) => json<EnvStatus>('PUT', `/v1/envs/${path(env)}`, body),
    setWeights: (env, weights) => json<EnvStatus>('POST', `/v1/envs/${path(env)}/weights`, { weights }),
    status: (env) => json<EnvStatus>('GET', `/v1/envs/${path(env)}`),
    desired: async (env) => {
      try {
        return await json<DesiredEnv>('GET', `/v1/envs/${path(env)}/desired`);
      } catch (error) {
        if (error instanceof AppError && error.code === 'ENV_NOT_FOUND') return undefined;
        throw error;
      }
    },
    statusAll: async () => (await json<{ envs: EnvStatus[] }>('GET', '/v1/envs')).envs,
    deleteEnv: async (env) => {
      await json('DELETE', `/v1/envs/${path(env)}`);
    },
    metrics: (env, release, windowMs) =>
      json<ReleaseMetrics>('GET', `/v1/envs/${path(env, 'releases', release)}/metrics?windowMs=${windowMs}`),
    logs: async (env, release, lines = 100) => {
      const response = await call('GET', `/v1/envs/${path(env, 'releases', release)}/logs?lines=${lines}`);
      return (await response.text()).split('\n').filter((line) => line !== '');
    },
    followLogs: (env, release, { lines = 100, signal }) => ({
      async *[Symbol.asyncIterator]() {
        const route = `/v1/envs/${path(env, 'releases', release)}/logs?lines=${lines}&follow=1`;
        const response = await call('GET', route, undefined, signal);
        if (response.body === null) return;
        const decoder = new TextDecoder();
        let rest = '';
        try {
          for await (const chunk of response.body) {
            const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
            rest = lines.pop() ?? '';
            yield* lines;
          }
        } catch (error) {
          if (!signal.aborted) throw error;
        }
      },
    }),
  };
}

/**
 * A client for the agent running on this machine with the given state folder: its address is in
 * `agent.json` and its token in `agent.token` there.
 */
export function connectLocalAgent(stateDir: string, options: { timeoutMs?: number } = {}): AgentClient {
  const infoFile = join(stateDir, 'agent.json');
  const info = readJson<{ url?: string; pid?: number | null } | null>(infoFile, null);
  if (info?.url === undefined || info.pid === null || info.pid === undefined) {
    throw new AppError(
      'AGENT_UNAVAILABLE',
      `no agent runs on ${stateDir} (${infoFile}); start it with \`slipway agent\``,
    );
  }
  const token = readFileSync(join(stateDir, 'agent.token'), 'utf8').trim();
  return createAgentClient({ url: info.url, token, ...options });
}
