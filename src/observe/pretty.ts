/**
 * The readable form of a JSON log line (pino's shape: level number, time in ms, name, msg), for a
 * terminal. No dependencies, so the supervisor (src/agent/supervisor.ts) can use it too.
 */
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** One JSON log line in the readable form: time, level, name, message, then the other fields. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, time, name, msg, pid: _pid, hostname: _host, ...rest } = entry;
  const at = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '';
  const fields = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const label = (LEVELS[level as number] ?? String(level)).padEnd(5);
  return `${at} ${label} ${name ?? ''}: ${msg ?? ''}${fields ? ` ${fields}` : ''}\n`;
}

/** A log line in pino's JSON shape, written without pino (for the dependency-free supervisor). */
export function jsonLine(level: 'info' | 'warn' | 'error', name: string, msg: string, fields = {}): string {
  const number = { info: 30, warn: 40, error: 50 }[level];
  return `${JSON.stringify({ level: number, time: Date.now(), name, msg, ...fields })}\n`;
}
