/**
 * `slipway agent [--state-dir DIR] [--port N]`: runs the data-plane agent in the foreground until
 * SIGTERM or SIGINT (or, under `--supervise`, until its supervisor goes away). Each environment is
 * routed by the driver its desired state names (created through the traffic factory); tests pass one
 * fixed router instead. Its log is JSON lines through src/observe/log.ts (readable on a terminal),
 * secret values redacted.
 *
 * @example
 * return agentCommand(argv, {});
 * return agentCommand(argv, { createRouter: () => new FakeRouter() });
 */
import { parseArgs } from 'node:util';
import { AppError, EXIT } from '../domain/errors.ts';
import { createLogger } from '../observe/log.ts';
import { supervised } from '../traffic/builtin/held-listeners.ts';
import type { TrafficRouter } from '../traffic/contract.ts';
import type { Agent } from './agent.ts';
import { runAgent } from './main.ts';

export const AGENT_DEFAULTS = { stateDir: '.slipway/agent', port: 0 } as const;

export async function agentCommand(
  argv: readonly string[],
  deps: {
    /** One router for every environment (tests); default: one per driver from the traffic factory. */
    createRouter?: () => TrafficRouter | Promise<TrafficRouter>;
    /** Where log lines go (one line per call, JSON); default: stdout. */
    out?: (line: string) => void;
    /** Stops the agent when aborted; default: SIGTERM or SIGINT. */
    stop?: AbortSignal;
  },
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { 'state-dir': { type: 'string' }, port: { type: 'string' } },
    strict: true,
  });
  const port = Number(values.port ?? AGENT_DEFAULTS.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AppError('USAGE', `--port: must be a port number from 0 to 65535, got ${values.port}`);
  }
  let agent: Agent | undefined;
  const log = createLogger({
    name: 'agent',
    redact: (line) => agent?.redact(line) ?? line,
    stream: deps.out ? { write: (text: string) => deps.out!(text.trimEnd()) } : process.stdout,
    ...(deps.out ? { pretty: false } : {}),
  });
  const running = await runAgent({
    stateDir: values['state-dir'] ?? AGENT_DEFAULTS.stateDir,
    port,
    ...(deps.createRouter && { router: await deps.createRouter() }),
    log: (line, level = 'info') => log[level](line),
  });
  agent = running.agent;
  log.info(
    { url: running.url, pid: process.pid, supervised: supervised() },
    `admin API on ${running.url} (bearer token in ${running.tokenFile})`,
  );
  await new Promise<void>((resolve) => {
    if (deps.stop !== undefined) {
      if (deps.stop.aborted) resolve();
      deps.stop.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    // A supervisor that is gone cannot restart this agent nor hand on its listeners: stop, so
    // the next supervisor's agent can take over the state folder.
    if (supervised()) process.once('disconnect', resolve);
  });
  log.info('stopping; instances keep running and are adopted by the next agent');
  await running.close();
  return EXIT.ok;
}
