import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hasBinary, tempDir } from '../testing.ts';
import { fingerprint, KnownHosts, keyType, knownHostName } from './known-hosts.ts';

const keygen = hasBinary('ssh-keygen')
  ? false
  : 'ssh-keygen is not installed (apt-get install openssh-client)';

test('fingerprints match ssh-keygen, and pins are written in OpenSSH format', { skip: keygen }, () => {
  const dir = tempDir('slipway-known-hosts-');
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir.path, 'k')]);
    const [type, base64] = readFileSync(join(dir.path, 'k.pub'), 'utf8').split(' ');
    const blob = Buffer.from(base64 as string, 'base64');
    const printed = execFileSync('ssh-keygen', ['-lf', join(dir.path, 'k.pub')], { encoding: 'utf8' });
    assert.equal(fingerprint(blob), printed.split(' ')[1]);
    assert.equal(keyType(blob), type);

    const file = join(dir.path, 'known_hosts');
    const known = new KnownHosts(file);
    assert.equal(known.get('10.0.0.1', 22), undefined, 'a missing file pins nothing');
    known.pin('10.0.0.1', 22, blob);
    known.pin('10.0.0.2', 2222, blob);
    assert.equal(
      readFileSync(file, 'utf8'),
      `10.0.0.1 ${type} ${base64}\n[10.0.0.2]:2222 ${type} ${base64}\n`,
    );
    assert.ok(known.get('10.0.0.2', 2222)?.blob.equals(blob));
    assert.equal(known.get('10.0.0.2', 22), undefined, 'a pin is per port');
    // OpenSSH itself reads the file: the pinned key is found for the host.
    const found = execFileSync('ssh-keygen', ['-F', knownHostName('10.0.0.2', 2222), '-f', file], {
      encoding: 'utf8',
    });
    assert.match(found, /Host \[10\.0\.0\.2\]:2222 found/);
  } finally {
    dir.cleanup();
  }
});
