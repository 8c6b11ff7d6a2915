/**
 * The hardening an exposed control plane needs, against real `slipway server` processes over
 * real HTTP (raw sockets where a well-behaved client cannot misbehave enough): failed sign-ins
 * are limited and their audit is bounded, cross-site state changes are refused, a stalled body
 * is closed, and a client aborting an upload leaves no stack trace in the server's output.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../src/store/factory.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { initToken, startSlipway, stopProcess } from './cli-helpers.ts';

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  readonly admin: string;
  readonly out: () => string;
}

async function start(dir: string, extra: string[] = []): Promise<Server> {
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(repoRoot, 'examples/shop/slipway.yaml'), join(dir, 'slipway.yaml'));
  const s = await startSlipway(dir, ['server', '--port', '0', '--init', ...extra], /API on http/);
  const url = /API on (http:\/\/[\d.:]+)/.exec(s.out())?.[1] as string;
  return { child: s.child, url, port: Number(new URL(url).port), admin: initToken(s.out()), out: s.out };
}

/** Sends `head` (and `body`), then waits for the server to close the connection; resolves what came back. */
function rawRequest(port: number, head: string, body = '', abortAfterMs?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (c) => (got += c));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
    socket.on('close', () => resolve(got));
    socket.write(head + body);
    if (abortAfterMs !== undefined) setTimeout(() => socket.destroy(), abortAfterMs);
  });
}

describe('slipway server hardening (real processes)', () => {
  const dir = tempDir('slipway-hardening-');
  let server: Server;
  before(async () => {
    server = await start(join(dir.path, 'main'), ['--body-timeout', '1s']);
  });
  after(async () => {
    await stopProcess(server?.child);
    dir.cleanup();
  });

  test('Origin: null and cross-site fetch metadata may not change state, even with a valid token', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/api/deployments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.admin}`,
          'content-type': 'application/json',
          ...headers,
        },
        body: JSON.stringify({ env: 'staging', release: 'none' }),
      });
    const refused: Record<string, string>[] = [
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'http://evil.example' },
    ];
    for (const headers of refused) {
      const r = await post(headers);
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'CSRF_INVALID');
    }
    const signIn = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { origin: 'null', 'content-type': 'application/json' },
      body: JSON.stringify({ token: server.admin }),
    });
    assert.equal(signIn.status, 403, 'no sign-in from a sandboxed page either');
    // The same request from this site, or from a client that is no browser, goes on to the route.
    for (const headers of [{}, { origin: server.url, 'sec-fetch-site': 'same-origin' }] as Record<
      string,
      string
    >[]) {
      const r = await post(headers);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'RELEASE_NOT_FOUND');
    }
  });

  test('a request body that never finishes is closed by the server (--body-timeout 1s)', async () => {
    const head =
      'POST /api/deployments HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      `Authorization: Bearer ${server.admin}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
    // Resolves only when the server closes the socket: the test's own timeout bounds the wait.
    const got = await rawRequest(server.port, head, '{"env":');
    assert.doesNotMatch(got, /HTTP\/1.1 2/, 'nothing was done with half a body');
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200, 'the server serves on');
  });

  test('a client aborting an upload makes no stack trace; the server serves on', async () => {
    const head =
      'POST /api/releases?version=9.9.9 HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      `Authorization: Bearer ${server.admin}\r\nContent-Type: application/gzip\r\nContent-Length: 10000000\r\n\r\n`;
    await rawRequest(server.port, head, 'x'.repeat(256 * 1024), 200);
    // Let the server notice and handle the abort before reading its output.
    for (let i = 0; i < 20 && !/upload|abort/i.test(server.out()); i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
    assert.doesNotMatch(
      server.out(),
      /^\s+at .+:\d+:\d+\)?$/m,
      `a stack trace was printed:\n${server.out()}`,
    );
  });
});

describe('failed sign-ins (their own server: the flood locks out 127.0.0.1)', () => {
  const dir = tempDir('slipway-signin-');
  let server: Server;
  before(async () => {
    server = await start(dir.path);
  });
  after(async () => {
    await stopProcess(server?.child);
    dir.cleanup();
  });

  test('1,000 failed sign-ins: bounded audit rows (per source and minute), the caller made to wait', async () => {
    const statuses: Record<number, number> = {};
    let retryAfter: string | null = null;
    for (let i = 0; i < 1000; i++) {
      const r =
        i % 2 === 0
          ? await fetch(`${server.url}/api/deployments`, {
              headers: { authorization: `Bearer slw_wrong${i}` },
            })
          : await fetch(`${server.url}/api/session`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ token: `slw_wrong${i}` }),
            });
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 429) retryAfter ??= r.headers.get('retry-after');
      await r.arrayBuffer();
    }
    assert.equal((statuses[401] ?? 0) + (statuses[429] ?? 0), 1000, JSON.stringify(statuses));
    // 10 free failures, then only one try per (doubling) wait: the rest never reach a token check.
    assert.ok((statuses[401] ?? 0) <= 30, `tokens checked: ${JSON.stringify(statuses)}`);
    assert.ok(Number(retryAfter) >= 1, `Retry-After: ${retryAfter}`);
    // Even the right token waits out the backoff from this client.
    const locked = await fetch(`${server.url}/api/session`, {
      headers: { authorization: `Bearer ${server.admin}` },
    });
    assert.equal(locked.status, 429);
    await stopProcess(server.child);

    const store = await openStore(undefined, dir.path);
    try {
      const rows = (await store.listAudit(0, 100_000)).filter((e) => e.action.startsWith('auth.denied'));
      assert.ok(rows.length <= 6, `${rows.length} audit rows for 1,001 refusals`);
      const first = rows.filter((e) => e.action === 'auth.denied');
      const counted =
        first.length +
        rows
          .filter((e) => e.action === 'auth.denied.summary')
          .reduce((n, e) => n + (e.data as { count: number }).count - 1, 0);
      assert.equal(counted, 1001, 'every refusal is counted');
    } finally {
      await store.close();
    }
  });
});
