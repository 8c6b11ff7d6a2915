/**
 * The engine operations the container runtime is made of, each one Engine API call or a few:
 * make sure an image is there (pull by digest), create and start an instance's container, read its
 * state, stop and remove it, read its logs.
 */
import { AppError } from '../../domain/errors.ts';
import type { InstanceSpec } from '../contract.ts';
import { type Engine, engineError, engineMessage, engineStatus } from './engine.ts';
import { demuxLines } from './log-frames.ts';
import { SECRETS_MOUNT } from './secret-files.ts';

/** Secret vars that carry the registry login for the pull; used by the runtime, never passed to the app. */
export const REGISTRY_USER_VAR = 'SLIPWAY_REGISTRY_USERNAME';
export const REGISTRY_PASSWORD_VAR = 'SLIPWAY_REGISTRY_PASSWORD';

/** The registry part of an image reference (`127.0.0.1:5000/shop@sha256:…` → `127.0.0.1:5000`). */
export function registryOf(image: string): string {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : 'docker.io';
}

/** Pulls `image` unless the engine has it already (a digest reference never changes). */
export async function ensureImage(
  engine: Engine,
  address: string,
  image: string,
  vars: Readonly<Record<string, string>>,
): Promise<void> {
  try {
    await engine.getImage(image).inspect();
    return;
  } catch (error) {
    if (engineStatus(error) !== 404) throw engineError(address, `looking for image ${image}`, error);
  }
  const user = vars[REGISTRY_USER_VAR];
  const password = vars[REGISTRY_PASSWORD_VAR];
  const authconfig =
    user !== undefined && password !== undefined
      ? { username: user, password, serveraddress: registryOf(image) }
      : undefined;
  try {
    const stream = await engine.pull(image, authconfig ? { authconfig } : {});
    await new Promise<void>((resolve, reject) =>
      engine.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
        const failed = err?.message ?? events?.find((e) => e.error)?.error;
        if (failed) reject(new Error(failed));
        else resolve();
      }),
    );
  } catch (error) {
    throw pullError(address, image, error);
  }
}

function pullError(address: string, image: string, error: unknown): AppError {
  const down = engineError(address, `pulling ${image}`, error);
  if (down.code === 'CONTAINER_ENGINE_UNAVAILABLE') return down;
  const text = engineMessage(error);
  if (/unauthori[sz]ed|authentication required|401|denied/i.test(text)) {
    return new AppError(
      'REGISTRY_AUTH_FAILED',
      `the registry ${registryOf(image)} refused to hand out ${image} (${text}); set the secrets ${REGISTRY_USER_VAR} and ${REGISTRY_PASSWORD_VAR} of the environment (\`slipway secret set\`) to a login that may pull it`,
    );
  }
  if (/manifest unknown|not found|404|no such|name unknown/i.test(text)) {
    return new AppError(
      'IMAGE_NOT_FOUND',
      `image ${image} is not in the registry ${registryOf(image)} (${text}); push it first, or register the release again`,
    );
  }
  return new AppError(
    'IMAGE_PULL_FAILED',
    `could not pull ${image} through the engine at ${address}: ${text}; check that the engine can reach ${registryOf(image)}`,
  );
}

export interface CreateArgs {
  readonly name: string;
  readonly spec: InstanceSpec;
  readonly port: number;
  readonly labels: Record<string, string>;
  readonly env: readonly string[];
  /** Host folder of the instance's secret files (bind-mounted read-only), if it has secrets. */
  readonly secretsDir?: string | undefined;
  readonly network?: string | undefined;
}

/** Creates and starts an instance's container; returns its id. */
export async function createContainer(engine: Engine, args: CreateArgs): Promise<string> {
  const { spec, port } = args;
  // The app listens on PORT inside; the same number is published on 127.0.0.1 of the host.
  const portKey = `${port}/tcp`;
  const container = await engine.createContainer({
    name: args.name,
    Image: spec.image,
    ...(spec.command.trim() !== '' && { Cmd: spec.command.trim().split(/\s+/) }),
    Env: [...args.env],
    Labels: args.labels,
    ExposedPorts: { [portKey]: {} },
    StopSignal: 'SIGTERM',
    StopTimeout: Math.max(1, Math.ceil(spec.stopTimeoutMs / 1000)),
    HostConfig: {
      PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 0 },
      ...(args.network && { NetworkMode: args.network }),
      ...(args.secretsDir && { Binds: [`${args.secretsDir}:${SECRETS_MOUNT}:ro`] }),
      ...(spec.limits?.memoryBytes && { Memory: spec.limits.memoryBytes }),
      ...(spec.limits?.cpus && { NanoCpus: Math.round(spec.limits.cpus * 1e9) }),
    },
  });
  await container.start();
  return container.id;
}

export interface ContainerState {
  readonly running: boolean;
  readonly restarting: boolean;
  readonly exitCode: number;
  readonly restarts: number;
  readonly pid: number | null;
  readonly startedAt: string;
  readonly error: string;
}

/** The container's state, or undefined when it is gone. */
export async function inspectState(engine: Engine, id: string): Promise<ContainerState | undefined> {
  try {
    const info = await engine.getContainer(id).inspect();
    return {
      running: info.State.Running,
      restarting: info.State.Restarting,
      exitCode: info.State.ExitCode,
      restarts: info.RestartCount ?? 0,
      pid: info.State.Pid > 0 ? info.State.Pid : null,
      startedAt: info.State.StartedAt,
      error: info.State.Error ?? '',
    };
  } catch (error) {
    if (engineStatus(error) === 404) return undefined;
    throw error;
  }
}

/** The last `lines` lines the container wrote (stdout and stderr); [] when it is gone. */
export async function containerLogs(engine: Engine, id: string, lines: number): Promise<string[]> {
  try {
    const buffer = (await engine
      .getContainer(id)
      .logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demuxLines(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer)));
  } catch {
    return [];
  }
}

/** SIGTERM, SIGKILL after the stop timeout, then remove; a container already gone is fine. */
export async function stopAndRemove(engine: Engine, id: string, stopTimeoutMs: number): Promise<void> {
  const container = engine.getContainer(id);
  try {
    await container.stop({ t: Math.max(1, Math.ceil(stopTimeoutMs / 1000)) });
  } catch (error) {
    const status = engineStatus(error);
    if (status !== 304 && status !== 404) {
      // A container that will not stop is killed by the removal below.
    }
  }
  try {
    await container.remove({ force: true, v: true });
  } catch (error) {
    if (engineStatus(error) !== 404 && engineStatus(error) !== 409) throw error;
  }
}
