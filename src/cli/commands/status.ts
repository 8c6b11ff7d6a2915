import type { Command } from 'commander';
import type { Act, Context } from '../context.ts';
import { table } from '../io.ts';

export function registerStatus(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('status')
    .description('Show each environment of the lifecycle and the release it runs.')
    .action(
      act(async () => {
        const c = ctx();
        const { config, lifecycle } = c.config();
        const store = await c.store();
        const states = new Map((await store.listEnvironments(config.app)).map((e) => [e.name, e]));
        const rows = await Promise.all(
          lifecycle.map(async (name) => {
            const state = states.get(name);
            const release = state?.releaseId
              ? await store.findRelease(config.app, state.releaseId)
              : undefined;
            return {
              env: name,
              release: release?.version ?? null,
              digest: release?.digest ?? null,
              since: state?.updatedAt ?? null,
              by: state?.updatedBy ?? null,
            };
          }),
        );
        if (c.io.json) {
          c.io.data({ app: config.app, environments: rows });
          return 0;
        }
        c.io.out(`${config.app}: ${lifecycle.join(' → ')}`);
        c.io.out(
          table([
            ['ENVIRONMENT', 'RELEASE', 'SINCE', 'BY'],
            ...rows.map((r) => [
              r.env,
              r.release ?? '(nothing deployed)',
              r.since?.slice(0, 16).replace('T', ' ') ?? '-',
              r.by ?? '-',
            ]),
          ]),
        );
        return 0;
      }),
    );
}
