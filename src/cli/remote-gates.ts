/** `slipway check` and `slipway override` through the server (routes/gates.ts), as the token's user. */
import type { Context } from './context.ts';
import type { ApiClient } from './remote.ts';

const part = encodeURIComponent;

export async function remoteCheck(
  c: Context,
  r: ApiClient,
  id: string,
  item: string,
  note: string | undefined,
): Promise<number> {
  const result = await r.http.json<{ created: boolean; tick: { user: string; at: string } }>(
    'POST',
    `/api/deployments/${part(id)}/checklist/${part(item)}`,
    note === undefined ? {} : { note },
  );
  if (c.io.json) c.io.data(result);
  else if (result.created) c.io.out(`checked ${item} on ${id} through ${r.url} as ${result.tick.user}`);
  else c.io.out(`${item} on ${id} was already checked by ${result.tick.user} at ${result.tick.at}`);
  return 0;
}

export async function remoteOverride(
  c: Context,
  r: ApiClient,
  id: string,
  gate: 'window' | 'checklist',
  reason: string,
): Promise<number> {
  const d = await r.http.json<{ status: string }>('POST', `/api/deployments/${part(id)}/override`, {
    gate,
    reason,
  });
  if (c.io.json) c.io.data(d);
  else c.io.out(`${gate} gate of ${id} overridden through ${r.url}: ${reason}; it is ${d.status}`);
  return 0;
}
