import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import { tempDir } from '../testing.ts';
import { assertNoFindings, mask, scanFolder, scanText, validateAllowlist } from './scan.ts';
import { isPasswordName, shannonEntropy } from './scan-rules.ts';

// Token-shaped values are assembled at run time so this file holds no literal token.
const rnd = (n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') =>
  Array.from({ length: n }, (_, i) => alphabet[(i * 7919 + n * 31 + ((i * i) % 17)) % alphabet.length]).join(
    '',
  );
const T = {
  aws: ['AK', 'IA', 'Q3EGKSM2XPLR7TZV'].join(''),
  awsSecret: rnd(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+'),
  ghp: ['gh', 'p_', rnd(36)].join(''),
  ghpat: ['github', '_pat_', rnd(30)].join(''),
  slack: ['xo', 'xb-', '1234567890-', rnd(20)].join(''),
  stripe: ['sk', '_live_', rnd(24)].join(''),
  pem: ['-----BEGIN RSA ', 'PRIVATE KEY-----'].join(''),
  jwt: ['ey', 'JhbGciOiJIUzI1NiJ9.', 'ey', 'JzdWIiOiIxMjM0NTY3ODkwIn0.', rnd(43)].join(''),
  random: rnd(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
  hex: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b',
};

function release(files: Record<string, string | Buffer>) {
  const dir = tempDir('slipway-scan-');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir.path, name)), { recursive: true });
    writeFileSync(join(dir.path, name), content);
  }
  return dir;
}

describe('secret scanner', () => {
  test('finds each well-known token format, with file, line, rule and a masked excerpt', async () => {
    const dir = release({
      'src/server.js': [
        `const id = "${T.aws}";`,
        `const gh = '${T.ghp}';`,
        `const pat = "${T.ghpat}";`,
        `slack("${T.slack}")`,
        `stripe("${T.stripe}")`,
        `const auth = "Bearer ${T.jwt}";`,
        'const password = getPassword(); const ok = 1; login({ password: e.password, secret: opts.secret })',
        `aws_secret_access_key = "${T.awsSecret}"`,
        'const db = { password: "hunter3hunter3" };',
      ].join('\n'),
      'keys/deploy.pem': `${T.pem}\nMIIEow\n-----END RSA PRIVATE KEY-----\n`,
      'config/db.ini': `password = hunter2hunter2\nuser = shop\npassword = \${DB_PASSWORD}\n`,
      'README.md': 'Set `password=<your password>` in .env\n',
    });
    try {
      const result = await scanFolder(dir.path);
      assert.deepEqual(
        result.findings.map((f) => `${f.file}:${f.line} ${f.rule}`),
        [
          'config/db.ini:1 password-assignment',
          'keys/deploy.pem:1 private-key',
          'src/server.js:1 aws-access-key-id',
          'src/server.js:2 github-token',
          'src/server.js:3 github-fine-grained-pat',
          'src/server.js:4 slack-token',
          'src/server.js:5 stripe-live-key',
          'src/server.js:6 jwt',
          'src/server.js:8 aws-secret-access-key',
          'src/server.js:9 password-assignment',
        ],
      );
      const json = JSON.stringify(result);
      for (const v of [
        T.aws,
        T.ghp,
        T.ghpat,
        T.slack,
        T.stripe,
        T.jwt,
        T.awsSecret,
        'hunter2hunter2',
        'hunter3hunter3',
      ]) {
        assert.ok(!json.includes(v), `${v.slice(0, 6)}... appears unmasked`);
      }
      assert.equal(result.findings[6]!.excerpt, `stripe("${mask(T.stripe)}")`);
      assert.equal(result.filesScanned, 4);
    } finally {
      dir.cleanup();
    }
  });

  test('high-entropy values in config files only; placeholders, URLs, paths, hashes and lock files are not flagged', async () => {
    const dir = release({
      '.env': `LOG_LEVEL=info\nSESSION_SECRET=${T.random}\nDB_PASSWORD=\${DB_PASSWORD}\nAPI_TOKEN=${T.hex}\nCOMMIT=${T.hex}\n`,
      'config/app.json': JSON.stringify(
        {
          name: 'shop',
          signing: T.random,
          integrity: `sha512-${T.random}`,
          home: 'https://cdn.example.com/assets/app.min.js',
        },
        null,
        2,
      ),
      'config/app.yaml': `cache:\n  dir: /var/lib/shop/cache/objects/store\n  key: "${T.random}"\n`,
      'settings.properties': `storage.credentials=${T.random}\n`,
      'package-lock.json': JSON.stringify({
        packages: { x: { integrity: `sha512-${T.random}`, other: T.random } },
      }),
      'src/random.js': `const table = "${T.random}";\n`,
    });
    try {
      const result = await scanFolder(dir.path);
      assert.deepEqual(
        result.findings.map((f) => `${f.file}:${f.line} ${f.rule}`),
        [
          '.env:2 password-assignment',
          '.env:4 high-entropy',
          'config/app.json:3 high-entropy',
          'config/app.yaml:3 high-entropy',
          'settings.properties:1 high-entropy',
        ],
      );
    } finally {
      dir.cleanup();
    }
  });

  test('skips node_modules, .git, binaries, symlinks; lists files too large to read', async () => {
    const dir = release({
      'node_modules/dep/index.js': `x = "${T.ghp}"`,
      '.git/config': `token = ${T.ghp}`,
      'logo.png': `${T.ghp}`,
      'data.bin2': Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(T.ghp)]),
      'big.txt': `${'a'.repeat(2000)}\n${T.ghp}\n`,
      'ok.txt': 'nothing here\n',
    });
    const outside = release({ 'secret.txt': T.ghp });
    try {
      symlinkSync(join(outside.path, 'secret.txt'), join(dir.path, 'link.txt'));
      const result = await scanFolder(dir.path, { maxFileBytes: 1000 });
      assert.deepEqual(result.findings, []);
      assert.deepEqual(result.skipped, [{ file: 'big.txt', reason: 'larger than 1000 bytes' }]);
      assert.equal(result.filesScanned, 1);
    } finally {
      dir.cleanup();
      outside.cleanup();
    }
  });

  test('allowlist entries accept findings by file (or glob), line and rule; unused entries are reported', async () => {
    const dir = release({
      'test/fixtures/a.pem': `${T.pem}\n`,
      'test/fixtures/b.pem': `${T.pem}\n`,
      'src/a.js': `"${T.stripe}"\n"${T.ghp}"\n`,
    });
    try {
      const allow = [
        { file: 'test/fixtures/*.pem', rule: 'private-key', reason: 'throwaway keys for tests' },
        { file: 'src/a.js', line: 1, reason: 'revoked key kept for a regression test' },
        { file: 'src/a.js', line: 2, rule: 'jwt', reason: 'wrong rule: does not match' },
        { file: 'gone.txt', reason: 'stale' },
      ];
      const result = await scanFolder(dir.path, { allow });
      assert.deepEqual(
        result.findings.map((f) => `${f.file}:${f.line} ${f.rule}`),
        ['src/a.js:2 github-token'],
      );
      assert.deepEqual(
        result.accepted.map((a) => `${a.finding.file} ${a.reason}`),
        [
          'src/a.js revoked key kept for a regression test',
          'test/fixtures/a.pem throwaway keys for tests',
          'test/fixtures/b.pem throwaway keys for tests',
        ],
      );
      assert.deepEqual(
        result.unusedAllow.map((a) => a.file),
        ['src/a.js', 'gone.txt'],
      );
      assert.throws(
        () => assertNoFindings(result),
        (e) =>
          isAppError(e) &&
          e.code === 'SECRET_FOUND_IN_RELEASE' &&
          e.details.length === 1 &&
          e.details[0]!.startsWith('src/a.js:2  github-token  "ghp_') &&
          !e.details[0]!.includes(T.ghp),
      );
    } finally {
      dir.cleanup();
    }
  });

  test('allowlist entries without a reason, file or valid line are config errors naming the entry', () => {
    const bad = (entries: unknown, re: RegExp) =>
      assert.throws(
        () => validateAllowlist(entries),
        (e) => isAppError(e) && e.code === 'CONFIG_INVALID' && re.test(e.message),
      );
    bad([{ file: 'a' }], /secretScan\.allow\[0\] \(a\): "reason" is required/);
    bad(
      [
        { file: 'a', reason: 'ok' },
        { file: 'b', reason: '  ' },
      ],
      /allow\[1\] \(b\): "reason" is required/,
    );
    bad([{ reason: 'x' }], /allow\[0\]: "file" is required/);
    bad([{ file: 'a', reason: 'x', line: 0 }], /"line" must be a line number/);
    bad({ file: 'a' }, /expected a list/);
    assert.deepEqual(validateAllowlist(undefined), []);
  });

  test('password names: the last word decides', () => {
    for (const n of [
      'password',
      'DB_PASSWORD',
      'dbPassword',
      'CLIENT_SECRET',
      'SECRET_KEY',
      'clientSecretToken',
      'smtp.pass',
    ]) {
      assert.ok(isPasswordName(n), n);
    }
    for (const n of [
      'secretStoreName',
      'PASSWORD_MIN_LENGTH',
      'ENV_SECRET_PREFIX',
      'passwordField',
      'bypass',
    ]) {
      assert.ok(!isPasswordName(n), n);
    }
    assert.deepEqual(
      scanText('a.js', "const o = { secretStoreName: 'local', passwordField: 'pw_input' };"),
      [],
    );
  });

  test('excerpts hide whole quoted values and everything after a PEM header', () => {
    const [pw] = scanText('a.js', "const o = { DB_PASSWORD: 'p@ss w0rd/with spaces', x: 1 };");
    assert.equal(pw!.excerpt, "const o = { DB_PASSWORD: 'p@ss****(21 chars)', x: 1 };");
    const [pem] = scanText('a.js', `const k = "${T.pem}\\nMIIEvQIBADANBgkqhkiG9w0BAQ";`);
    assert.equal(pem!.excerpt, `const k = "${mask(T.pem)}...`);
    assert.ok(!pem!.excerpt.includes('MIIE'));
  });

  test('a missing folder is a clear error; entropy and masking behave', async () => {
    await assert.rejects(
      scanFolder('/nonexistent/release'),
      /cannot scan \/nonexistent\/release: it is not a folder/,
    );
    assert.equal(shannonEntropy('aaaa'), 0);
    assert.equal(shannonEntropy('abcd'), 2);
    assert.ok(shannonEntropy(T.random) > 4.5);
    assert.equal(mask('abcdefghijklmnop'), 'abcd****(16 chars)');
    assert.equal(mask('abc'), '****(3 chars)');
    assert.deepEqual(scanText('x.txt', ''), []);
  });
});
