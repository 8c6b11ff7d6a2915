/**
 * The connection to a container engine through the Docker Engine API (dockerode): Docker's
 * `dockerd` or Podman's Docker-compatible service, found the way the docker CLI finds it
 * (DOCKER_HOST, else /var/run/docker.sock). Engine failures become one-line AppErrors that name the
 * engine and what to do.
 */
import type Docker from 'dockerode';
import { AppError } from '../../domain/errors.ts';
import { lazyRequire } from '../lazy-require.ts';

export type Engine = Docker;
const dockerode = lazyRequire<typeof Docker>('dockerode');

/** Where the engine listens: `unix:///path`, `tcp://host:port`, or a bare socket path. */
export function engineAddress(dockerHost = process.env.DOCKER_HOST): string {
  return dockerHost && dockerHost.trim() !== '' ? dockerHost.trim() : 'unix:///var/run/docker.sock';
}

export function connectEngine(dockerHost?: string): { engine: Engine; address: string } {
  const address = engineAddress(dockerHost);
  if (address.startsWith('unix://') || address.startsWith('/')) {
    const socketPath = address.replace(/^unix:\/\//, '');
    return { engine: new (dockerode())({ socketPath }), address };
  }
  const url = new URL(address.replace(/^tcp:/, 'http:'));
  return {
    engine: new (dockerode())({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' }),
    address,
  };
}

const ENGINE_DOWN = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT']);

/** The status code of an engine API answer, when the error is one. */
export function engineStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own message (its JSON `message`), short. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  const text = typeof json?.message === 'string' ? json.message : (error as Error).message;
  return String(text).split('\n')[0]!.trim();
}

/** Turns an engine error into an AppError: an unreachable engine is CONTAINER_ENGINE_UNAVAILABLE. */
export function engineError(address: string, doing: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && ENGINE_DOWN.has(code)) {
    return new AppError(
      'CONTAINER_ENGINE_UNAVAILABLE',
      `the container engine at ${address} is not reachable (${code}) while ${doing}; start it (\`systemctl start docker\`, or \`podman system service --time 0 ${address}\`) or point DOCKER_HOST at it`,
      { cause: error },
    );
  }
  return new AppError(
    'INSTANCE_START_FAILED',
    `${doing}: the engine at ${address} said: ${engineMessage(error)}`,
    {
      cause: error,
    },
  );
}

/** Checks that the engine answers; the one-line error otherwise. */
export async function pingEngine(engine: Engine, address: string): Promise<void> {
  try {
    await engine.ping();
  } catch (error) {
    throw engineError(address, 'checking the engine', error);
  }
}
