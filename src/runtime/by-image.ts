/**
 * The agent's runtime: a release with an image (slipway.yaml run.image) runs on the container
 * runtime, any other on the process runtime. Both answer list/stop/logs, so an environment can move
 * from processes to containers with an ordinary deployment (blue-green across the two works).
 */
import { createHash } from 'node:crypto';
import type { ContainerRuntime } from './container/container-runtime.ts';
import type { Instance, InstanceSpec, Runtime } from './contract.ts';
import type { ProcessRuntime } from './process/process-runtime.ts';

/** The container scope of an agent: its state folder, so two agents on one engine never adopt each other's. */
export function scopeOf(stateDir: string): string {
  return createHash('sha256').update(stateDir).digest('hex').slice(0, 12);
}

export class RuntimeByImage implements Runtime {
  readonly name = 'process+container';
  readonly process: ProcessRuntime;
  readonly container: ContainerRuntime;

  constructor(options: { process: ProcessRuntime; container: ContainerRuntime }) {
    this.process = options.process;
    this.container = options.container;
  }

  private of(spec: InstanceSpec): ProcessRuntime | ContainerRuntime {
    return spec.image ? this.container : this.process;
  }

  /** Finds the containers left by the agent before (the process runtime reads its records when made). */
  ready(): Promise<void> {
    return this.container.ready();
  }

  start(spec: InstanceSpec): Promise<readonly Instance[]> {
    return this.of(spec).start(spec);
  }

  resume(spec: InstanceSpec): Promise<readonly Instance[]> {
    return this.of(spec).resume(spec);
  }

  async stop(env: string, release: string): Promise<void> {
    await this.process.stop(env, release);
    // Only releases it runs: a host without an engine still stops its processes.
    if (this.container.holds(env, release)) await this.container.stop(env, release);
  }

  async list(env?: string): Promise<readonly Instance[]> {
    return [...(await this.process.list(env)), ...(await this.container.list(env))];
  }

  async logs(env: string, release: string, lines: number): Promise<readonly string[]> {
    const own = await this.process.logs(env, release, lines);
    return own.length > 0 ? own : this.container.logs(env, release, lines);
  }

  /** Log files to follow: the process runtime's (a container's output is read from the engine, tail only). */
  logFiles(env: string, release: string): { id: string; file: string }[] {
    return this.process.logFiles(env, release);
  }

  unclaimedReleases(): { env: string; release: string }[] {
    return [...this.process.unclaimedReleases(), ...this.container.unclaimedReleases()];
  }

  async stopUnclaimed(stopTimeoutMs?: number): Promise<void> {
    await this.process.stopUnclaimed(stopTimeoutMs);
    await this.container.stopUnclaimed(stopTimeoutMs);
  }

  async close(): Promise<void> {
    await this.process.close();
    await this.container.close();
  }
}
