/**
 * One meaning of "healthy" for every health check (the process runtime's and every router's
 * active checks): an HTTP status matched against an expectation. The default is 2xx or 3xx;
 * slipway.yaml `run.health.expect` sets another with the smoke checks' grammar: `200`, `"2xx"`,
 * `"<500"`, `">=200"`.
 *
 * @example
 * statusMatches(302) // true
 * statusMatches(302, '2xx') // false
 */

/** The expectation when none is set: any 2xx or 3xx answer. */
export const DEFAULT_HEALTHY = '2xx-3xx';

export const STATUS_RULE = /^(<|<=|>|>=)?\d{3}$|^[1-5]xx$|^2xx-3xx$/;
export const STATUS_RULE_HINT = 'a status such as 200, "2xx", "<500" or ">=200"';

/** True when `status` meets `expect` (default 2xx/3xx). */
export function statusMatches(status: number, expect: number | string = DEFAULT_HEALTHY): boolean {
  if (typeof expect === 'number') return status === expect;
  if (expect === DEFAULT_HEALTHY) return status >= 200 && status < 400;
  const klass = /^([1-5])xx$/.exec(expect);
  if (klass) return Math.floor(status / 100) === Number(klass[1]);
  const m = /^(<|<=|>|>=)?(\d{3})$/.exec(expect);
  if (!m) return false;
  const n = Number(m[2]);
  switch (m[1]) {
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

/**
 * The statuses 100–599 that meet `expect` as one anchored regex, for proxies that take a pattern
 * (HAProxy `http-check expect rstatus`): whole hundreds collapse to `2[0-9][0-9]`.
 */
export function statusRegex(expect: number | string = DEFAULT_HEALTHY): string {
  const parts: string[] = [];
  for (let h = 1; h <= 5; h++) {
    const codes = Array.from({ length: 100 }, (_, i) => h * 100 + i).filter((s) => statusMatches(s, expect));
    if (codes.length === 100) parts.push(`${h}[0-9][0-9]`);
    else parts.push(...codes.map(String));
  }
  return parts.length === 0 ? '^$' : `^(${parts.join('|')})$`;
}
