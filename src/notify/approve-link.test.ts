/** Approve links on real SQLite and PostgreSQL: good once; used twice, expired, altered, another deployment refused. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { openStore } from '../store/factory.ts';
import { BACKENDS } from '../store/testing.ts';
import { approveToken, issueApproveLink, redeemApproveLink } from './approve-link.ts';

const tokenOf = (url: string) => new URL(url.replace('#', '')).searchParams.get('t') ?? '';

for (const backend of BACKENDS) {
  describe(`approve links (${backend.name})`, async () => {
    const skip = await backend.skip();
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups) await c();
    });

    test('one use; then used, expired, altered, another deployment and a forged key are refused', {
      skip,
    }, async () => {
      const { url, cleanup } = await backend.fresh();
      cleanups.push(cleanup);
      const s = await openStore(url, process.cwd());
      try {
        const t0 = Date.parse('2026-03-01T10:00:00Z');
        const link = await issueApproveLink(
          s.approveLinks,
          'https://deploy.example.com/',
          'dep-1',
          3_600_000,
          t0,
        );
        assert.match(
          link.url,
          /^https:\/\/deploy\.example\.com\/#\/approve\/dep-1\?t=[\w-]+\.\d+\.[\w-]{43}$/,
        );
        assert.equal(link.expiresAt, '2026-03-01T11:00:00.000Z');
        const token = tokenOf(link.url);
        const other = await issueApproveLink(s.approveLinks, 'https://d.example.com', 'dep-2', 1000, t0);

        const why = async (dep: string, tok: string, now = t0 + 1000) => {
          const r = await redeemApproveLink(s.approveLinks, dep, tok, 'alice', now);
          return r.ok ? 'ok' : r.why;
        };
        assert.equal(await why('dep-1', token, t0 + 3_600_000), 'expired', 'at its expiry');
        assert.equal(await why('dep-2', token), 'another deployment');
        assert.equal(
          await why('dep-1', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`),
          'altered',
        );
        const [nonce, exp] = token.split('.');
        assert.equal(
          await why('dep-1', `${nonce}.${Number(exp) + 3_600_000}.${token.split('.')[2]}`),
          'altered',
          'a later expiry',
        );
        const forged = approveToken(Buffer.alloc(32, 7), 'dep-1', nonce ?? '', Number(exp));
        assert.equal(await why('dep-1', forged), 'altered', 'signed with another key');
        assert.equal(await why('dep-1', 'not-a-token'), 'malformed');
        assert.equal(await why('dep-1', token), 'ok');
        assert.equal(await why('dep-1', token), 'used');
        const used = await s.approveLinks.find(nonce ?? '');
        assert.equal(used?.usedBy, 'alice');
        assert.equal(await why('dep-2', tokenOf(other.url), t0 + 2000), 'expired');
        assert.ok((await s.schemaVersion()) >= 10, 'approve links arrived with schema 10');
      } finally {
        await s.close();
      }
    });
  });
}
