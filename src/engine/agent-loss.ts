/**
 * A deployment that loses its agent: "could not reach" (refused, timed out) says nothing about
 * the release, so the executor retries instead of failing the step; when it gives up, this says
 * where the deployment stands and what to run.
 */
import type { AppError } from '../domain/errors.ts';
import type { Deployment } from '../domain/types.ts';
import type { StoredState } from './executor.ts';
import { describeStep } from './machine.ts';

/** The client's "could not reach" (a refused or timed-out connection), not an error the agent answered. */
export function isUnreachable(error: AppError): boolean {
  return /^cannot reach the agent|^no agent runs/.test(error.message);
}

export function lostAgentMessage(d: Deployment, state: StoredState, retryMs: number, why: string): string {
  const { engine, ctx } = state;
  const step = engine.plan[engine.step];
  const where = `step ${Math.min(engine.step + 1, engine.plan.length)}/${engine.plan.length}${step ? ` (${describeStep(step)})` : ''}`;
  const split = ctx.stable
    ? `${engine.weight}% to ${ctx.release.version}, ${100 - engine.weight}% to ${ctx.stable.version}`
    : `${engine.weight}% to ${ctx.release.version}`;
  return [
    `lost the agent for ${Math.round(retryMs / 1000)}s and gave up: ${why}`,
    `deployment ${d.id} is interrupted at ${where}; traffic as last set: ${split}`,
    `start the agent again (\`slipway agent\`), then \`slipway resume ${d.env}\` continues it, or \`slipway abort ${d.env}\` / \`slipway rollback ${d.env}\` returns traffic to the previous release; \`slipway status\` shows what is served`,
  ].join('\n');
}
