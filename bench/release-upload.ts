/**
 * Release upload memory: a .tar.gz of random bytes (gzip cannot shrink it) is uploaded by the
 * CLI's client to a fresh `slipway server` process, once small and once large; the server's peak
 * RSS growth is sampled during each. A server that buffered the upload would grow by at least the
 * size difference; the goal is a marginal growth under 25% of it (streamed; the fixed part is the
 * first request's code and V8's young generation).
 * Run: node_modules/.bin/node bench/release-upload.ts [smallMB=50] [largeMB=400]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar';
import { createApiClient } from '../src/cli/remote.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { initToken } from '../test/cli-helpers.ts';

const rss = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
async function measure(mb: number): Promise<{ size: number; growth: number; seconds: number }> {
  const dir = tempDir('slipway-bench-upload-');
  try {
    writeFileSyncConfig(dir.path);
    const build = join(dir.path, 'build');
    mkdirSync(build);
    const fd = openSync(join(build, 'blob.bin'), 'w');
    for (let i = 0; i < mb; i++) writeSync(fd, randomBytes(1024 * 1024));
    closeSync(fd);
    await tar.c({ gzip: true, file: join(dir.path, 'build.tgz'), cwd: build }, ['.']);
    const size = statSync(join(dir.path, 'build.tgz')).size;
    const server = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        join(repoRoot, 'bin/slipway.js'),
        'server',
        '--port',
        '0',
        '--init',
        '--max-upload',
        '4GiB',
      ],
      { cwd: dir.path, env: { ...process.env, SLIPWAY_URL: '', SLIPWAY_TOKEN: '' } },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      server.stdout.on('data', (c) => {
        out += c;
        if (/API on http/.test(out)) resolve();
      });
      server.once('exit', () => reject(new Error(out)));
    });
    const url = /API on (http:\/\/[\d.:]+)/.exec(out)?.[1] as string;
    const token = initToken(out);
    const before = rss(server.pid as number);
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, rss(server.pid as number))), 20);
    const started = Date.now();
    const r = await createApiClient({ url, token }).uploadRelease(
      Readable.toWeb(createReadStream(join(dir.path, 'build.tgz'))) as ReadableStream<Uint8Array>,
      { version: '1.0.0' },
    );
    clearInterval(timer);
    const seconds = (Date.now() - started) / 1000;
    server.kill('SIGTERM');
    if (!r.created) throw new Error('not registered');
    return { size, growth: peak - before, seconds };
  } finally {
    dir.cleanup();
  }
}

const [small, large] = [Number(process.argv[2] ?? 50), Number(process.argv[3] ?? 400)];
const a = await measure(small);
const b = await measure(large);
const marginal = (b.growth - a.growth) / (b.size - a.size);
console.log('| archive | server peak RSS growth | upload + register time |');
console.log('|---|---|---|');
for (const m of [a, b])
  console.log(
    `| ${(m.size / 1e6).toFixed(0)} MB | ${(m.growth / 1e6).toFixed(1)} MB | ${m.seconds.toFixed(1)} s |`,
  );
console.log(
  `\nmarginal growth: ${(marginal * 100).toFixed(1)}% of the extra ${((b.size - a.size) / 1e6).toFixed(0)} MB (goal < 25%: ${marginal < 0.25 ? 'met' : 'NOT met'})`,
);

function writeFileSyncConfig(path: string): void {
  const yaml = 'app: shop\nrun: { command: node server.js }\nenvironments:\n  staging: {}\n';
  const fd = openSync(join(path, 'slipway.yaml'), 'w');
  writeSync(fd, yaml);
  closeSync(fd);
}
