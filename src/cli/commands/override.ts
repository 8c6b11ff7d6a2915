/** `slipway override`: an emergency override of a deploy window or the checklist (admin, audited). */
import { type Command, Option } from 'commander';
import { text } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { appFor } from '../deployments.ts';

export function registerOverride(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('override')
    .description('Let a deployment past a closed deploy window or an open checklist (role admin; audited).')
    .argument('<deployment>', 'the deployment id')
    .addOption(
      new Option('--gate <gate>', 'the gate to override')
        .choices(['window', 'checklist'])
        .makeOptionMandatory(),
    )
    .requiredOption('--reason <text>', 'why this cannot wait', text('--reason'))
    .action(
      act(async (id: string, opts: { gate: 'window' | 'checklist'; reason: string }) => {
        const c = ctx();
        const app = await appFor(c);
        await app.act(
          id,
          { action: 'override', gate: opts.gate, reason: opts.reason },
          c.user,
          c.identity().via,
        );
        if (c.io.json) c.io.data({ deployment: id, gate: opts.gate, by: c.user, reason: opts.reason });
        else c.io.out(`${opts.gate} gate of ${id} overridden by ${c.user}: ${opts.reason}`);
        return 0;
      }),
    );
}
