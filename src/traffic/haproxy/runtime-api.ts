/**
 * HAProxy's runtime API (the admin stats socket): one connection per batch, commands joined
 * with ';' so a whole weight change is applied in one round trip, in order.
 */
import { connect } from 'node:net';
import { AppError } from '../../domain/errors.ts';

/** Answers HAProxy gives to a command it did not carry out. */
const FAILED = /No such|Unknown command|Require |[Ii]nvalid|not found|denied|[Ee]rror|unable|cannot/;

export function runtimeCommand(socketPath: string, command: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let out = '';
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (chunk: string) => {
      out += chunk;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Runs a batch and fails with the first answer that reports an error. */
export async function runtimeBatch(socketPath: string, commands: readonly string[]): Promise<void> {
  if (commands.length === 0) return;
  const out = await runtimeCommand(socketPath, commands.join(';'));
  const bad = out.split('\n').find((line) => FAILED.test(line));
  if (bad) {
    throw new AppError('TRAFFIC_DRIVER_FAILED', `haproxy runtime API refused a change: ${bad.trim()}`, {
      details: commands,
    });
  }
}

export interface ServerStat {
  readonly backend: string;
  readonly server: string;
  readonly status: string;
  readonly checkStatus: string;
}

/** `show stat` parsed to the fields the driver reads. */
export async function showStat(socketPath: string): Promise<ServerStat[]> {
  const out = await runtimeCommand(socketPath, 'show stat');
  const [header, ...rows] = out.split('\n').filter((l) => l.length > 0);
  const cols = (header ?? '').replace(/^# /, '').split(',');
  const at = (name: string) => cols.indexOf(name);
  const [px, sv, st, chk] = [at('pxname'), at('svname'), at('status'), at('check_status')];
  return rows.map((row) => {
    const f = row.split(',');
    return { backend: f[px] ?? '', server: f[sv] ?? '', status: f[st] ?? '', checkStatus: f[chk] ?? '' };
  });
}
