/**
 * Which hosts a rolling deployment updates together: `bootLimit` hosts at a time (a number, or a
 * share such as "25%" of the hosts, rounded up; at most all but one host), in the order slipway.yaml
 * lists them. Pure.
 *
 * @example hostBatches(['a', 'b', 'c'], '50%') // [['a', 'b'], ['c']]
 */
import { parsePercent } from '../config/units.ts';

export function batchSize(hosts: number, bootLimit: number | string | undefined): number {
  if (hosts === 0) return 0;
  if (bootLimit === undefined) return 1;
  const n = typeof bootLimit === 'number' ? bootLimit : Math.ceil((parsePercent(bootLimit) ?? 0) * hosts);
  // Never all hosts at once: each batch leaves the load balancer while it changes, and one host must serve.
  return Math.max(1, Math.min(hosts - 1, n));
}

export function hostBatches<T>(hosts: readonly T[], bootLimit: number | string | undefined): T[][] {
  const size = batchSize(hosts.length, bootLimit);
  const batches: T[][] = [];
  for (let i = 0; i < hosts.length; i += size) batches.push(hosts.slice(i, i + size));
  return batches;
}
