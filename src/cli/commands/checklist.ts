/** `slipway checklist` shows a deployment's checklist; `slipway check` ticks a manual item. */
import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import { deploymentChecklist } from '../../gates/checklist-facts.ts';
import { text } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { appFor } from '../deployments.ts';
import { table } from '../io.ts';

export function registerCheck(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('check')
    .description('Tick a manual checklist item of a deployment as the current user; see `slipway checklist`.')
    .argument('<deployment>', 'the deployment id')
    .argument('<item>', 'the item id, e.g. on-call-available')
    .option('--note <text>', 'what was checked', text('--note'))
    .action(
      act(async (id: string, item: string, opts: { note?: string }) => {
        const c = ctx();
        const app = await appFor(c);
        const { tick: result } = await app.act(
          id,
          { action: 'check', item, ...(opts.note && { note: opts.note }) },
          c.user,
          c.identity().via,
        );
        if (!result) return 1;
        if (c.io.json) c.io.data(result);
        else if (result.created) c.io.out(`checked ${item} on ${id} as ${c.user}`);
        else c.io.out(`${item} on ${id} was already checked by ${result.tick.user} at ${result.tick.at}`);
        return 0;
      }),
    );
}

export function registerChecklist(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('checklist')
    .description(
      'Show the pre/during/post checklist of a deployment: automated and manual items, who ticked what.',
    )
    .argument('<deployment>', 'the deployment id')
    .action(
      act(async (id: string) => {
        const c = ctx();
        const { config } = c.config();
        const store = await c.store();
        const d = await store.getDeployment(id);
        if (!d)
          throw new AppError(
            'DEPLOYMENT_NOT_FOUND',
            `no deployment ${id}; list them with \`slipway history\``,
          );
        const items = await deploymentChecklist(store, config, d, Date.now());
        if (c.io.json) {
          c.io.data({ deployment: id, env: d.env, items });
          return 0;
        }
        if (items.length === 0) {
          c.io.out(`${d.env} declares no checklist: (add checklist: { template: seed } to the environment)`);
          return 0;
        }
        const rows = items.map((s) => [
          s.phase,
          s.done ? '[x]' : s.required && s.phase === 'pre' ? '[ ]!' : '[ ]',
          s.id,
          s.auto ? 'auto' : 'manual',
          s.by ? `${s.detail} — ${s.by} ${s.at?.slice(0, 16).replace('T', ' ')}` : s.detail,
        ]);
        c.io.out(table([['PHASE', '', 'ITEM', 'KIND', 'STATE'], ...rows]));
        const open = items.filter((s) => s.phase === 'pre' && s.required && !s.done).length;
        c.io.out(
          open
            ? `${open} required item(s) open: they hold the deployment ([ ]!)`
            : 'every required item is done',
        );
        return 0;
      }),
    );
}
