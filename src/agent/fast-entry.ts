/**
 * `slipway agent` without the rest of the CLI. An agent restart is on the serving path (its
 * router holds the listeners), so the launcher starts it from here: only the agent, the runtime
 * and the routers its environments use are loaded, not every command and its dependencies.
 */
import { isAppError } from '../domain/errors.ts';
import { agentCommand } from './cli-entry.ts';

/** True when these arguments need nothing but the agent (anything else goes through the full CLI). */
export function isPlainAgentCall(args: readonly string[]): boolean {
  if (args[0] !== 'agent') return false;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] as string;
    if (/^--(state-dir|port)=/.test(arg)) continue;
    if (arg === '--state-dir' || arg === '--port') {
      i++;
      continue;
    }
    return false;
  }
  return true;
}

export async function runAgentFast(argv: readonly string[]): Promise<number> {
  try {
    return await agentCommand(argv, {});
  } catch (error) {
    if (!isAppError(error)) throw error;
    process.stderr.write(`error[${error.code}]: ${error.message}\n`);
    return error.exitCode;
  }
}
