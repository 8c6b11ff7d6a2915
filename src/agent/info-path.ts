import { join } from 'node:path';

/** Where a running agent says how to reach it (its own module: reading it must not load the agent). */
export function agentInfoPath(stateDir: string): string {
  return join(stateDir, 'agent.json');
}
