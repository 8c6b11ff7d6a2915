import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import { parseImageRef, repositoryOf, showRef } from './image-ref.ts';

const D = `sha256:${'ab'.repeat(32)}`;

test('image references: registry, name, tag and digest as the docker CLI reads them', () => {
  assert.deepEqual(parseImageRef('127.0.0.1:5000/shop:1.4.2'), {
    registry: '127.0.0.1:5000',
    name: 'shop',
    tag: '1.4.2',
  });
  assert.deepEqual(parseImageRef(`registry.example.com/acme/shop@${D}`), {
    registry: 'registry.example.com',
    name: 'acme/shop',
    digest: D,
  });
  assert.deepEqual(parseImageRef(`localhost/shop:v2@${D}`), {
    registry: 'localhost',
    name: 'shop',
    tag: 'v2',
    digest: D,
  });
  assert.deepEqual(parseImageRef('node:24'), { registry: 'docker.io', name: 'library/node', tag: '24' });
  assert.equal(repositoryOf(parseImageRef('ghcr.io/acme/shop:1')), 'ghcr.io/acme/shop');
  assert.equal(showRef(parseImageRef('ghcr.io/acme/shop:1')), 'ghcr.io/acme/shop:1');
});

test('a reference without tag or digest, or with a bad one, is a usage error naming it and the form', () => {
  for (const [text, why] of [
    ['ghcr.io/acme/shop', /names no tag and no digest/],
    ['ghcr.io/acme/shop@sha256:123', /is not a sha256 digest/],
    ['ghcr.io/Acme/shop:1', /is not a repository name/],
    ['ghcr.io/acme/shop:bad tag', /is not a valid tag/],
  ] as const) {
    const error = (() => {
      try {
        parseImageRef(text);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(isAppError(error), text);
    assert.equal(error.code, 'USAGE');
    assert.match(error.message, why);
    assert.match(error.message, /write REGISTRY\/NAME:TAG or REGISTRY\/NAME@sha256/);
  }
});
