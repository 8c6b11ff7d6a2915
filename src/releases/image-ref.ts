/**
 * Image references as people write them: `REGISTRY/NAME:TAG`, `REGISTRY/NAME@sha256:…`, or both
 * (`NAME:TAG@sha256:…`, the digest wins). Without a registry part (no dot, colon or `localhost` in
 * the first component) the registry is Docker Hub, as the docker CLI reads it.
 */
import { AppError } from '../domain/errors.ts';

export interface ImageRef {
  /** Host[:port] of the registry, e.g. `127.0.0.1:5000` or `ghcr.io`. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `acme/shop`. */
  readonly name: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function parseImageRef(text: string): ImageRef {
  const fail = (why: string) =>
    new AppError(
      'USAGE',
      `--image ${JSON.stringify(text)}: ${why}; write REGISTRY/NAME:TAG or REGISTRY/NAME@sha256:<64 hex>, e.g. registry.example.com/shop:1.4.2`,
    );
  let rest = text.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw fail(`${JSON.stringify(digest)} is not a sha256 digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw fail(`${JSON.stringify(tag)} is not a valid tag`);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasRegistry =
    parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : 'docker.io';
  let name = hasRegistry ? parts.slice(1).join('/') : rest;
  if (!hasRegistry && !name.includes('/')) name = `library/${name}`;
  if (name === '' || !NAME.test(name)) throw fail(`${JSON.stringify(name)} is not a repository name`);
  if (tag === undefined && digest === undefined) throw fail('it names no tag and no digest');
  return { registry, name, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** `registry/name`, the repository an image lives in. */
export function repositoryOf(ref: Pick<ImageRef, 'registry' | 'name'>): string {
  return `${ref.registry}/${ref.name}`;
}

/** What shows the image in messages: `registry/name:tag` or `registry/name@digest`. */
export function showRef(ref: ImageRef): string {
  return `${repositoryOf(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
