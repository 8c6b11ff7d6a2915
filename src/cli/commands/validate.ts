import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatProblem, loadConfigFile } from '../../config/load.ts';
import { suggestion } from '../../config/suggest.ts';
import { AppError } from '../../domain/errors.ts';
import type { Act, Context } from '../context.ts';

export function registerValidate(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('validate')
    .description(
      'Check slipway.yaml and report every problem at once, each with file:line:column. Exit 0 valid, 1 invalid, 2 usage error.',
    )
    .option('--env <name>', 'also check that this environment exists and show how it deploys')
    .action(
      act((opts: { env?: string }) => {
        const c = ctx();
        const result = loadConfigFile(resolve(c.cwd, c.options.file), c.options.file);
        if (!result.ok) {
          if (c.io.json) c.io.data({ valid: false, problems: result.problems });
          else {
            for (const p of result.problems) c.io.err(formatProblem(p));
            c.io.err(
              c.io.style(
                'red',
                `${c.options.file}: ${result.problems.length} problem(s); nothing was changed`,
              ),
            );
          }
          return 1;
        }
        const { config, lifecycle } = result;
        if (opts.env !== undefined && !(opts.env in config.environments)) {
          throw new AppError(
            'ENV_NOT_FOUND',
            `no environment "${opts.env}" in ${c.options.file}${suggestion(opts.env, lifecycle)} (environments: ${lifecycle.join(', ')})`,
          );
        }
        const envs = opts.env === undefined ? lifecycle : [opts.env];
        if (c.io.json) {
          c.io.data({ valid: true, app: config.app, lifecycle, environments: envs });
          return 0;
        }
        c.io.out(
          `${c.io.style('green', '✓')} ${c.options.file} is valid: app ${config.app}, lifecycle ${lifecycle.join(' → ')}`,
        );
        for (const name of envs) {
          const env = config.environments[name];
          if (!env) continue;
          const strategy = typeof env.strategy === 'string' ? env.strategy : Object.keys(env.strategy)[0];
          const gates = [
            env.after && `after ${env.after}`,
            env.approval && `${env.approval.required} approval(s)`,
            env.windows?.allow && 'deploy windows',
          ].filter(Boolean);
          c.io.out(`  ${name}: ${strategy}${gates.length ? `; ${gates.join(', ')}` : ''}`);
        }
        return 0;
      }),
    );
}
