/**
 * 1,200 generated bad requests (seeded, so a failure reproduces): wrong types, unknown and missing
 * fields, malformed and truncated JSON, wrong content types, oversized bodies, odd paths and
 * queries, hostile strings. None may answer 5xx and none may change what the store holds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mulberry32 } from '../analysis/judges/seeded.ts';
import type { Store } from '../store/contract.ts';
import { BACKENDS } from '../store/testing.ts';
import { seedDeployment, startTestServer, type TestServer } from './testing.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const COUNT = 1200;

const HOSTILE = [
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '../../etc/passwd',
  '\u0000',
  '%00',
  '😀'.repeat(20),
  '__proto__',
  'constructor',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
  '${7*7}',
  '\r\nSet-Cookie: x=1',
];

interface Req {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
}

function generator(seed: number, deploymentId: string) {
  const r = mulberry32(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const nonString = (): unknown =>
    pick([null, true, false, 0, -1, 3.5, 1e21, [], {}, [1, 'a'], { a: { b: [] } }, [HOSTILE[0]]]);
  const weird = (): unknown => (r() < 0.5 ? nonString() : pick([...HOSTILE, '', 'x'.repeat(int(300))]));
  const key = () =>
    pick(['force', 'admin', 'role', 'x', '__proto__', 'constructor', 'reason2', HOSTILE[0] as string, '']);

  /** A body that is wrong in at least one way, from a valid template. */
  function badBody(
    template: Record<string, unknown>,
    strings: readonly string[],
  ): { body: string; contentType?: string } {
    const text = JSON.stringify(template);
    switch (int(8)) {
      case 0: {
        const k = pick(strings);
        return { body: JSON.stringify({ ...template, [k]: nonString() }) };
      }
      case 1:
        return { body: JSON.stringify({ ...template, [key()]: weird() }) };
      case 2: {
        const copy: Record<string, unknown> = { ...template };
        delete copy[pick(Object.keys(template))];
        return { body: JSON.stringify({ ...copy, [key()]: weird() }) };
      }
      case 3:
        return { body: text.slice(0, Math.max(1, int(text.length - 1))) };
      case 4:
        return { body: JSON.stringify(pick([[template], 'text', 42, null, true])) };
      case 5:
        return {
          body: text,
          contentType: pick([
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data',
            'application/xml',
          ]),
        };
      case 6:
        return { body: `{"__proto__": {"admin": true}, ${text.slice(1, -1)}, "${key()}x": 1}` };
      default:
        return {
          body: pick(['{', '}', '[', 'nul', '{"a":}', '{"a" 1}', '\u0000', '{"a":1,}', "{'a':1}", '']),
        };
    }
  }

  return (): Req => {
    switch (int(10)) {
      case 0:
        return {
          method: 'POST',
          path: '/api/deployments',
          ...badBody({ env: 'staging', release: '1.0.0' }, ['env', 'release']),
        };
      case 1:
        return {
          method: 'POST',
          path: `/api/deployments/${deploymentId}/${pick(['pause', 'resume', 'abort', 'rollback', 'approve', 'reject'])}`,
          ...badBody({ reason: 'because' }, ['reason']),
        };
      case 2:
        return {
          method: 'POST',
          path: `/api/deployments/${encodeURIComponent(String(weird()))}/${encodeURIComponent(pick(['explode', 'PAUSE', '', '..', HOSTILE[0] as string]))}`,
          body: '{}',
        };
      case 3:
        return {
          method: 'POST',
          path: '/api/tokens',
          ...badBody({ user: 'root', name: 'ci', expiresInDays: 5 }, ['user', 'name', 'expiresInDays']),
        };
      case 4:
        return {
          method: 'POST',
          path: '/api/users',
          ...badBody({ name: 'newbie', grants: [{ env: '*', role: 'viewer' }] }, ['name']),
        };
      case 5: {
        const k = pick(['limit', 'status', 'before', 'env', 'by', 'app', 'colour', '__proto__']);
        const v = pick(['-1', '0', '99999', 'abc', '1e3', '', 'great', 'yesterday', ...HOSTILE]);
        const bad = k === 'limit' || k === 'colour' || k === '__proto__' ? v : `${v}\u0000${HOSTILE[0]}`;
        return {
          method: 'GET',
          path: `/api/${pick(['deployments', 'environments', 'releases', 'audit'])}?${encodeURIComponent(k)}=${encodeURIComponent(bad)}&zz=${int(9)}`,
        };
      }
      case 6:
        return {
          method: pick(['PUT', 'PATCH', 'DELETE']),
          path: pick(['/api/deployments', `/api/deployments/${deploymentId}`, '/api/environments']),
          body: '{}',
        };
      case 7:
        return { method: 'DELETE', path: `/api/tokens/${encodeURIComponent(String(weird()))}x` };
      case 8:
        return {
          method: 'POST',
          path: `/api/environments/${pick(['staging', 'production', '..', '%2e%2e', 'a b'])}/rollback`,
          ...badBody({ to: '1.0.0', reason: 'bad numbers' }, ['to', 'reason']),
        };
      default:
        return {
          method: 'POST',
          path: '/api/deployments',
          body: `{"env":"${'s'.repeat(70_000 + int(50_000))}","release":"1"}`,
        };
    }
  };
}

async function snapshot(store: Store, deploymentId: string): Promise<string> {
  const audit = (await store.listAudit(0, 100_000)).filter((e) => e.action !== 'auth.denied');
  return JSON.stringify({
    deployments: (await store.listDeployments({ limit: 1000 })).map((d) => [d.id, d.status, d.revision]),
    events: (await store.listEvents(undefined, 0, 100_000)).length,
    approvals: await store.listApprovals(deploymentId),
    tokens: await store.listTokens(),
    users: await store.listUsers(),
    releases: (await store.listReleases('shop', 1000)).map((r) => r.id),
    audit: audit.map((e) => e.hash),
  });
}

for (const backend of BACKENDS.filter((b) => b.name === 'sqlite')) {
  describe(`API fuzz: ${COUNT} bad requests (${backend.name}, seed ${SEED})`, async () => {
    const skip = await backend.skip();
    let t: TestServer;
    before(async () => {
      if (!skip) t = await startTestServer(backend);
    });
    after(async () => t?.close());

    test('answers every bad request with a 4xx and changes nothing', { skip }, async () => {
      const d = await seedDeployment(t.store, { env: 'staging' });
      const before = await snapshot(t.store, d.id);
      const next = generator(SEED, d.id);
      const requests = Array.from({ length: COUNT }, next);
      const statuses = new Map<number, number>();
      const failures: string[] = [];
      for (let i = 0; i < requests.length; i += 12) {
        await Promise.all(
          requests.slice(i, i + 12).map(async (q, j) => {
            const headers: Record<string, string> = { authorization: `Bearer ${t.admin}` };
            if (q.body !== undefined) headers['content-type'] = q.contentType ?? 'application/json';
            const r = await fetch(`${t.url}${q.path}`, {
              method: q.method,
              headers,
              ...(q.body !== undefined && { body: q.body }),
            });
            const text = await r.text();
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
            if (r.status < 400 || r.status >= 500)
              failures.push(
                `#${i + j} ${q.method} ${q.path.slice(0, 120)} ${q.body?.slice(0, 120)} → ${r.status} ${text.slice(0, 200)}`,
              );
            else if (!/^\{"error":\{"code":"[A-Z_]+","message":/.test(text))
              failures.push(
                `#${i + j} ${q.method} ${q.path.slice(0, 80)} → ${r.status} without an error body: ${text.slice(0, 100)}`,
              );
          }),
        );
      }
      assert.deepEqual(
        failures.slice(0, 10),
        [],
        `${failures.length} bad answers; statuses ${JSON.stringify([...statuses])}`,
      );
      assert.equal(await snapshot(t.store, d.id), before, 'the store is unchanged');
      if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify([...statuses]));
      assert.ok([...statuses.values()].reduce((a, b) => a + b, 0) >= 1000);
    });
  });
}
