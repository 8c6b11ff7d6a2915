/**
 * `slipway agent --supervise [--state-dir DIR] [--port N]`: the supervisor process. It loads
 * nothing but Node built-ins and the supervisor itself; its log lines have the agent's JSON shape
 * (readable on a terminal).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { jsonLine, prettyLine } from '../observe/pretty.ts';
import { runSupervisor } from './supervisor.ts';

export async function superviseCommand(argv: readonly string[]): Promise<number> {
  let values: { 'state-dir'?: string; port?: string };
  try {
    ({ values } = parseArgs({
      args: argv.filter((a) => a !== '--supervise'),
      options: { 'state-dir': { type: 'string' }, port: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`error[USAGE]: ${(error as Error).message}\n`);
    return 2;
  }
  const port = Number(values.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`error[USAGE]: --port: must be a port number from 0 to 65535, got ${values.port}\n`);
    return 2;
  }
  // A reader that went away (a closed terminal) must not end the supervisor.
  process.stdout.on('error', () => {});
  const stateDir = resolve(values['state-dir'] ?? '.slipway/agent');
  const pretty =
    process.env.SLIPWAY_LOG === 'pretty' || (process.env.SLIPWAY_LOG !== 'json' && process.stdout.isTTY);
  return runSupervisor({
    stateDir,
    agentArgs: ['--state-dir', stateDir, '--port', String(port)],
    standby: true,
    log: (level, msg, fields) => {
      const line = jsonLine(level, 'supervisor', msg, fields);
      process.stdout.write(pretty ? prettyLine(line) : line);
    },
  });
}
