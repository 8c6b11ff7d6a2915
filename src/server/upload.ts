/**
 * A request body streamed to a file: never held whole in memory, refused (413) as soon as it
 * passes the limit, hashed as it arrives. The file lands in a fresh folder the caller removes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../domain/errors.ts';
import { sweepStale } from '../releases/artifacts.ts';

export interface Received {
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Remove the received file and its folder. */
  discard(): Promise<void>;
}

export const tooLarge = (maxBytes: number): AppError =>
  new AppError(
    'BODY_TOO_LARGE',
    `the upload is over the server's limit of ${maxBytes} bytes; the server's admin can raise it with \`slipway server --max-upload <bytes>\``,
  );

export async function receiveUpload(
  request: Request,
  options: { readonly dir: string; readonly maxBytes: number; readonly name: string },
): Promise<Received> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > options.maxBytes) throw tooLarge(options.maxBytes);
  if (!request.body) throw new AppError('REQUEST_INVALID', 'invalid request: the upload has no body');
  await sweepStale(options.dir, 'upload-');
  const folder = join(options.dir, `upload-${process.pid}-${randomBytes(8).toString('hex')}`);
  const discard = () => rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const file = join(folder, options.name);
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > options.maxBytes) return done(tooLarge(options.maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(request.body as import('node:stream/web').ReadableStream),
      meter,
      createWriteStream(file, { flags: 'wx', mode: 0o600 }),
    );
  } catch (error) {
    await discard();
    if (error instanceof AppError) throw error;
    throw new AppError(
      'REQUEST_INVALID',
      `invalid request: the upload broke off after ${bytes} bytes (${(error as Error).message})`,
    );
  }
  return { file, sha256: hash.digest('hex'), bytes, discard };
}
