/**
 * The registry client against a real distribution registry on 127.0.0.1 with basic auth (bcrypt
 * htpasswd). Images are pushed with the registry's own upload API: a small config and layer, for
 * this host's platform and for another one, and a multi-platform index.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import { engineSkip, startRegistry, type TestRegistry } from '../runtime/container/testing.ts';
import { freePort } from '../runtime/process/ports.ts';
import { tempDir } from '../testing.ts';
import { parseImageRef } from './image-ref.ts';
import { hostPlatform, resolveImage } from './registry.ts';

const skip = engineSkip();
const USER = { username: 'ci', password: 'pw-registry-e2e-Tq7' };
const auth = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;
const sha = (body: Buffer) => `sha256:${createHash('sha256').update(body).digest('hex')}`;

async function pushBlob(host: string, name: string, body: Buffer): Promise<string> {
  const digest = sha(body);
  const start = await fetch(`http://${host}/v2/${name}/blobs/uploads/`, {
    method: 'POST',
    headers: { authorization: auth },
  });
  assert.equal(start.status, 202);
  const location = new URL(start.headers.get('location')!, `http://${host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { authorization: auth, 'content-type': 'application/octet-stream' },
    body,
  });
  assert.equal(put.status, 201, await put.text());
  return digest;
}

async function pushManifest(host: string, name: string, ref: string, type: string, body: object) {
  const bytes = Buffer.from(JSON.stringify(body));
  const put = await fetch(`http://${host}/v2/${name}/manifests/${ref}`, {
    method: 'PUT',
    headers: { authorization: auth, 'content-type': type },
    body: bytes,
  });
  assert.equal(put.status, 201, await put.text());
  return sha(bytes);
}

/** A one-layer image for `os/architecture` with `labels`; returns its manifest digest. */
async function pushImage(host: string, name: string, tag: string, architecture: string, labels = {}) {
  const layer = Buffer.from(`layer for ${architecture} ${tag}`);
  const config = Buffer.from(JSON.stringify({ os: 'linux', architecture, config: { Labels: labels } }));
  const layerDigest = await pushBlob(host, name, layer);
  const configDigest = await pushBlob(host, name, config);
  return pushManifest(host, name, tag, 'application/vnd.oci.image.manifest.v1+json', {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: config.length,
    },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length },
    ],
  });
}

describe('the registry client against a real registry with basic auth', { skip }, () => {
  const dir = tempDir('slipway-registry-');
  let registry: TestRegistry;
  const here = hostPlatform().architecture;
  const other = here === 'arm64' ? 'amd64' : 'arm64';
  const digests: Record<string, string> = {};

  before(async () => {
    const hash = execFileSync('python3', [
      '-W',
      'ignore',
      '-c',
      `import crypt; print(crypt.crypt(${JSON.stringify(USER.password)}, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))`,
    ])
      .toString()
      .trim();
    registry = await startRegistry(dir.path, `${USER.username}:${hash}\n`);
    const h = registry.host;
    digests.app = await pushImage(h, 'shop', '1.4.2', here, {
      'org.opencontainers.image.version': '1.4.2',
      'org.opencontainers.image.revision': 'abc123',
    });
    digests.otherArch = await pushImage(h, 'shop', 'arm-only', other);
    digests.hereInIndex = await pushImage(h, 'shop', 'multi-here', here);
    digests.otherInIndex = await pushImage(h, 'shop', 'multi-other', other);
    digests.index = await pushManifest(h, 'shop', 'multi', 'application/vnd.oci.image.index.v1+json', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: digests.otherInIndex,
          size: 1,
          platform: { os: 'linux', architecture: other },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: digests.hereInIndex,
          size: 1,
          platform: { os: 'linux', architecture: here },
        },
      ],
    });
  });
  after(async () => {
    await registry?.stop();
    dir.cleanup();
  });

  const resolve = (ref: string, credentials: typeof USER | null = USER) =>
    resolveImage(parseImageRef(`${registry.host}/${ref}`), credentials ?? undefined);
  const code = async (p: Promise<unknown>) => {
    const error = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isAppError(error), `expected an AppError, got ${String(error)}`);
    return { code: error.code, message: error.message };
  };

  test('a tag resolves to the digest the registry holds, with the OCI labels', async () => {
    const r = await resolve('shop:1.4.2');
    assert.equal(r.digest, digests.app);
    assert.equal(r.image, `${registry.host}/shop@${digests.app}`);
    assert.equal(r.labels['org.opencontainers.image.version'], '1.4.2');
    assert.equal(r.platform, `linux/${here}`);
    assert.equal((await resolve(`shop@${digests.app}`)).digest, digests.app);
  });

  test('an index resolves to the manifest of this host platform', async () => {
    assert.equal((await resolve('shop:multi')).digest, digests.hereInIndex);
  });

  test('no credentials or wrong ones: REGISTRY_AUTH_FAILED naming the registry and what to set', async () => {
    const none = await code(resolve('shop:1.4.2', null));
    assert.equal(none.code, 'REGISTRY_AUTH_FAILED');
    assert.match(
      none.message,
      /refused access to .*shop:1\.4\.2 \(HTTP 401\); set SLIPWAY_REGISTRY_USERNAME/,
    );
    const wrong = await code(resolve('shop:1.4.2', { username: 'ci', password: 'nope' }));
    assert.equal(wrong.code, 'REGISTRY_AUTH_FAILED');
    assert.doesNotMatch(wrong.message, /nope/);
  });

  test('a missing tag is IMAGE_NOT_FOUND; another platform is IMAGE_PLATFORM_MISMATCH', async () => {
    const missing = await code(resolve('shop:9.9.9'));
    assert.equal(missing.code, 'IMAGE_NOT_FOUND');
    assert.match(missing.message, /no tag 9\.9\.9/);
    const arm = await code(resolve('shop:arm-only'));
    assert.equal(arm.code, 'IMAGE_PLATFORM_MISMATCH');
    assert.match(arm.message, new RegExp(`built for linux/${other}, not for this host \\(linux/${here}\\)`));
  });

  test('a registry that is down is named with the reason', async () => {
    const port = await freePort();
    const down = await code(resolveImage(parseImageRef(`127.0.0.1:${port}/shop:1`), undefined));
    assert.equal(down.code, 'IMAGE_PULL_FAILED');
    assert.match(down.message, new RegExp(`127\\.0\\.0\\.1:${port} .* cannot be reached \\(ECONNREFUSED\\)`));
  });
});
