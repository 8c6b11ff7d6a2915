/**
 * The slipway command line. Each command lives in `commands/<name>.ts`; this file builds the
 * program, runs it, and turns errors into messages and exit codes — a user's mistake never shows a
 * stack trace; a bug (exit 70) does.
 */
import { Command, CommanderError } from 'commander';
import { AppError, EXIT, errorEnvelope, isAppError } from '../domain/errors.ts';
import { registerAccept } from './commands/accept.ts';
import { registerAgent } from './commands/agent.ts';
import { registerApprove, registerReject } from './commands/approve.ts';
import { registerAudit } from './commands/audit.ts';
import { registerCheck, registerChecklist } from './commands/checklist.ts';
import { registerCi } from './commands/ci.ts';
import { registerConfig } from './commands/config.ts';
import { registerControl } from './commands/control.ts';
import { registerDb } from './commands/db.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerExec } from './commands/exec.ts';
import { registerFlags } from './commands/flags.ts';
import { registerHistory } from './commands/history.ts';
import { registerHosts } from './commands/hosts.ts';
import { registerInit } from './commands/init.ts';
import { registerLogs } from './commands/logs.ts';
import { registerMetrics } from './commands/metrics.ts';
import { registerMigrations } from './commands/migrations.ts';
import { registerNotifications } from './commands/notifications.ts';
import { registerOverride } from './commands/override.ts';
import { registerPerf } from './commands/perf.ts';
import { registerPostmortem } from './commands/postmortem.ts';
import { registerPromote } from './commands/promote.ts';
import { registerRelease, registerReleases } from './commands/release.ts';
import { registerRollback } from './commands/rollback.ts';
import { registerSchema } from './commands/schema.ts';
import { registerSecret } from './commands/secret.ts';
import { registerServer } from './commands/server.ts';
import { registerStatus } from './commands/status.ts';
import { registerStore } from './commands/store.ts';
import { registerToken } from './commands/token.ts';
import { registerUser } from './commands/user.ts';
import { registerValidate } from './commands/validate.ts';
import { type Act, type Context, createContext, type GlobalOptions } from './context.ts';
import { createIo, type IoStreams } from './io.ts';
import { printable, printableLines } from './printable.ts';
import { remoteAction } from './remote-dispatch.ts';
import { VERSION } from './version.ts';

export { VERSION };

/** The whole command tree, without running anything; also used to generate the CLI reference. */
export function buildProgram(ctx: () => Context, act: Act, streams: IoStreams): Command {
  const program = new Command('slipway')
    .description('Safe, boring deployments: staging, go/no-go, canary and blue-green, automatic rollback.')
    .version(VERSION, '-V, --version')
    // Subcommands own their options (`release create --version`); the global ones are repeated on each.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => streams.stdout.write(s),
      writeErr: (s) => streams.stderr.write(s),
      // commander's own usage errors (unknown option, missing argument) carry their code like ours.
      outputError: (s, write) => write(usageLine(s)),
    })
    .exitOverride();
  registerValidate(program, ctx, act);
  registerSchema(program, ctx, act);
  registerInit(program, ctx, act);
  registerRelease(program, ctx, act);
  registerReleases(program, ctx, act);
  registerCi(program, ctx, act);
  registerStatus(program, ctx, act);
  registerDeploy(program, ctx, act);
  registerControl(program, ctx, act);
  registerRollback(program, ctx, act);
  registerHistory(program, ctx, act);
  registerPerf(program, ctx, act);
  registerAgent(program, ctx, act);
  registerHosts(program, ctx, act);
  registerConfig(program, ctx, act);
  registerSecret(program, ctx, act);
  registerExec(program, ctx, act);
  registerLogs(program, ctx, act);
  registerApprove(program, ctx, act);
  registerReject(program, ctx, act);
  registerAccept(program, ctx, act);
  registerCheck(program, ctx, act);
  registerChecklist(program, ctx, act);
  registerOverride(program, ctx, act);
  registerPromote(program, ctx, act);
  registerServer(program, ctx, act);
  registerToken(program, ctx, act);
  registerUser(program, ctx, act);
  registerAudit(program, ctx, act);
  registerStore(program, ctx, act);
  registerDoctor(program, ctx, act);
  registerFlags(program, ctx, act);
  registerMigrations(program, ctx, act);
  registerDb(program, ctx, act);
  registerMetrics(program, ctx, act);
  registerPostmortem(program, ctx, act);
  registerNotifications(program, ctx, act);
  addGlobalOptions(program);
  for (const command of program.commands) inheritSettings(command);
  return program;
}

/** `release create` for the leaf command `create` under `release`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function addGlobalOptions(command: Command): Command {
  return command
    .option('-f, --file <path>', 'the config file (default: slipway.yaml)')
    .option(
      '--store <url>',
      'a SQLite file or postgres://… URL (default: .slipway/slipway.db, or env SLIPWAY_STORE)',
    )
    .option('--json', 'print machine-readable JSON');
}

/** Commands that run themselves and also have subcommands (`agent`, `agent stop`) take the global options too. */
const RUNS_ITSELF = new Set(['agent']);

function inheritSettings(command: Command): void {
  command.exitOverride().showHelpAfterError('(run with --help for usage)');
  if (command.commands.length === 0 || RUNS_ITSELF.has(command.name())) addGlobalOptions(command);
  for (const sub of command.commands) inheritSettings(sub);
}

/** `error: unknown option '--x'` → `error[USAGE]: unknown option '--x'`, control characters escaped. */
function usageLine(text: string): string {
  return `error[USAGE]: ${printableLines(text.replace(/^error: /, '').trimEnd())}\n`;
}

export interface MainOptions {
  readonly cwd?: string;
  readonly streams?: IoStreams;
  /** Where `--from-stdin` reads; default process.stdin. */
  readonly stdin?: NodeJS.ReadableStream;
}

/** Run the CLI; resolves to the exit code. */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const streams = options.streams ?? { stdout: process.stdout, stderr: process.stderr };
  const cwd = options.cwd ?? process.cwd();
  let context: Context | undefined;
  let code: number = EXIT.ok;
  let globals: GlobalOptions = { file: 'slipway.yaml', json: false };
  const ctx = (): Context => {
    context ??= createContext(createIo(streams, globals.json), cwd, globals, options.stdin);
    return context;
  };
  // The command about to run; with SLIPWAY_URL set, remote-dispatch.ts decides what it does.
  let path = '';
  const act: Act =
    (fn) =>
    async (...args) => {
      const remote = remoteAction(path, () => ctx().remote());
      if (remote && globals.store !== undefined)
        throw new AppError(
          'USAGE',
          `--store names a local store, but SLIPWAY_URL is set, so slipway ${path} would go to the server; unset SLIPWAY_URL to use the store`,
        );
      code = remote ? await remote(ctx(), args) : await fn(...args);
    };
  const program = buildProgram(ctx, act, streams);
  program.hook('preAction', (_root, command) => {
    path = commandPath(command);
    const opts = command.optsWithGlobals<{ file?: string; store?: string; json?: boolean }>();
    globals = {
      file: opts.file ?? 'slipway.yaml',
      json: opts.json === true,
      ...(opts.store !== undefined && { store: opts.store }),
    };
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    return report(error, streams, globals.json || argv.includes('--json'), (t) => context?.redact(t) ?? t);
  } finally {
    await context?.close();
  }
}

/** Prints an error; every text goes through `redact`, so a secret a command has seen never shows. */
function report(error: unknown, streams: IoStreams, json: boolean, redact: (text: string) => string): number {
  if (error instanceof CommanderError) {
    // Help and version end through here too, with exit code 0.
    if (error.exitCode === 0) return EXIT.ok;
    // The text went to stderr through outputError; a script asking for JSON gets it on stdout too.
    if (json) {
      const usage = new AppError('USAGE', printable(error.message.replace(/^error: /, '')));
      streams.stdout.write(`${JSON.stringify({ error: usage.toJSON() }, null, 2)}\n`);
    }
    return EXIT.usage;
  }
  const appError = isAppError(error) ? error : undefined;
  if (appError) {
    if (json) streams.stdout.write(`${redact(JSON.stringify(errorEnvelope(appError), null, 2))}\n`);
    else {
      streams.stderr.write(`error[${appError.code}]: ${printableLines(redact(appError.message))}\n`);
      for (const line of appError.details) streams.stderr.write(`  ${printable(redact(line))}\n`);
    }
    return appError.exitCode;
  }
  const bug = new AppError('INTERNAL', 'slipway hit a bug; please report it with the trace below', {
    cause: error,
  });
  streams.stderr.write(
    `error[${bug.code}]: ${bug.message}\n${redact((error as Error)?.stack ?? String(error))}\n`,
  );
  return bug.exitCode;
}
