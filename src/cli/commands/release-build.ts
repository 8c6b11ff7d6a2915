/**
 * `slipway release create --build DIR`: one command from a folder to a promotable image release.
 * The host's engine builds the folder's Containerfile/Dockerfile, pushes it to slipway.yaml's
 * `run.image` repository (tagged with --version, or build-<time>), and the release is registered
 * by the digest the registry then holds (src/runtime/container/build.ts, app/releases.ts).
 */
import { resolve } from 'node:path';
import * as releases from '../../app/releases.ts';
import type { SlipwayConfig } from '../../config/schema.ts';
import { AppError } from '../../domain/errors.ts';
import type { Context } from '../context.ts';
import type { CreateOptions } from './release.ts';

/** `KEY=VALUE` of --build-arg, collected over repeats. */
export function buildArg(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at < 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value.slice(0, at)))
    throw new AppError(
      'USAGE',
      `--build-arg: expected KEY=VALUE with KEY a name of letters, digits and _, got ${JSON.stringify(value.slice(0, 60))}`,
    );
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

export async function createBuiltRelease(
  c: Context,
  config: SlipwayConfig,
  path: string | undefined,
  opts: CreateOptions & { build: string; buildArg?: Record<string, string> },
): Promise<number> {
  if (path !== undefined || opts.image !== undefined)
    throw new AppError(
      'USAGE',
      `release create: give one of PATH, --image or --build, not several (got ${[path !== undefined && `PATH ${path}`, opts.image !== undefined && '--image', '--build'].filter(Boolean).join(', ')})`,
    );
  const repository = config.run.image;
  if (repository === undefined)
    throw new AppError(
      'USAGE',
      "release create --build: slipway.yaml's run.image names no repository to push the image to; set run.image: REGISTRY/NAME",
    );
  const tag = opts.version ?? `build-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag))
    throw new AppError(
      'USAGE',
      `--version ${opts.version} cannot be an image tag (letters, digits, _ . - and at most 128 of them); give a version such as 1.4.2`,
    );
  const username = process.env.SLIPWAY_REGISTRY_USERNAME;
  const password = process.env.SLIPWAY_REGISTRY_PASSWORD;
  const credentials = username !== undefined && password !== undefined ? { username, password } : undefined;
  // VERSION and REVISION are the build-args the example Containerfile turns into OCI labels.
  const buildArgs = {
    ...(opts.version !== undefined && { VERSION: opts.version }),
    ...(opts.commit !== undefined && { REVISION: opts.commit }),
    ...opts.buildArg,
  };
  const tagged = `${repository}:${tag}`;
  const context = resolve(c.cwd, opts.build);
  if (!c.io.json) c.io.out(`building ${tagged} from ${context} with the engine, then pushing it`);
  // Loaded only here: the engine client is not needed by any other release command.
  const { buildAndPushImage } = await import('../../runtime/container/build.ts');
  const built = await buildAndPushImage({ context, tagged, buildArgs, ...(credentials && { credentials }) });
  const {
    release: r,
    created,
    image,
  } = await releases.registerImageRelease(
    { store: await c.store(), dataDir: c.dataDir(), app: config.app },
    {
      // The digest the push reported when the engine says it; else the tag, resolved by the registry.
      image: built.digest ? `${repository}@${built.digest}` : tagged,
      version: opts.version,
      commit: opts.commit,
      ci: opts.ci,
      notes: opts.notes ?? null,
      user: c.user,
      repository,
      ...(credentials && { credentials }),
    },
  );
  if (c.io.json) c.io.data({ created, release: r, image, built: tagged });
  else
    c.io.out(
      `${created ? 'registered' : 'already registered'} ${r.app} ${r.version}  ${r.digest.slice(0, 19)}  image ${image} (built and pushed as ${tagged}), CI ${r.ci}`,
    );
  return 0;
}
