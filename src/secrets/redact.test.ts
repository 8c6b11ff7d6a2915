import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { AhoCorasick, mergeMatches } from './aho-corasick.ts';
import { looksLikeSecretName } from './key-names.ts';
import { Redactor, secretForms } from './redact.ts';

const secrets = {
  STRIPE_KEY: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
  DB_PASSWORD: 'p@ss w0rd/with?odd&chars',
  PEM: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----',
};

async function throughStream(r: Redactor, chunks: (string | Buffer)[]): Promise<string> {
  const out = r.stream();
  const collected = text(out);
  await pipeline(Readable.from(chunks), out);
  return collected;
}

describe('Aho-Corasick matcher', () => {
  test('finds every occurrence of every pattern, overlapping ones included', () => {
    const ac = new AhoCorasick(['he', 'she', 'his', 'hers']);
    const found = ac.scan('ushers').matches.map((m) => `${m.start}-${m.end}:${m.pattern}`);
    assert.deepEqual(found.sort(), ['1-4:1', '2-4:0', '2-6:3'].sort());
    assert.deepEqual(mergeMatches(ac.scan('ushers').matches), [{ start: 1, end: 6, patterns: [1, 3, 0] }]);
    const { state } = ac.scan('xxsh');
    assert.equal(ac.pendingLength(state), 2);
    assert.equal(ac.pendingLength(ac.scan('xyz').state), 0);
  });

  test('agrees with a naive search on random input', () => {
    const patterns = ['abab', 'bab', 'aab', 'b', 'abba'];
    const ac = new AhoCorasick(patterns);
    for (let round = 0; round < 50; round++) {
      const input = Array.from(randomBytes(40), (b) => 'ab'[b % 2]).join('');
      const naive: string[] = [];
      patterns.forEach((p, i) => {
        for (let at = input.indexOf(p); at !== -1; at = input.indexOf(p, at + 1)) naive.push(`${at}:${i}`);
      });
      const fast = ac.scan(input).matches.map((m) => `${m.start}:${m.pattern}`);
      assert.deepEqual(fast.sort(), naive.sort(), input);
    }
  });
});

describe('redactor', () => {
  const r = new Redactor(secrets);

  test('secrets and their encoded forms never survive in strings', () => {
    for (const [key, value] of Object.entries(secrets)) {
      for (const form of secretForms(value)) {
        const out = r.redact(`before ${form} after`);
        assert.ok(!out.includes(form), `${key} form ${form} survived`);
        assert.match(out, new RegExp(`\\[redacted:${key}\\]`));
      }
    }
    assert.equal(r.redact(`Bearer ${secrets.STRIPE_KEY}.`), 'Bearer [redacted:STRIPE_KEY].');
    assert.equal(
      r.redact(`url=https://u:${encodeURIComponent(secrets.DB_PASSWORD)}@db/x`),
      'url=https://u:[redacted:DB_PASSWORD]@db/x',
    );
  });

  test('overlapping secrets are redacted as their union, leaving no fragment', () => {
    const o = new Redactor({ A: 'abcdef', B: 'defghi' });
    assert.equal(o.redact('xxabcdefghixx'), 'xx[redacted:A,B]xx');
  });

  test('the key-name heuristic hides NAME=value assignments in text', () => {
    const h = new Redactor({});
    assert.equal(
      h.redact(
        'DB_PASSWORD=hunter2 GITHUB_TOKEN: ghp_x "api_key": "abc" LOG_LEVEL=info monkey=1 ?access_token=zz&x=1',
      ),
      'DB_PASSWORD=[redacted:DB_PASSWORD] GITHUB_TOKEN: [redacted:GITHUB_TOKEN] "api_key": "[redacted:api_key]" LOG_LEVEL=info monkey=1 ?access_token=[redacted:access_token]&x=1',
    );
    assert.equal(
      new Redactor({}, { assignments: false }).redact('DB_PASSWORD=hunter2'),
      'DB_PASSWORD=hunter2',
    );
    assert.equal(r.redact(`STRIPE_KEY=${secrets.STRIPE_KEY}`), 'STRIPE_KEY=[redacted:STRIPE_KEY]');
  });

  test('key names: credentials yes, look-alikes no', () => {
    for (const n of [
      'STRIPE_KEY',
      'GITHUB_TOKEN',
      'DB_PASSWORD',
      'CLIENT_SECRET',
      'aws_secret_access_key',
      'API_KEY',
      'apiKey',
      'KEY',
    ]) {
      assert.ok(looksLikeSecretName(n), n);
    }
    for (const n of ['MONKEY', 'LOG_LEVEL', 'PORT', 'KEY_ID', 'PUBLIC_KEY', 'TOKEN_URL', 'KEYBOARD']) {
      assert.ok(!looksLikeSecretName(n), n);
    }
  });

  test('deep objects: nested strings, arrays, credential-named properties, Dates, Errors, cycles', () => {
    const input: Record<string, unknown> = {
      event: 'deploy',
      at: new Date(0),
      env: {
        vars: { STRIPE_KEY: secrets.STRIPE_KEY, password: 1234, PORT: 8080, nested: [`x ${secrets.PEM} y`] },
      },
      error: new Error(`failed with ${secrets.DB_PASSWORD}`),
      nothing: null,
    };
    input.self = input;
    const out = r.redactDeep(input) as {
      env: { vars: Record<string, unknown> & { nested: string[] } };
      at: string;
      error: { message: string };
      self: unknown;
      nothing: unknown;
    };
    const json = JSON.stringify(out);
    for (const v of Object.values(secrets))
      assert.ok(!json.includes(v) && !json.includes(JSON.stringify(v).slice(1, -1)));
    assert.equal(out.env.vars.STRIPE_KEY, '[redacted:STRIPE_KEY]');
    assert.equal(out.env.vars.password, '[redacted:password]');
    assert.equal(out.env.vars.PORT, 8080);
    assert.equal(out.env.vars.nested[0], 'x [redacted:PEM] y');
    assert.equal(out.at, '1970-01-01T00:00:00.000Z');
    assert.equal(out.error.message, 'failed with [redacted:DB_PASSWORD]');
    assert.equal(out.self, '[circular]');
    assert.equal(out.nothing, null);
    assert.equal(
      (input.env as { vars: Record<string, unknown> }).vars.STRIPE_KEY,
      secrets.STRIPE_KEY,
      'the input is not changed',
    );
  });

  test('short values are not searched for and are reported as skipped', () => {
    const s = new Redactor({ PIN: '123', OK: 'long-enough' });
    assert.deepEqual(s.skipped, ['PIN']);
    assert.equal(s.redact('a 123 b long-enough'), 'a 123 b [redacted:OK]');
  });
});

describe('redacting stream', () => {
  const r = new Redactor(secrets);

  test('a secret split across chunks at every possible point never survives', async () => {
    const line = `charge ok key=${secrets.STRIPE_KEY} done\nnext line\n`;
    for (let cut = 1; cut < line.length; cut++) {
      const out = await throughStream(r, [line.slice(0, cut), line.slice(cut)]);
      assert.equal(out, 'charge ok key=[redacted:STRIPE_KEY] done\nnext line\n', `cut at ${cut}`);
    }
  });

  test('one byte at a time, multi-byte characters and a multi-line secret', async () => {
    const input = Buffer.from(
      `ünï ${secrets.PEM} ✓\n${Buffer.from(secrets.STRIPE_KEY).toString('base64')}\n`,
    );
    const chunks = Array.from(input, (b) => Buffer.from([b]));
    const out = await throughStream(r, chunks);
    assert.equal(out, 'ünï [redacted:PEM] ✓\n[redacted:STRIPE_KEY]\n');
  });

  test('seeded secrets never survive a long random log cut into random chunks', async () => {
    const parts: string[] = [];
    const values = Object.values(secrets);
    for (let i = 0; i < 400; i++) {
      parts.push(
        randomBytes(8).toString('hex'),
        i % 7 === 0 ? values[i % values.length]! : ' ',
        i % 5 === 0 ? '\n' : ' ',
      );
    }
    const log = parts.join('');
    const chunks: string[] = [];
    for (let at = 0; at < log.length; ) {
      const n = 1 + (randomBytes(1)[0]! % 50);
      chunks.push(log.slice(at, at + n));
      at += n;
    }
    const out = await throughStream(r, chunks);
    for (const v of values) assert.ok(!out.includes(v));
    assert.equal(out, r.redact(log));
  });

  test('complete lines go out as they come; a partial line waits for its end', async () => {
    const s = r.stream();
    const got: string[] = [];
    s.on('data', (d: Buffer) => got.push(d.toString()));
    s.write('first line\nsecond');
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(got, ['first line\n']);
    s.end(' half\n');
    await new Promise((res) => s.on('end', res));
    assert.deepEqual(got, ['first line\n', 'second half\n']);
  });

  test('an endless line is emitted in parts past the hold limit, still redacted', async () => {
    const s = r.stream({ maxLineHold: 64 });
    const body = `${'x'.repeat(100)}${secrets.STRIPE_KEY}${'y'.repeat(100)}`;
    const collected = text(s);
    await pipeline(Readable.from([body.slice(0, 110), body.slice(110, 200), body.slice(200)]), s);
    assert.equal(await collected, `${'x'.repeat(100)}[redacted:STRIPE_KEY]${'y'.repeat(100)}`);
  });
});
