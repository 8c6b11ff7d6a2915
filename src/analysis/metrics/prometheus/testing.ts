/**
 * Test helper: a real Prometheus server as a child process, with its own config and data folder
 * in a temp dir (never the system service). Prometheus cannot listen on port 0, so a free port
 * is picked first. Used by the prometheus provider's test and by end-to-end tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../../testing.ts';

export interface RunningPrometheus {
  readonly url: string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and removes its folder. */
  stop(): Promise<void>;
}

/** A port free right now on 127.0.0.1 (another process may take it before we use it; rare). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts Prometheus scraping `targets` (host:port, path /metrics) every `scrapeIntervalS`
 * seconds and resolves once it is ready (bounded by `readyTimeoutMs`).
 */
export async function startPrometheus(options: {
  readonly targets: readonly string[];
  readonly scrapeIntervalS?: number;
  readonly readyTimeoutMs?: number;
  readonly binary?: string;
  /** A file holding a bearer token sent with every scrape (the slipway agent's `agent.token`). */
  readonly bearerTokenFile?: string;
}): Promise<RunningPrometheus> {
  const dir = tempDir('slipway-prometheus-');
  const interval = `${options.scrapeIntervalS ?? 1}s`;
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: app',
    '    static_configs:',
    `      - targets: [${options.targets.map((t) => `'${t}'`).join(', ')}]`,
    ...(options.bearerTokenFile
      ? ['    authorization:', '      type: Bearer', `      credentials_file: '${options.bearerTokenFile}'`]
      : []),
    '',
  ].join('\n');
  writeFileSync(join(dir.path, 'prometheus.yml'), config);
  const port = await freePort();
  const logs: string[] = [];
  const child = spawn(
    options.binary ?? 'prometheus',
    [
      `--config.file=${join(dir.path, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir.path, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    logs.push(chunk.toString());
    if (logs.length > 50) logs.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited(child);
      clearTimeout(killer);
    }
    dir.cleanup();
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return { url, stop };
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await stop();
  throw new Error(`prometheus did not become ready on ${url}; last output:\n${logs.join('').slice(-2000)}`);
}
