/**
 * `release create`, `release rm` and `releases` against a server. A folder is packed into a
 * .tar.gz as it is sent (streamed, never written out or held whole), with its content digest so
 * the server verifies what it unpacked; an archive is sent as it is, with its sha256 as well.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar';
import { checkVersion } from '../app/releases.ts';
import { AppError } from '../domain/errors.ts';
import { digestOf, IGNORED, isIgnored } from '../releases/digest.ts';
import type { CreateOptions } from './commands/release.ts';
import { printCreated, printReleases, printRemoved, reportOption } from './commands/release.ts';
import type { Context } from './context.ts';
import type { ApiClient } from './remote.ts';

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function remoteReleaseCreate(
  c: Context,
  r: ApiClient,
  path: string,
  opts: CreateOptions,
): Promise<number> {
  if (opts.image !== undefined || opts.build !== undefined || path === undefined)
    throw new AppError(
      'USAGE',
      'release create --image and --build register on the machine that holds the store for now; run it there without SLIPWAY_URL, or give the PATH of a build',
    );
  if (opts.version === undefined)
    throw new AppError('USAGE', "release create: required option '--version <version>' not specified");
  checkVersion(opts.version);
  const report = await reportOption(c, opts);
  const source = resolve(c.cwd, path);
  const digested = await digestOf(source);
  if (digested.files === 0)
    throw new AppError(
      'RELEASE_SOURCE_INVALID',
      `${source} holds no files (besides ${[...IGNORED].join(', ')}, which are never part of a release); give the folder or archive of the build`,
    );
  const folder = (await lstat(source)).isDirectory();
  // tar's stream is a Minipass (async-iterable), wrapped into a Node stream for fetch.
  const body = folder
    ? Readable.from(tar.c({ gzip: true, portable: true, cwd: source, filter: (p) => !isIgnored(p) }, ['.']))
    : createReadStream(source);
  const { created, release } = await r.uploadRelease(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
    version: opts.version,
    ci: opts.ci,
    ...(report && { ciReport: JSON.stringify(report) }),
    digest: digested.digest,
    ...(!folder && { sha256: await sha256Of(source) }),
    ...(opts.commit !== undefined && { commit: opts.commit }),
    ...(opts.notes !== undefined && { notes: opts.notes }),
  });
  printCreated(c, release, created, ` on ${r.url}`);
  return 0;
}

export async function remoteReleases(c: Context, r: ApiClient, opts: { limit: number }): Promise<number> {
  const { app } = await r.project();
  const list = await r.releases(app, opts.limit);
  printReleases(c, app, list);
  return 0;
}

export async function remoteReleaseRm(c: Context, r: ApiClient, ref: string): Promise<number> {
  printRemoved(c, (await r.removeRelease(ref)).removed);
  return 0;
}
