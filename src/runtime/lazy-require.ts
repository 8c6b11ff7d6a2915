/**
 * A CommonJS dependency loaded on its first use instead of at start. Every CLI command starts the
 * same module graph; a load generator or a container engine client that most commands never touch
 * cost each of them tens of milliseconds of CPU.
 *
 * @example
 * const docker = lazyRequire<typeof import('dockerode')>('dockerode');
 * new (docker())({ socketPath });
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(name) as T;
    return loaded;
  };
}
