/**
 * The deployment commands through a slipway server (SLIPWAY_URL + SLIPWAY_TOKEN): the same output
 * as the local commands, with the server's store and engine. The server drives deployments, so
 * these never run an executor here.
 */
import { AppError } from '../domain/errors.ts';
import type { Context } from './context.ts';
import { table } from './io.ts';
import type { ApiClient, RemoteAction, RemoteDeployment } from './remote.ts';

const IN_FLIGHT = new Set(['running', 'paused', 'pending', 'waiting']);

export async function remoteStatus(c: Context, r: ApiClient): Promise<number> {
  const { app, lifecycle, urls } = await r.project();
  const states = new Map((await r.environments(app)).map((e) => [e.env, e]));
  const rows = lifecycle.map((name) => {
    const s = states.get(name);
    return {
      env: name,
      release: s?.release?.version ?? null,
      digest: s?.release?.digest ?? null,
      since: s?.since ?? null,
      by: s?.by ?? null,
      served: s?.served ?? null,
      drift: s?.drift ?? null,
      active: s?.active ?? null,
      url: urls?.[name] ?? null,
    };
  });
  if (c.io.json) {
    c.io.data({ app, environments: rows });
    return 0;
  }
  c.io.out(`${app}: ${lifecycle.join(' → ')} (server ${r.url})`);
  c.io.out(
    table([
      ['ENVIRONMENT', 'RELEASE', 'SERVED NOW', 'SINCE', 'BY'],
      ...rows.map((x) => [
        x.env,
        x.release ?? '(nothing deployed)',
        x.served?.line ?? '-',
        x.since?.slice(0, 16).replace('T', ' ') ?? '-',
        x.by ?? '-',
      ]),
    ]),
  );
  for (const x of rows) {
    if (x.url) c.io.out(`${x.env} → ${x.url}`);
    if (x.drift) c.io.out(c.io.style('red', `${x.env}: drift — ${x.drift}`));
    if (x.active?.line) c.io.out(`${x.env}: deployment ${x.active.id} ${x.active.line}`);
  }
  return 0;
}

export async function remoteHistory(
  c: Context,
  r: ApiClient,
  opts: { env?: string; status?: string; by?: string; limit: number },
): Promise<number> {
  const { app } = await r.project();
  const list = await r.history({ app, ...opts });
  if (c.io.json) {
    c.io.data(list);
    return 0;
  }
  if (list.length === 0) {
    c.io.out('no deployments yet');
    return 0;
  }
  const versions = new Map((await r.releases(app)).map((x) => [x.id, x.version]));
  c.io.out(
    table([
      ['ID', 'ENV', 'RELEASE', 'STRATEGY', 'STATUS', 'BY', 'STARTED', 'WHY'],
      ...list.map((d) => [
        d.id,
        d.env,
        versions.get(d.releaseId) ?? d.releaseId,
        d.strategy,
        d.status,
        d.createdBy,
        d.createdAt.slice(0, 19).replace('T', ' '),
        (d.reason ?? '').slice(0, 60),
      ]),
    ]),
  );
  return 0;
}

async function inFlight(r: ApiClient, app: string, env: string): Promise<RemoteDeployment> {
  const d = (await r.history({ app, env, limit: 20 })).find((x) => IN_FLIGHT.has(x.status));
  if (!d)
    throw new AppError(
      'DEPLOYMENT_NOT_FOUND',
      `no deployment in flight on ${env}; \`slipway history --env ${env}\` shows past ones`,
    );
  return d;
}

/** pause, resume, abort or rollback the deployment in flight on `env`. */
export async function remoteControl(
  c: Context,
  r: ApiClient,
  env: string,
  action: RemoteAction,
  reason?: string,
): Promise<number> {
  const { app } = await r.project();
  const d = await inFlight(r, app, env);
  const after = await r.act(d.id, action, reason);
  if (c.io.json) c.io.data(after);
  else c.io.out(`${action} of deployment ${d.id} on ${env} sent to ${r.url}; it is ${after.status}`);
  return 0;
}

/** Roll an environment back through the server: in flight, by a switch, or by a redeploy it drives. */
export async function remoteRollback(
  c: Context,
  r: ApiClient,
  env: string,
  options: { to?: string; reason?: string },
): Promise<number> {
  const result = await r.rollback(env, options);
  if (c.io.json) {
    c.io.data({ env, ...result });
    return 0;
  }
  if (result.kind === 'switch')
    c.io.out(
      `rolled back ${env} to ${result.release} in ${(result.switchMs ?? 0).toFixed(1)} ms (traffic switch; the previous instances were still warm)`,
    );
  else if (result.kind === 'in-flight')
    c.io.out(`rolling back deployment ${result.deployment?.id} on ${env} (driven by ${r.url})`);
  else
    c.io.out(
      `${result.release} is no longer warm on ${env}: the server redeploys it as ${result.deployment?.id}`,
    );
  return 0;
}

/** Approve or reject a deployment through the server, as the token's user. */
export async function remoteDecide(
  c: Context,
  r: ApiClient,
  id: string,
  decision: 'approve' | 'reject',
  reason: string | null,
): Promise<number> {
  const d = await r.act(id, decision, reason ?? undefined);
  if (c.io.json) c.io.data(d);
  else
    c.io.out(
      `${decision === 'approve' ? 'approved' : 'rejected'} ${id} through ${r.url}${reason ? `: ${reason}` : ''}; it is ${d.status}`,
    );
  return 0;
}

/**
 * Deploy to `to` the release `from` runs, through the server (whose engine checks the lifecycle
 * rule and every gate of `to`; `--override` is an admin's, checked and audited there), and follow it.
 */
export async function remotePromote(
  c: Context,
  r: ApiClient,
  opts: { from: string; to: string; override?: string },
): Promise<number> {
  const { deployment, release } = await r.http.json<{ deployment: RemoteDeployment; release: string }>(
    'POST',
    '/api/promotions',
    { from: opts.from, to: opts.to, ...(opts.override !== undefined && { override: opts.override }) },
  );
  return follow(c, r, deployment, release, opts.from);
}

/** Start a deployment on the server and follow it live until it ends. */
export async function remoteDeploy(c: Context, r: ApiClient, env: string, release: string): Promise<number> {
  return follow(c, r, await r.deploy(env, release), release);
}

/** Follow a deployment the server started, live, until it ends. */
async function follow(
  c: Context,
  r: ApiClient,
  d: RemoteDeployment,
  release: string,
  from?: string,
): Promise<number> {
  if (!c.io.json)
    c.io.out(
      `deployment ${d.id}: ${d.app} ${release} ${from ? `${from} → ` : '→ '}${d.env} (${d.strategy}), driven by ${r.url}`,
    );
  let end: { status?: string; reason?: string | null } = {};
  await r.follow(d.id, (e) => {
    const data = e.data as { what?: string; status?: string; reason?: string | null };
    if (e.event === 'timeline' && data.what && !c.io.json) c.io.out(`  ${data.what}`);
    if (e.event === 'end') end = data;
  });
  if (c.io.json) c.io.data({ ...d, status: end.status ?? d.status, reason: end.reason ?? null });
  else c.io.out(`${d.id} ${end.status ?? 'still in flight'}${end.reason ? `: ${end.reason}` : ''}`);
  return end.status === 'succeeded' ? 0 : 1;
}
