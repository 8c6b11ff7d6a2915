/**
 * `slipway agent install` / `uninstall`: make the supervised agent (`slipway agent --supervise`)
 * a service of the machine, so a crash heals by itself and it comes back after a reboot.
 * - systemd (when it is PID 1): a unit with Restart=on-failure, enabled and started.
 * - elsewhere (containers, minimal hosts): the plain supervisor mode. A start script is written
 *   (`<stateDir>/agent-start.sh`), started now in the background, and the line to start it at
 *   boot is printed (the supervisor restarts the agent; nothing restarts the supervisor).
 * What was installed is recorded in `<stateDir>/install.json` so uninstall removes exactly that.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { AppError } from '../domain/errors.ts';
import { readJson, writeJsonAtomic } from '../runtime/process/atomic-json.ts';
import { stopAgent } from './stop.ts';
import { runningSupervisor } from './supervisor.ts';

const bin = new URL('../../bin/slipway.js', import.meta.url).pathname;

export interface InstallPlan {
  readonly app: string;
  readonly projectDir: string;
  readonly stateDir: string;
  readonly port: number;
  /** Node and bin/slipway.js, absolute; default this Node and this slipway. */
  readonly command?: readonly string[];
}

interface Installed {
  readonly mode: 'systemd' | 'plain';
  readonly file: string;
  readonly unit?: string;
  readonly user?: boolean;
}

const quote = (arg: string) =>
  /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;

function startCommand(plan: InstallPlan): string[] {
  const [node, ...prefix] = plan.command ?? [process.execPath, '--disable-warning=ExperimentalWarning', bin];
  return [
    node!,
    ...prefix,
    'agent',
    '--supervise',
    '--state-dir',
    plan.stateDir,
    '--port',
    String(plan.port),
  ];
}

/** systemd unit names: the app name, made safe. */
export function unitName(app: string): string {
  return `slipway-agent-${app.replace(/[^A-Za-z0-9_.-]/g, '_')}.service`;
}

/** The systemd unit that runs the supervised agent (`root`: a system unit; default as this process runs). */
export function systemdUnit(plan: InstallPlan, root = process.getuid?.() === 0): string {
  return `# Written by \`slipway agent install\`; \`slipway agent uninstall\` removes it.
[Unit]
Description=slipway data-plane agent for ${plan.app} (${plan.projectDir})
After=network.target

[Service]
Type=simple
WorkingDirectory=${plan.projectDir}
Environment=SLIPWAY_LOG=json
ExecStart=${startCommand(plan).map(quote).join(' ')}
Restart=on-failure
RestartSec=1s
# Stop only the supervisor (it stops its agent): app instances run in this unit's cgroup but are
# meant to outlive an agent restart, and the next agent adopts them (\`slipway agent stop
# --instances\` ends them).
KillMode=process
TimeoutStopSec=30s

[Install]
WantedBy=${root ? 'multi-user.target' : 'default.target'}
`;
}

/** The start script of the plain supervisor mode. */
export function startScript(plan: InstallPlan, logFile: string): string {
  return `#!/bin/sh
# Written by \`slipway agent install\` (no systemd here): starts the supervised slipway agent for
# ${plan.app} in the background. \`slipway agent uninstall\` stops it and removes this file.
cd ${quote(plan.projectDir)} || exit 1
SLIPWAY_LOG=json nohup ${startCommand(plan).map(quote).join(' ')} >> ${quote(logFile)} 2>&1 < /dev/null &
echo "slipway agent supervisor started (pid $!); log: ${logFile}"
`;
}

/**
 * What `installAgent` would write on another machine (`slipway hosts bootstrap` over SSH): the file,
 * its content, the record for `uninstall`, and the shell command that starts the service.
 */
export function installPlanFiles(
  plan: InstallPlan,
  on: { systemd: boolean; root: boolean; home: string },
): { file: string; content: string; installed: Installed; start: string } {
  if (on.systemd) {
    const unit = unitName(plan.app);
    const file = on.root ? `/etc/systemd/system/${unit}` : `${on.home}/.config/systemd/user/${unit}`;
    const sc = on.root ? 'systemctl' : 'systemctl --user';
    return {
      file,
      content: systemdUnit(plan, on.root),
      installed: { mode: 'systemd', file, unit, user: !on.root },
      start: `${sc} daemon-reload && ${sc} enable ${unit} && ${sc} restart ${unit}`,
    };
  }
  const file = join(plan.stateDir, 'agent-start.sh');
  return {
    file,
    content: startScript(plan, join(plan.stateDir, 'agent.log')),
    installed: { mode: 'plain', file },
    start: `setsid /bin/sh ${quote(file)} > /dev/null 2>&1 < /dev/null`,
  };
}

export function systemdIsInit(): boolean {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd';
  } catch {
    return false;
  }
}

function systemctl(user: boolean, ...args: string[]): void {
  const run = spawnSync('systemctl', [...(user ? ['--user'] : []), ...args], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new AppError(
      'AGENT_INSTALL_FAILED',
      `systemctl ${args.join(' ')} failed: ${(run.error?.message ?? run.stderr).trim()}`,
    );
  }
}

const installFile = (stateDir: string) => join(stateDir, 'install.json');

export interface InstallResult {
  readonly mode: 'systemd' | 'plain';
  readonly file: string;
  readonly lines: readonly string[];
}

export async function installAgent(
  plan: InstallPlan,
  options: { systemd?: boolean } = {},
): Promise<InstallResult> {
  const previous = readJson<Installed | null>(installFile(plan.stateDir), null);
  if (previous && existsSync(previous.file)) {
    throw new AppError(
      'AGENT_INSTALL_FAILED',
      `the agent is already installed (${previous.file}); run \`slipway agent uninstall\` first`,
    );
  }
  if (options.systemd ?? systemdIsInit()) {
    const user = process.getuid?.() !== 0;
    const unit = unitName(plan.app);
    const dir = user ? join(homedir(), '.config', 'systemd', 'user') : '/etc/systemd/system';
    const file = join(dir, unit);
    writeFileSync(file, systemdUnit(plan), { mode: 0o644 });
    writeJsonAtomic(installFile(plan.stateDir), { mode: 'systemd', file, unit, user } satisfies Installed);
    systemctl(user, 'daemon-reload');
    systemctl(user, 'enable', '--now', unit);
    const sc = user ? 'systemctl --user' : 'systemctl';
    return {
      mode: 'systemd',
      file,
      lines: [
        `installed ${file} (Restart=on-failure) and started it`,
        `status: ${sc} status ${unit}; log: journalctl ${user ? '--user ' : ''}-u ${unit}`,
      ],
    };
  }
  if (runningSupervisor(plan.stateDir)) {
    throw new AppError(
      'AGENT_INSTALL_FAILED',
      `a supervised agent already runs on ${plan.stateDir}; stop it (\`slipway agent stop\`) and install again`,
    );
  }
  mkdirSync(plan.stateDir, { recursive: true, mode: 0o700 });
  const file = join(plan.stateDir, 'agent-start.sh');
  const log = join(plan.stateDir, 'agent.log');
  writeFileSync(file, startScript(plan, log), { mode: 0o755 });
  chmodSync(file, 0o755);
  writeJsonAtomic(installFile(plan.stateDir), { mode: 'plain', file } satisfies Installed);
  const started = spawn('/bin/sh', [file], { stdio: 'ignore', detached: true });
  await new Promise<void>((resolve, reject) => {
    started.once('error', reject);
    started.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new AppError('AGENT_INSTALL_FAILED', `${file} exited with ${code}; see ${log}`)),
    );
  });
  return {
    mode: 'plain',
    file,
    lines: [
      `systemd is not this machine's init (PID 1), so the plain supervisor mode is used: it restarts the agent when it dies, but nothing restarts the supervisor itself or starts it at boot`,
      `wrote ${file} and started it; log: ${log}`,
      `to start it at boot, add to the crontab (crontab -e): @reboot ${quote(file)}`,
    ],
  };
}

export async function uninstallAgent(stateDir: string): Promise<readonly string[]> {
  const installed = readJson<Installed | null>(installFile(stateDir), null);
  if (installed === null) {
    throw new AppError(
      'AGENT_NOT_INSTALLED',
      `the agent of ${stateDir} is not installed (no ${basename(installFile(stateDir))}); \`slipway agent stop\` stops an agent started by hand`,
    );
  }
  const lines: string[] = [];
  if (installed.mode === 'systemd' && installed.unit) {
    systemctl(installed.user === true, 'disable', '--now', installed.unit);
    rmSync(installed.file, { force: true });
    systemctl(installed.user === true, 'daemon-reload');
    lines.push(`stopped and removed ${installed.file}`);
  } else {
    const report = await stopAgent(stateDir);
    rmSync(installed.file, { force: true });
    lines.push(
      report.supervisor !== null
        ? `stopped the supervisor (pid ${report.supervisor}) and its agent; removed ${installed.file}`
        : `removed ${installed.file} (no supervisor was running)`,
    );
  }
  rmSync(installFile(stateDir), { force: true });
  lines.push('app instances keep running; `slipway agent stop --instances` ends them');
  return lines;
}
