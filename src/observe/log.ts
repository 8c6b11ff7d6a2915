/**
 * Structured logs for long-running processes (the agent, its supervisor, the server): JSON lines
 * with levels through pino (`{"level":30,"time":…,"name":"agent","msg":…}`), one line per event,
 * every line passed through a redaction function before it is written, and a short readable form
 * (`12:00:01 INFO  agent: restored staging`) when the output is a terminal. SLIPWAY_LOG=json or
 * pretty forces a form; SLIPWAY_LOG_LEVEL sets the level (default info).
 *
 * @example
 * const log = createLogger({ name: 'agent', redact: (line) => agent.redact(line) });
 * log.info({ env: 'staging' }, 'restored');
 */
import { type Logger, pino } from 'pino';
import { prettyLine } from './pretty.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly name: string;
  /** Applied to each finished line: hides secret values (see src/secrets/redact.ts). */
  readonly redact?: (line: string) => string;
  /** Where lines go; default process.stderr. */
  readonly stream?: { write(text: string): unknown; isTTY?: boolean };
  /** Default: readable when the stream is a terminal, JSON otherwise (or SLIPWAY_LOG). */
  readonly pretty?: boolean;
  readonly level?: string;
}

function wantsPretty(options: LoggerOptions, isTTY: boolean): boolean {
  if (options.pretty !== undefined) return options.pretty;
  const forced = process.env.SLIPWAY_LOG;
  if (forced === 'json') return false;
  if (forced === 'pretty') return true;
  return isTTY;
}

export function createLogger(options: LoggerOptions): Logger {
  const out = options.stream ?? process.stderr;
  // A reader that went away (a closed terminal, `| head`) must not crash a long-running process.
  (out as { on?(event: string, listener: () => void): unknown }).on?.('error', () => {});
  const pretty = wantsPretty(options, out.isTTY === true);
  const redact = options.redact ?? ((line: string) => line);
  const destination = {
    write(line: string) {
      const safe = redact(line);
      out.write(pretty ? prettyLine(safe) : safe);
    },
  };
  return pino(
    {
      name: options.name,
      level: options.level ?? process.env.SLIPWAY_LOG_LEVEL ?? 'info',
      // pid and hostname say little on one machine; the supervisor logs the agent's pid where it matters.
      base: undefined,
    },
    destination,
  );
}
