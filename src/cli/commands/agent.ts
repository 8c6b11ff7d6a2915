import { resolve } from 'node:path';
import type { Command } from 'commander';
import { installAgent, uninstallAgent } from '../../agent/install.ts';
import { AppError } from '../../domain/errors.ts';
import { port } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { registerAgentRebuild } from './agent-rebuild.ts';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AppError('USAGE', `--port: expected a port from 0 to 65535, found ${JSON.stringify(value)}`);
  }
  return port;
}

const stateDirOf = (c: Context, given: string | undefined) =>
  given ? resolve(c.cwd, given) : resolve(c.dataDir(), 'agent');

const STATE_DIR_HELP = 'where the agent keeps its state (default: .slipway/agent beside the config)';

export function registerAgent(program: Command, ctx: () => Context, act: Act): void {
  const agent = program
    .command('agent')
    .description(
      'Run the data plane in the foreground: the router of each environment (router.driver: builtin, haproxy or nginx) and the app instances. It keeps serving when the control plane is gone, and re-adopts running instances after its own restart. With --supervise a tiny parent process restarts it when it dies and holds its listeners meanwhile, so a crash refuses no connection.',
    )
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option(
      '--port <n>',
      'admin API port on 127.0.0.1 (default: a free one, written to <state-dir>/agent.json)',
      port('--port', true),
      0,
    )
    .option('--supervise', 'run under a supervisor that restarts the agent and keeps its listeners open')
    .action(
      act(async (opts: { stateDir?: string; port: string; supervise?: boolean }) => {
        const c = ctx();
        const port = parsePort(opts.port);
        const args = ['--state-dir', stateDirOf(c, opts.stateDir), '--port', String(port)];
        // The data plane (router, runtimes, its metrics) loads for this command only.
        if (opts.supervise) return (await import('../../agent/supervise-entry.ts')).superviseCommand(args);
        return (await import('../../agent/cli-entry.ts')).agentCommand(args, {});
      }),
    );

  agent
    .command('stop')
    .description(
      'Stop the agent (and its supervisor) of this project; with --instances also the app instances it started. The next `slipway agent` starts the last desired state again.',
    )
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--instances', 'also stop the app instances (nothing serves afterwards)')
    .action(
      act(async (opts: { stateDir?: string; instances?: boolean }) => {
        const c = ctx();
        const stateDir = stateDirOf(c, opts.stateDir);
        const { stopAgent } = await import('../../agent/stop.ts');
        const report = await stopAgent(stateDir, { instances: opts.instances === true });
        if (c.io.json) {
          c.io.data(report);
        } else {
          if (report.supervisor === null && report.agent === null)
            c.io.out(`no agent was running on ${stateDir}`);
          if (report.supervisor !== null) c.io.out(`stopped the supervisor (pid ${report.supervisor})`);
          if (report.agent !== null) c.io.out(`stopped the agent (pid ${report.agent})`);
          for (const pid of report.proxies) c.io.out(`stopped a proxy left by a killed agent (pid ${pid})`);
          for (const i of report.instances)
            c.io.out(`stopped instance of ${i.env} ${i.release} (pid ${i.pid})`);
          for (const i of report.containers)
            c.io.out(`stopped container ${i.container} of ${i.env} ${i.release}`);
          if (!opts.instances) c.io.out('app instances keep running; --instances stops them too');
        }
        if (report.left.length > 0) {
          throw new AppError(
            'AGENT_UNAVAILABLE',
            `still running after the stop: pid ${report.left.join(', ')}; end them with kill -9`,
          );
        }
        return 0;
      }),
    );

  registerAgentRebuild(agent, ctx, act);

  agent
    .command('install')
    .description(
      'Install the supervised agent as a service: a systemd unit (Restart=on-failure) when systemd runs this machine, else a start script for the plain supervisor mode, started now.',
    )
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--port <n>', 'admin API port on 127.0.0.1 (default: a free one, kept across restarts)', '0')
    .option('--plain', 'use the plain supervisor mode even where systemd runs (e.g. without root)')
    .action(
      act(async (opts: { stateDir?: string; port: string; plain?: boolean }) => {
        const c = ctx();
        const { config } = c.config();
        const result = await installAgent(
          {
            app: config.app,
            projectDir: c.projectDir(),
            stateDir: stateDirOf(c, opts.stateDir),
            port: parsePort(opts.port),
          },
          opts.plain ? { systemd: false } : {},
        );
        if (c.io.json) c.io.data(result);
        else for (const line of result.lines) c.io.out(line);
        return 0;
      }),
    );

  agent
    .command('uninstall')
    .description('Remove what `slipway agent install` installed and stop the supervised agent.')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .action(
      act(async (opts: { stateDir?: string }) => {
        const c = ctx();
        const lines = await uninstallAgent(stateDirOf(c, opts.stateDir));
        if (c.io.json) c.io.data({ lines });
        else for (const line of lines) c.io.out(line);
        return 0;
      }),
    );
}
