/**
 * `slipway release create --build DIR`: builds the image of a folder with the host's engine through
 * the Docker Engine API (`POST /build`: Docker's builder or Podman's buildah behind its compatible
 * service; dockerode packs the folder, minus what `.dockerignore` names) and pushes it to the
 * repository slipway.yaml's `run.image` names. The release is then registered by the digest the
 * registry holds, as for `--image`. Why the engine and not a registry-side builder: it is what a
 * team without a registry-side build already runs, and the same engine later runs the image.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AppError } from '../../domain/errors.ts';
import { connectEngine, engineError, engineMessage } from './engine.ts';

/** The build files slipway looks for, in order (Podman's name first, as buildah does). */
export const BUILD_FILES = ['Containerfile', 'Dockerfile'] as const;

/** Folders never sent to the engine: slipway's own state and version control. */
const SKIP = new Set(['.git', '.slipway']);

export interface BuildInput {
  /** The build context. */
  readonly context: string;
  /** `REGISTRY/NAME:TAG` to build and push. */
  readonly tagged: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly credentials?: { readonly username: string; readonly password: string };
  /** DOCKER_HOST form; default DOCKER_HOST. */
  readonly dockerHost?: string;
}

/** The Containerfile or Dockerfile of `context`, by name relative to it. */
export function buildFileOf(context: string): string {
  const found = BUILD_FILES.find((name) => existsSync(join(context, name)));
  if (found === undefined)
    throw new AppError(
      'USAGE',
      `release create --build: ${context} has no ${BUILD_FILES.join(' or ')}; add one (see examples/shop/app/Containerfile) or push an image yourself and give --image`,
    );
  return found;
}

function files(root: string, dir = root, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (dir === root && SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files(root, path, out);
    else out.push(relative(root, path));
  }
  return out;
}

interface ProgressEvent {
  readonly stream?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
  readonly aux?: { readonly Digest?: string; readonly ID?: string };
}

function follow(engine: ReturnType<typeof connectEngine>['engine'], stream: NodeJS.ReadableStream) {
  return new Promise<ProgressEvent[]>((resolve, reject) =>
    engine.modem.followProgress(stream, (err: Error | null, events: ProgressEvent[]) =>
      err ? reject(err) : resolve(events ?? []),
    ),
  );
}

const failureOf = (events: readonly ProgressEvent[]) =>
  events.find((e) => e.error !== undefined || e.errorDetail?.message !== undefined);

/** Builds `input.tagged` from `input.context` and pushes it; returns the digest the push reported, if any. */
export async function buildAndPushImage(input: BuildInput): Promise<{ digest?: string; log: string[] }> {
  const { engine, address } = connectEngine(input.dockerHost);
  const dockerfile = buildFileOf(input.context);
  let events: ProgressEvent[];
  try {
    const stream = await engine.buildImage(
      { context: input.context, src: files(input.context) },
      { t: input.tagged, dockerfile, buildargs: { ...input.buildArgs }, rm: true, forcerm: true },
    );
    events = await follow(engine, stream);
  } catch (error) {
    throw engineError(address, `building ${input.tagged} from ${join(input.context, dockerfile)}`, error);
  }
  const log = events.flatMap((e) => (e.stream ?? '').split('\n')).filter((l) => l.trim() !== '');
  const failed = failureOf(events);
  if (failed)
    throw new AppError(
      'IMAGE_BUILD_FAILED',
      `building ${input.tagged} from ${join(input.context, dockerfile)} failed: ${(failed.error ?? failed.errorDetail?.message ?? '').trim()}; fix the build and run it again (its last lines follow)`,
      { details: log.slice(-15) },
    );
  const [name, tag] = splitTag(input.tagged);
  const registry = name.split('/')[0] ?? '';
  try {
    const stream = await engine.getImage(name).push({
      tag,
      ...(input.credentials && {
        authconfig: { ...input.credentials, serveraddress: registry },
      }),
    });
    const pushed = await follow(engine, stream);
    const refused = failureOf(pushed);
    if (refused) throw new Error(refused.error ?? refused.errorDetail?.message);
    const digest = pushed.map((e) => e.aux?.Digest).find((d) => d !== undefined);
    return { ...(digest && { digest }), log };
  } catch (error) {
    const down = engineError(address, `pushing ${input.tagged}`, error);
    if (down.code === 'CONTAINER_ENGINE_UNAVAILABLE') throw down;
    const text = engineMessage(error);
    if (/unauthori[sz]ed|authentication required|401|denied/i.test(text))
      throw new AppError(
        'REGISTRY_AUTH_FAILED',
        `the registry ${registry} refused the push of ${input.tagged} (${text}); set SLIPWAY_REGISTRY_USERNAME and SLIPWAY_REGISTRY_PASSWORD to a login that may push there`,
      );
    throw new AppError(
      'IMAGE_BUILD_FAILED',
      `pushing ${input.tagged} to ${registry} failed: ${text}; check that the registry is reachable from the engine at ${address}`,
    );
  }
}

/** `host:5000/a/b:tag` → [`host:5000/a/b`, `tag`] (a port is not a tag). */
function splitTag(ref: string): [string, string] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
}
