/**
 * Release registration over the API, real HTTP and a real SQLite store: upload (streamed to disk,
 * size-limited, verified by sha256 and content digest), idempotent re-upload, refusals by role,
 * list, remove, and the project endpoint a client without slipway.yaml reads.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tar from 'tar';
import { parseConfig } from '../config/load.ts';
import { digestOf } from '../releases/digest.ts';
import { BACKENDS } from '../store/testing.ts';
import { repoRoot, tempDir } from '../testing.ts';
import { startTestServer, type TestServer } from './testing.ts';

type ErrorJson = { error: { code: string; message: string } };
const sqlite = BACKENDS.find((b) => b.name === 'sqlite');

describe('POST/GET/DELETE /api/releases', () => {
  const dir = tempDir();
  const dataDir = join(dir.path, '.slipway');
  let t: TestServer;
  let archive: Buffer;
  let digest: string;
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const upload = (query: string, body: RequestInit['body'], token = t.admin, type = 'application/gzip') =>
    t.request(`/api/releases?${query}`, {
      method: 'POST',
      token,
      body,
      headers: { 'content-type': type },
      duplex: 'half',
    } as RequestInit & { token: string });

  before(async () => {
    const loaded = parseConfig(
      readFileSync(join(repoRoot, 'examples/shop/slipway.yaml'), 'utf8'),
      'slipway.yaml',
    );
    assert.ok(loaded.ok);
    mkdirSync(join(dir.path, 'build'));
    writeFileSync(join(dir.path, 'build', 'server.js'), 'console.log("hi")\n');
    await tar.c({ gzip: true, file: join(dir.path, 'build.tgz'), cwd: join(dir.path, 'build') }, ['.']);
    archive = readFileSync(join(dir.path, 'build.tgz'));
    digest = (await digestOf(join(dir.path, 'build.tgz'))).digest;
    t = await startTestServer(sqlite as NonNullable<typeof sqlite>, {
      config: loaded.config,
      dataDir,
      maxUploadBytes: 4096,
    });
  });
  after(async () => {
    await t?.close();
    dir.cleanup();
  });

  test('the project: app and lifecycle, for clients without slipway.yaml', async () => {
    const r = await t.request('/api/project', { token: t.admin });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { app: 'shop', lifecycle: ['staging', 'production'], urls: {} });
  });

  test('registers an uploaded archive once, verified by its sha256 and digest; again is idempotent', async () => {
    const q = `version=1.0.0&ci=passed&commit=abc&sha256=${sha(archive)}&digest=${digest}`;
    const r = await upload(q, archive);
    assert.equal(r.status, 201, await r.clone().text());
    const body = (await r.json()) as {
      created: boolean;
      release: { version: string; digest: string; files: number; createdBy: string };
    };
    assert.deepEqual(
      [body.created, body.release.version, body.release.digest, body.release.files, body.release.createdBy],
      [true, '1.0.0', digest, 1, 'root'],
    );
    const kept = join(dataDir, 'releases', digest.replace(':', '-'), 'server.js');
    assert.equal(readFileSync(kept, 'utf8'), 'console.log("hi")\n');
    const again = await upload(q, archive);
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { created: boolean }).created, false);
    const other = await upload(`version=1.0.0&ci=failed`, archive);
    assert.equal(other.status, 409);
    assert.match(((await other.json()) as ErrorJson).error.message, /already registered differently/);
  });

  test('a sha256 or digest that does not match is a 400, and nothing is registered or left behind', async () => {
    const bad = await upload(`version=2.0.0&sha256=${'0'.repeat(64)}`, archive);
    assert.equal(bad.status, 400);
    const e = (await bad.json()) as ErrorJson;
    assert.equal(e.error.code, 'RELEASE_DIGEST_MISMATCH');
    assert.match(e.error.message, /has sha256 [0-9a-f]{64}, but the client announced 0{64}/);
    const badDigest = await upload(`version=2.0.0&digest=sha256:${'1'.repeat(64)}`, archive);
    assert.equal(badDigest.status, 400);
    assert.match(
      ((await badDigest.json()) as ErrorJson).error.message,
      /has digest sha256:[0-9a-f]{64}, but the sender announced/,
    );
    const text = await upload('version=2.0.0', Buffer.from('not an archive at all\n'));
    assert.equal(text.status, 400);
    assert.equal(((await text.json()) as ErrorJson).error.code, 'RELEASE_SOURCE_INVALID');
    assert.match(
      ((await (await upload('version=2.0.0', Buffer.from('x'))).json()) as ErrorJson).error.message,
      /^the uploaded archive is not a readable tar archive/,
    );
    const version = await upload(`version=${encodeURIComponent('2\u001b[31m')}`, archive);
    assert.equal(version.status, 400);
    assert.equal(((await version.json()) as ErrorJson).error.code, 'RELEASE_VERSION_INVALID');
    const list = (await (await t.request('/api/releases', { token: t.admin })).json()) as {
      version: string;
    }[];
    assert.deepEqual(
      list.map((r) => r.version),
      ['1.0.0'],
    );
    assert.deepEqual(readdirSync(join(dataDir, 'uploads')), []);
    assert.deepEqual(
      readdirSync(join(dataDir, 'releases')).filter((n) => n.startsWith('.')),
      [],
    );
  });

  test('over the limit is a 413 naming the limit, declared or streamed without a length', async () => {
    const big = Buffer.alloc(10_000, 1);
    const declared = await upload('version=3.0.0', big);
    assert.equal(declared.status, 413);
    assert.match(
      ((await declared.json()) as ErrorJson).error.message,
      /over the server's limit of 4096 bytes; .*--max-upload/,
    );
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(1000));
        controller.close();
      },
    });
    const streamed = await upload('version=3.0.0', chunks);
    assert.equal(streamed.status, 413);
    assert.deepEqual(readdirSync(join(dataDir, 'uploads')), []);
  });

  test('needs a role that may register: viewer and approver are refused, a deployer of one environment may', async () => {
    const viewer = await t.user('vic', [{ env: '*', role: 'viewer' }]);
    const approver = await t.user('ann', [{ env: 'production', role: 'approver' }]);
    const ci = await t.user('ci', [{ env: 'staging', role: 'deployer' }]);
    assert.equal((await upload('version=4.0.0', archive, viewer)).status, 403);
    assert.equal((await upload('version=4.0.0', archive, approver)).status, 403);
    const json = await upload('version=4.0.0', archive, ci, 'application/json');
    assert.equal(json.status, 400);
    assert.match(((await json.json()) as ErrorJson).error.message, /send the archive as application\/gzip/);
    assert.equal(
      (await upload('version=4.0.0', archive, ci)).status,
      201,
      'a new version (its content is stored once, shared with 1.0.0)',
    );
    const del = await t.request('/api/releases/4.0.0', { method: 'DELETE', token: ci });
    assert.equal(del.status, 403, 'removing needs the right on every environment');
  });

  test('DELETE removes an unused release; one an environment runs is refused', async () => {
    const rel = await t.store.findRelease('shop', '1.0.0');
    await t.store.setEnvironmentRelease('shop', 'staging', rel?.id ?? '', 'root');
    const refused = await t.request('/api/releases/1.0.0', { method: 'DELETE', token: t.admin });
    assert.equal(refused.status, 409);
    assert.match(((await refused.json()) as ErrorJson).error.message, /staging runs it/);
    const ok = await t.request('/api/releases/4.0.0', { method: 'DELETE', token: t.admin });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(((await ok.json()) as { removed: { version: string } }).removed.version, '4.0.0');
    const kept = join(dataDir, 'releases', digest.replace(':', '-'), 'server.js');
    assert.ok(readFileSync(kept), '1.0.0 has the same content: its files stay');
    const missing = await t.request('/api/releases/4.0.0', { method: 'DELETE', token: t.admin });
    assert.equal(missing.status, 404);
  });
});
