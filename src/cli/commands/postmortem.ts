/** `slipway postmortem DEPLOYMENT`: a blameless post-mortem draft (Markdown) of a rolled-back or failed deployment. */
import type { Command } from 'commander';
import { postmortemDraft } from '../../postmortem/draft.ts';
import { postmortemFacts } from '../../postmortem/read.ts';
import type { Act, Context } from '../context.ts';
import type { ApiClient } from '../remote.ts';

export function registerPostmortem(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('postmortem')
    .description(
      'Print a blameless post-mortem draft (Markdown) of a rolled-back or failed deployment, from what the store recorded.',
    )
    .argument('<deployment>', 'the deployment id (slipway history --status rolled_back)')
    .action(
      act(async (id: string) => {
        const c = ctx();
        const facts = await postmortemFacts(await c.store(), c.config().config.app, id);
        if (c.io.json) c.io.data({ facts, markdown: postmortemDraft(facts) });
        else c.io.out(postmortemDraft(facts));
        return 0;
      }),
    );
}

/** The same through a server: `GET /api/deployments/{id}/postmortem`. */
export async function remotePostmortem(c: Context, r: ApiClient, id: string): Promise<number> {
  const body = await r.http.json<{ markdown: string }>(
    'GET',
    `/api/deployments/${encodeURIComponent(id)}/postmortem`,
  );
  if (c.io.json) c.io.data(body);
  else c.io.out(body.markdown);
  return 0;
}
