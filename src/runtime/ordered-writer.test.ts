import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../testing.ts';
import { writeFileAtomicAsync } from './atomic-file.ts';
import { OrderedWriter } from './ordered-writer.ts';

/** The real writer, with the first write held until `release()` (to queue others behind it). */
function heldFirst() {
  const written: string[] = [];
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const writeFile = async (path: string, content: string | Uint8Array) => {
    if (written.length === 0) {
      written.push(String(content));
      await held;
    } else written.push(String(content));
    await writeFileAtomicAsync(path, content);
  };
  return { written, writeFile, release: () => release() };
}

test('each write resolves with its content durable on disk, mode 0600, no temp file left', async () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'sub/state.json');
    const writer = new OrderedWriter(file);
    for (const n of [1, 2, 3]) {
      await writer.write(() => `state ${n}\n`);
      assert.equal(readFileSync(file, 'utf8'), `state ${n}\n`);
    }
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(dir.path, 'sub')), ['state.json']);
  } finally {
    dir.cleanup();
  }
});

test('writes asked for during a write wait; the newest replaces the waiting ones, whose promises resolve once it is on disk', async () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'state.json');
    const held = heldFirst();
    const writer = new OrderedWriter(file, held.writeFile);
    const made: string[] = [];
    const content = (s: string) => () => {
      made.push(s);
      return s;
    };
    const seen = new Map<string, string>();
    const ask = (s: string) => writer.write(content(s)).then(() => seen.set(s, readFileSync(file, 'utf8')));
    const a = ask('A');
    const b = ask('B');
    const c = ask('C');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(made, ['A'], 'B and C wait for A');
    held.release();
    await Promise.all([a, b, c]);
    assert.deepEqual(made, ['A', 'C'], 'B, replaced before its turn, is never made');
    assert.deepEqual(held.written, ['A', 'C']);
    assert.equal(seen.get('A'), 'A', 'A resolved with A on disk');
    assert.equal(seen.get('B'), 'C', 'B resolved only once C (which holds it) was on disk');
    assert.equal(seen.get('C'), 'C');
    assert.equal(readFileSync(file, 'utf8'), 'C');
    await writer.idle();
    assert.deepEqual(readdirSync(dir.path), ['state.json']);
  } finally {
    dir.cleanup();
  }
});

test('a failed write rejects everyone waiting on it, the next write still runs, idle() settles', async () => {
  const dir = tempDir();
  try {
    const target = join(dir.path, 'state.json');
    const held = heldFirst();
    const writer = new OrderedWriter(target, held.writeFile);
    const first = writer.write(() => 'first');
    // While the first write is held, the target becomes a folder: the waiting write fails (EISDIR).
    const failing = [writer.write(() => 'lost 1'), writer.write(() => 'lost 2')];
    const idle = writer.idle();
    mkdirSync(target);
    held.release();
    await assert.rejects(first);
    for (const p of failing) await assert.rejects(p, { code: 'EISDIR' });
    await idle;
    assert.deepEqual(held.written, ['first', 'lost 2'], 'tried after the first one failed');
    assert.deepEqual(readdirSync(dir.path), ['state.json'], 'no temp file left');
    // A content that cannot be made rejects too, and the writer goes on afterwards.
    const fresh = new OrderedWriter(join(dir.path, 'other.json'));
    await assert.rejects(
      fresh.write(() => {
        throw new Error('cannot seal');
      }),
      /cannot seal/,
    );
    await fresh.write(() => 'after');
    assert.equal(readFileSync(join(dir.path, 'other.json'), 'utf8'), 'after');
  } finally {
    dir.cleanup();
  }
});

test('idle() waits for the write that runs and the one that waits; with nothing to write it resolves at once', async () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'state.json');
    const held = heldFirst();
    const writer = new OrderedWriter(file, held.writeFile);
    await writer.idle();
    void writer.write(() => 'one');
    void writer.write(() => 'two');
    let idle = false;
    const waiting = writer.idle().then(() => {
      idle = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(idle, false);
    held.release();
    await waiting;
    assert.equal(readFileSync(file, 'utf8'), 'two');
  } finally {
    dir.cleanup();
  }
});
