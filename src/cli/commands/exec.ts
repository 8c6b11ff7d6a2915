/**
 * `slipway exec --env ENV -- CMD...`: check ENV's config the way a deployment does and, only when
 * every value is present and valid, run CMD with the resolved values (secrets included) in its
 * environment. Otherwise exit 1 with the full list before CMD starts. CMD's exit code is passed
 * through (128 + signal number when a signal ended it). The output is CMD's own and not redacted.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Command } from 'commander';
import type { Act, Context } from '../context.ts';
import { prepareFor } from './config.ts';

export function registerExec(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('exec')
    .description(
      'Run CMD with the config and secrets of ENV, after checking them; exit 1 with every problem before CMD starts.',
    )
    .requiredOption('--env <env>', 'the environment whose config CMD gets')
    .argument('<command...>', 'the command and its arguments, after --')
    .action(
      act(async (command: string[], opts: { env: string }) => {
        const c = ctx();
        const { issues, vars } = await prepareFor(c, opts.env);
        if (issues.length > 0) {
          for (const i of issues) c.io.err(`  - ${i.message}`);
          c.io.err(`${opts.env}: ${issues.length} config value problem(s); ${command[0]} was not started`);
          return 1;
        }
        const [file, ...args] = command as [string, ...string[]];
        const child = spawn(file, args, {
          cwd: c.cwd,
          env: { ...process.env, ...vars },
          stdio: ['inherit', 'pipe', 'pipe'],
        });
        child.stdout.on('data', (chunk: Buffer) => c.io.raw('out', chunk));
        child.stderr.on('data', (chunk: Buffer) => c.io.raw('err', chunk));
        return await new Promise<number>((resolve) => {
          child.on('error', (error) => {
            c.io.err(`cannot run ${file}: ${error.message}`);
            resolve(127);
          });
          child.on('close', (code, signal) =>
            resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)),
          );
        });
      }),
    );
}
