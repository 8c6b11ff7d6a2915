/**
 * `slipway agent` without the rest of the CLI. An agent restart is on the serving path (its
 * router accepts the connections), so the launcher starts it from here: only the agent, the
 * runtime and the routers its environments use are loaded, not every command and its
 * dependencies. With `--supervise` only the supervisor is loaded (Node built-ins), which then
 * starts the agent.
 */

const VALUE_FLAGS = ['--state-dir', '--port'];

/** True when these arguments need nothing but the agent (anything else goes through the full CLI). */
export function isPlainAgentCall(args: readonly string[]): boolean {
  if (args[0] !== 'agent') return false;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] as string;
    if (/^--(state-dir|port)=/.test(arg) || arg === '--supervise') continue;
    if (VALUE_FLAGS.includes(arg)) {
      i++;
      continue;
    }
    return false;
  }
  return true;
}

export async function runAgentFast(argv: readonly string[]): Promise<number> {
  if (argv.includes('--supervise')) {
    const { superviseCommand } = await import('./supervise-entry.ts');
    return superviseCommand(argv);
  }
  const [{ isAppError }, { agentCommand }, { awaitTurn, STANDBY_ENV }] = await Promise.all([
    import('../domain/errors.ts'),
    import('./cli-entry.ts'),
    import('../traffic/builtin/held-listeners.ts'),
  ]);
  // A supervisor's spare agent has loaded everything by now (its router thread too); it starts when the agent dies.
  if (process.env[STANDBY_ENV] === '1')
    (await import('../traffic/builtin/threaded-router.ts')).prestartRouterThread();
  await awaitTurn();
  try {
    return await agentCommand(argv, {});
  } catch (error) {
    if (!isAppError(error)) throw error;
    process.stderr.write(`error[${error.code}]: ${error.message}\n`);
    return error.exitCode;
  }
}
