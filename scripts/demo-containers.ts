/**
 * What `npm run demo -- --containers` needs besides slipway: a container engine and a registry.
 * The demo starts its own, as a user without either would on a laptop: Podman's Docker-compatible
 * service on a socket in the demo folder (with runc, and ulimits at the host's, which work where
 * Podman's defaults may not) and a distribution registry (`docker-registry`) on 127.0.0.1. The
 * Node base image is made from this machine's Node (no public registry needed). When a piece is
 * missing it says which and how to get it.
 */
import { join } from 'node:path';
import {
  baseImage,
  removeRegistryImages,
  startEngine,
  startRegistry,
  type TestEngine,
  type TestRegistry,
} from '../src/runtime/container/testing.ts';
import { hasBinary } from '../src/testing.ts';

export interface DemoContainers {
  /** `127.0.0.1:PORT` */
  readonly registry: string;
  readonly dockerHost: string;
  /** The Node base image for the shop's Containerfile (its BASE build-arg). */
  readonly base: string;
  stop(): Promise<void>;
}

/** Why container mode cannot run here, with the fix; undefined when it can. */
export function containersMissing(): string | undefined {
  const missing = ['podman', 'runc', 'docker-registry'].filter((b) => !hasBinary(b));
  if (missing.length === 0) return undefined;
  return `the container demo needs a container engine and a registry, and ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not installed: on Debian or Ubuntu \`sudo apt-get install podman runc docker-registry\`, then run \`npm run demo -- --containers\` again (\`npm run demo\` runs the same story on processes)`;
}

export async function startDemoContainers(dir: string): Promise<DemoContainers> {
  let registry: TestRegistry | undefined;
  let engine: TestEngine | undefined;
  try {
    registry = await startRegistry(join(dir, 'registry'));
    engine = await startEngine(join(dir, 'engine'), [registry.host]);
    const base = await baseImage(engine);
    const [r, e] = [registry, engine];
    return {
      registry: r.host,
      dockerHost: e.dockerHost,
      base,
      async stop() {
        await removeRegistryImages(e, r.host);
        await e.stop();
        await r.stop();
      },
    };
  } catch (error) {
    await engine?.stop();
    await registry?.stop();
    throw error;
  }
}
