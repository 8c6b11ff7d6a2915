/**
 * Smoke checks: requests to critical endpoints of the new release, sent through the
 * environment's router with the preview header so they reach the new release whatever its
 * weight. A check passes on a non-5xx answer, or on the status and text it expects.
 */
import type { DeploymentContext } from './context.ts';
import type { SmokeChecker } from './ports.ts';

export function statusMatches(status: number, expect: number | string | undefined): boolean {
  if (expect === undefined) return status < 500;
  if (typeof expect === 'number') return status === expect;
  const cls = /^([1-5])xx$/.exec(expect);
  if (cls) return Math.floor(status / 100) === Number(cls[1]);
  const cmp = /^(<=|>=|<|>)?(\d{3})$/.exec(expect);
  if (!cmp) return false;
  const n = Number(cmp[2]);
  switch (cmp[1]) {
    case '<':
      return status < n;
    case '<=':
      return status <= n;
    case '>':
      return status > n;
    case '>=':
      return status >= n;
    default:
      return status === n;
  }
}

export function createSmokeChecker(options: { timeoutMs?: number; retries?: number } = {}): SmokeChecker {
  const timeoutMs = options.timeoutMs ?? 5000;
  const retries = options.retries ?? 2;
  return {
    async run(ctx: DeploymentContext) {
      for (const check of ctx.smoke) {
        const url = `http://${ctx.listen.host}:${ctx.listen.port}${check.get}`;
        let reason = '';
        for (let attempt = 0; attempt <= retries; attempt++) {
          try {
            const response = await fetch(url, {
              headers: { [ctx.previewHeader]: ctx.release.id },
              signal: AbortSignal.timeout(timeoutMs),
            });
            const body = await response.text();
            if (!statusMatches(response.status, check.expect)) {
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
        if (reason) return { ok: false, reason: `${reason} (release ${ctx.release.version})` };
      }
      return { ok: true };
    },
  };
}
