/**
 * Redactor throughput on instance logs: N secrets (each in 7 encoded forms), a synthetic log of
 * ~MB megabytes with a secret on every 50th line, pushed through `redact()` and through the
 * stream in 64 KiB chunks. Run: node bench/secrets-redact.ts [secrets=200] [MB=32]
 */
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Redactor } from '../src/secrets/redact.ts';

const nSecrets = Number(process.argv[2] ?? 200);
const megabytes = Number(process.argv[3] ?? 32);
const secrets: Record<string, string> = {};
for (let i = 0; i < nSecrets; i++) secrets[`SECRET_${i}`] = randomBytes(18).toString('base64url');
const values = Object.values(secrets);

const lines: string[] = [];
let size = 0;
for (let i = 0; size < megabytes * 1024 * 1024; i++) {
  const line = `2026-01-01T00:00:00Z info request id=${randomBytes(6).toString('hex')} path=/api/products status=200 ms=${i % 97}${i % 50 === 0 ? ` key=${values[i % values.length]}` : ''}\n`;
  lines.push(line);
  size += line.length;
}
const log = lines.join('');

const buildStart = performance.now();
const redactor = new Redactor(secrets);
const buildMs = performance.now() - buildStart;

const t0 = performance.now();
const out = redactor.redact(log);
const redactMs = performance.now() - t0;
if (values.some((v) => out.includes(v))) throw new Error('a secret survived');

const chunks: Buffer[] = [];
const buf = Buffer.from(log);
for (let at = 0; at < buf.length; at += 65536) chunks.push(buf.subarray(at, at + 65536));
let streamed = 0;
const t1 = performance.now();
await pipeline(
  Readable.from(chunks),
  redactor.stream(),
  new Writable({
    write(chunk: Buffer, _e, cb) {
      streamed += chunk.length;
      cb();
    },
  }),
);
const streamMs = performance.now() - t1;

const mb = buf.length / 1024 / 1024;
console.log(
  JSON.stringify({
    secrets: nSecrets,
    logMB: Number(mb.toFixed(1)),
    buildMs: Number(buildMs.toFixed(1)),
    redactMBps: Number((mb / (redactMs / 1000)).toFixed(1)),
    streamMBps: Number((mb / (streamMs / 1000)).toFixed(1)),
    streamedMB: Number((streamed / 1024 / 1024).toFixed(1)),
  }),
);
