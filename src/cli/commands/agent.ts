import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runAgent } from '../../agent/main.ts';
import { AppError } from '../../domain/errors.ts';
import { BuiltinRouter } from '../../traffic/builtin/router.ts';
import { port } from '../args.ts';
import type { Act, Context } from '../context.ts';

export function registerAgent(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('agent')
    .description(
      'Run the data plane in the foreground: the built-in router and the app instances. It keeps serving when the control plane is gone, and re-adopts running instances after its own restart.',
    )
    .option(
      '--state-dir <dir>',
      'where the agent keeps its state (default: .slipway/agent beside the config)',
    )
    .option(
      '--port <n>',
      'admin API port on 127.0.0.1 (default: a free one, written to <state-dir>/agent.json)',
      port('--port', true),
      0,
    )
    .action(
      act(async (opts: { stateDir?: string; port: string }) => {
        const c = ctx();
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new AppError(
            'USAGE',
            `--port: expected a port from 0 to 65535, found ${JSON.stringify(opts.port)}`,
          );
        }
        const stateDir = opts.stateDir ? resolve(c.cwd, opts.stateDir) : resolve(c.dataDir(), 'agent');
        const running = await runAgent({
          stateDir,
          port,
          router: new BuiltinRouter(),
          log: (line) => c.io.err(line),
        });
        c.io.out(`slipway agent: admin API on ${running.url}; state in ${stateDir}`);
        await new Promise<void>((done) => {
          process.once('SIGTERM', done);
          process.once('SIGINT', done);
        });
        c.io.out('slipway agent: stopping; instances keep running and the next agent adopts them');
        await running.close();
        return 0;
      }),
    );
}
