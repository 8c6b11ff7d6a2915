/**
 * `slipway accept VERSION --env ENV [--reject --reason TEXT]`: the client's acceptance of a
 * release that succeeded on an environment asking for it (`acceptance: { by: role }`); the next
 * environment takes only accepted releases. Prints where to open the environment.
 */
import type { Command } from 'commander';
import { environmentUrl } from '../../app/client.ts';
import { AppError } from '../../domain/errors.ts';
import type { Acceptance } from '../../gates/acceptance.ts';
import { text, version } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { appFor } from '../deployments.ts';
import type { ApiClient } from '../remote.ts';

export interface AcceptOptions {
  readonly env: string;
  readonly reject?: boolean;
  readonly reason?: string;
}

function decisionOf(opts: AcceptOptions): 'accept' | 'reject' {
  if (opts.reject && !opts.reason?.trim())
    throw new AppError('USAGE', 'a rejection needs a reason: --reject --reason "what is wrong"');
  return opts.reject ? 'reject' : 'accept';
}

function print(c: Context, a: Acceptance, url: string | null): number {
  if (c.io.json) {
    c.io.data({ ...a, url });
    return 0;
  }
  c.io.out(
    a.decision === 'accept'
      ? `accepted ${a.version} on ${a.env} as ${a.by}; the next environment may take it now`
      : `rejected ${a.version} on ${a.env} as ${a.by}: ${a.reason ?? ''}; it goes no further`,
  );
  if (url) c.io.out(`Open ${a.env}: ${url}`);
  return 0;
}

export async function remoteAccept(c: Context, r: ApiClient, ref: string, opts: AcceptOptions) {
  const decision = decisionOf(opts);
  const env = encodeURIComponent(opts.env);
  const a = await r.http.json<Acceptance>('POST', `/api/environments/${env}/acceptance`, {
    release: ref,
    decision,
    ...(opts.reason !== undefined && { reason: opts.reason }),
  });
  const info = await r.http
    .json<{ url: string | null }>('GET', `/api/environments/${env}/client`)
    .catch(() => ({ url: null }));
  return print(c, a, info.url);
}

export function registerAccept(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('accept')
    .description(
      'Accept (or --reject with a reason) a release that succeeded on an environment asking for acceptance; the next environment takes only accepted releases.',
    )
    .argument('<release>', 'the release version (or id), e.g. 1.4.2', version('release'))
    .requiredOption('--env <name>', 'the environment where it was tried, e.g. staging')
    .option('--reject', 'reject it instead (needs --reason)')
    .option('--reason <text>', 'why (needed with --reject)', text('--reason'))
    .action(
      act(async (ref: string, opts: AcceptOptions) => {
        const c = ctx();
        const decision = decisionOf(opts);
        const app = await appFor(c);
        const a = await app.accept(opts.env, ref, c.user, decision, opts.reason);
        return print(c, a, await environmentUrl(app, opts.env).catch(() => null));
      }),
    );
}
