/**
 * Smoke checks: requests to critical endpoints of the new release, sent through the
 * environment's router with the preview header so they reach the new release whatever its
 * weight. A check passes on a non-5xx answer, or on the status and text it expects. A failing
 * check is tried again `retries` times (default 2), `delay` apart (default 1s): a release that
 * just became healthy may still be warming its caches.
 */
import { statusMatches } from '../domain/health-status.ts';
import type { DeploymentContext } from './context.ts';
import type { SmokeChecker } from './ports.ts';

/** A smoke check passes on any non-5xx answer unless it says what it expects. */
export const SMOKE_DEFAULT_EXPECT = '<500';
export const SMOKE_DEFAULTS = { retries: 2, delayMs: 1_000 } as const;

export function createSmokeChecker(
  options: { timeoutMs?: number; retries?: number; sleep?: (ms: number) => Promise<void> } = {},
): SmokeChecker {
  const timeoutMs = options.timeoutMs ?? 5000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return {
    async run(ctx: DeploymentContext) {
      for (const check of ctx.smoke) {
        const url = `http://${ctx.listen.host}:${ctx.listen.port}${check.get}`;
        const retries = check.retries ?? options.retries ?? SMOKE_DEFAULTS.retries;
        const delayMs = check.delayMs ?? SMOKE_DEFAULTS.delayMs;
        let reason = '';
        for (let attempt = 0; attempt <= retries; attempt++) {
          if (attempt > 0) await sleep(delayMs);
          try {
            const response = await fetch(url, {
              headers: { [ctx.previewHeader]: ctx.release.id },
              signal: AbortSignal.timeout(timeoutMs),
            });
            const body = await response.text();
            if (!statusMatches(response.status, check.expect ?? SMOKE_DEFAULT_EXPECT)) {
              reason = `GET ${check.get} answered ${response.status}, expected ${check.expect ?? 'a non-5xx status'}`;
            } else if (check.contains !== undefined && !body.includes(check.contains)) {
              reason = `GET ${check.get} answered ${response.status} without ${JSON.stringify(check.contains)} in its body`;
            } else {
              reason = '';
              break;
            }
          } catch (error) {
            reason = `GET ${check.get} got no answer: ${(error as Error).message}`;
          }
        }
        if (reason) {
          const tries = retries === 0 ? '' : `, ${retries + 1} tries ${delayMs} ms apart`;
          return { ok: false, reason: `${reason} (release ${ctx.release.version}${tries})` };
        }
      }
      return { ok: true };
    },
  };
}
