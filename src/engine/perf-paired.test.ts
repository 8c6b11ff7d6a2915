/**
 * The interleaved side-by-side load against a real HTTP server that answers each release (told by
 * the preview header) its own way: every answer and error lands on the release it was sent to.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { runPairedLoad } from './perf-paired.ts';

const HEADER = 'x-slipway-release';
/** Release id → how it answers: a service time, or a 500. */
const BEHAVIOUR: Record<string, { ms: number; status: number }> = {
  slow: { ms: 40, status: 200 },
  fast: { ms: 5, status: 200 },
  broken: { ms: 5, status: 500 },
};

describe('runPairedLoad', () => {
  let server: Server;
  let origin = '';
  const seen: Record<string, number> = {};
  before(async () => {
    server = createServer((req, res) => {
      const id = String(req.headers[HEADER]);
      seen[id] = (seen[id] ?? 0) + 1;
      const b = BEHAVIOUR[id] ?? { ms: 0, status: 404 };
      setTimeout(() => res.writeHead(b.status).end('ok'), b.ms);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const spec = { paths: ['/', '/api'], rate: 60, durationMs: 3000, connections: 3 };

  test('each release gets its own latencies, the step’s rate each, in the same slices', async () => {
    const r = await runPairedLoad({ origin, ...spec }, HEADER, 'slow', 'fast');
    assert.ok(r.mine.figures.p50 >= 40, `slow p50 ${r.mine.figures.p50}`);
    assert.ok(r.theirs.figures.p50 < 40, `fast p50 ${r.theirs.figures.p50}`);
    assert.equal(r.mine.figures.errorRate, 0);
    assert.equal(r.theirs.figures.errorRate, 0);
    // Interleaved: both sides sent about as many requests, both filled the same slices.
    const ratio = (seen.slow ?? 0) / (seen.fast ?? 1);
    assert.ok(ratio > 0.8 && ratio < 1.25, `slow/fast requests ${seen.slow}/${seen.fast}`);
    assert.equal(r.mine.slices.length, r.theirs.slices.length);
    assert.ok(r.mine.slices.length >= 2);
  });

  test('errors land on the release that answered them, not on the other', async () => {
    const r = await runPairedLoad({ origin, ...spec }, HEADER, 'broken', 'fast');
    assert.equal(r.mine.figures.errorRate, 1);
    assert.ok(r.mine.figures.requests > 0);
    assert.equal(r.theirs.figures.errorRate, 0);
    assert.ok(r.theirs.figures.requests > 0);
  });
});
