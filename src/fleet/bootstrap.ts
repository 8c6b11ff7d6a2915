/**
 * `slipway hosts bootstrap ENV`: makes each host able to run the environment, idempotently.
 * 1. The runtime (`runtime-bundle.ts`: Node 24 and this slipway) into `<dir>/runtime/<digest>/`,
 *    streamed over SSH, its SHA-256 checked on the host before it is unpacked (atomic rename).
 * 2. A launcher, `<dir>/bin/slipway`, that runs that slipway with that Node.
 * 3. The supervised agent as a service, as `slipway agent install` writes it: a systemd unit
 *    (Restart=on-failure: systemd restarts the supervisor, the supervisor the agent) where systemd
 *    is the host's init, else the plain start script (the supervisor restarts the agent).
 * 4. The agent running under it, on the installed runtime.
 * Each step compares what is there first: a second run changes nothing and says so. A host's
 * `bootstrap.json` (in the agent's state folder) says how to start its agent again, so later
 * commands that find it stopped use the service rather than a bare process.
 */
import { createReadStream } from 'node:fs';
import { installPlanFiles } from '../agent/install.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import { hostDir, openHostAgent } from './host-agent.ts';
import { type Fleet, type FleetHost, touchContact } from './hosts.ts';
import type { RuntimeBundle } from './runtime-bundle.ts';
import { sh } from './shell.ts';
import { connect, type SshSession } from './ssh.ts';

export interface BootstrapStep {
  readonly step: 'runtime' | 'launcher' | 'supervisor' | 'agent';
  readonly changed: boolean;
  readonly note: string;
}

export interface BootstrapOutcome {
  readonly address: string;
  readonly status: 'changed' | 'unchanged' | 'failed';
  readonly steps: readonly BootstrapStep[];
  readonly error?: string;
}

/** What a host's `bootstrap.json` holds. */
export interface Bootstrapped {
  readonly runtime: string;
  readonly mode: 'systemd' | 'plain';
  readonly file: string;
  /** The shell command that starts the supervised agent (the service). */
  readonly start: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function installRuntime(ssh: SshSession, dir: string, bundle: RuntimeBundle): Promise<BootstrapStep> {
  const base = `${dir}/runtime`;
  const path = `${base}/${bundle.digest}`;
  const marker = `${path}.installed`;
  const what = `slipway ${bundle.slipwayVersion} on Node ${bundle.nodeVersion} (${bundle.digest})`;
  if ((await ssh.exec(`test -f ${sh(marker)} && test -x ${sh(`${path}/node/bin/node`)}`)).code === 0)
    return { step: 'runtime', changed: false, note: `${what} already installed` };
  const incoming = `${base}/.incoming-${bundle.digest}`;
  const sum = (
    await ssh.run(
      `mkdir -p ${sh(base)} && cat > ${sh(`${incoming}.tgz`)} && sha256sum ${sh(`${incoming}.tgz`)}`,
      {
        input: createReadStream(bundle.archive),
        timeoutMs: 600_000,
      },
    )
  ).split(/\s+/)[0];
  if (sum !== bundle.sha256) {
    await ssh.exec(`rm -f ${sh(`${incoming}.tgz`)}`);
    throw new AppError(
      'HOST_DEPLOY_FAILED',
      `host ${ssh.target.address}: the runtime archive arrived as sha256 ${sum}, sent ${bundle.sha256}; nothing was installed — check the host's disk and run bootstrap again`,
    );
  }
  await ssh.run(
    [
      `rm -rf ${sh(incoming)}`,
      `mkdir ${sh(incoming)}`,
      `tar -xzf ${sh(`${incoming}.tgz`)} -C ${sh(incoming)}`,
      `${sh(`${incoming}/node/bin/node`)} --version > /dev/null`,
      `rm -rf ${sh(path)}`,
      `mv ${sh(incoming)} ${sh(path)}`,
      `rm -f ${sh(`${incoming}.tgz`)}`,
      `echo ${sh(bundle.sha256)} > ${sh(marker)}`,
    ].join(' && '),
    { timeoutMs: 300_000 },
  );
  return {
    step: 'runtime',
    changed: true,
    note: `${what} installed (${Math.round(bundle.bytes / 1e6)} MB, sha256 verified)`,
  };
}

/** Writes `file` on the host when its content differs; true when it did. */
async function writeIfChanged(
  ssh: SshSession,
  file: string,
  content: string,
  mode: string,
): Promise<boolean> {
  const now = await ssh.exec(`cat ${sh(file)}`);
  if (now.code === 0 && now.stdout === content) return false;
  await ssh.run(
    `mkdir -p "$(dirname ${sh(file)})" && cat > ${sh(`${file}.tmp`)} && chmod ${mode} ${sh(`${file}.tmp`)} && mv ${sh(`${file}.tmp`)} ${sh(file)}`,
    { input: Buffer.from(content) },
  );
  return true;
}

async function bootstrapHost(
  ssh: SshSession,
  host: FleetHost,
  app: string,
  bundle: RuntimeBundle,
): Promise<BootstrapStep[]> {
  const dir = await hostDir(ssh, host.dir);
  const steps: BootstrapStep[] = [await installRuntime(ssh, dir, bundle)];
  const runtime = `${dir}/runtime/${bundle.digest}`;
  const launcher = `${dir}/bin/slipway`;
  const launcherText = `#!/bin/sh\n# Written by \`slipway hosts bootstrap\`: this host's slipway (${bundle.digest}).\nexec ${sh(`${runtime}/node/bin/node`)} --disable-warning=ExperimentalWarning ${sh(`${runtime}/slipway/bin/slipway.js`)} "$@"\n`;
  const wrote = await writeIfChanged(ssh, launcher, launcherText, '755');
  steps.push({ step: 'launcher', changed: wrote, note: `${launcher} ${wrote ? 'written' : 'unchanged'}` });

  const stateDir = `${dir}/agent`;
  const uid = (await ssh.run('id -u')).trim();
  const systemd =
    (await ssh.exec('test "$(cat /proc/1/comm 2>/dev/null)" = systemd && command -v systemctl >/dev/null'))
      .code === 0;
  const home = (await ssh.run('printf %s "$HOME"')).trim();
  const plan = { app, projectDir: dir, stateDir, port: 0, command: [launcher] };
  const files = installPlanFiles(plan, { systemd, root: uid === '0', home });
  const supervisorChanged = await writeIfChanged(ssh, files.file, files.content, systemd ? '644' : '755');
  const record: Bootstrapped = {
    runtime: bundle.digest,
    mode: systemd ? 'systemd' : 'plain',
    file: files.file,
    start: files.start,
  };
  // `slipway agent uninstall --state-dir` on the host removes what was installed here.
  await writeIfChanged(ssh, `${stateDir}/install.json`, `${JSON.stringify(files.installed)}\n`, '600');
  const previous = await ssh.exec(`cat ${sh(`${stateDir}/bootstrap.json`)}`);
  const recorded = previous.code === 0 ? previous.stdout.trim() : '';
  steps.push({
    step: 'supervisor',
    changed: supervisorChanged,
    note: `${files.file} ${supervisorChanged ? 'written' : 'unchanged'} (${systemd ? 'systemd unit, Restart=on-failure' : "plain supervisor: systemd is not the host's init, so nothing restarts the supervisor itself; to start it at boot add to the host's crontab: @reboot /bin/sh " + files.file})`,
  });

  const answering = await openHostAgent(ssh, { dir, agentCommand: launcher, start: false }).catch(
    () => undefined,
  );
  await answering?.close();
  if (answering !== undefined && !supervisorChanged && recorded === JSON.stringify(record)) {
    steps.push({ step: 'agent', changed: false, note: 'agent runs under its supervisor' });
    return steps;
  }
  // An agent started otherwise (by hand, or by an older runtime) gives way; its instances keep
  // running and the supervised agent adopts them.
  if (answering !== undefined || (await ssh.exec(`test -f ${sh(`${stateDir}/supervisor.json`)}`)).code === 0)
    await ssh.exec(`cd ${sh(dir)} && ${sh(launcher)} agent stop --state-dir ${sh(stateDir)}`, {
      timeoutMs: 60_000,
    });
  await ssh.run(`rm -f ${sh(`${stateDir}/agent.json`)} && ${files.start}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const agent = await openHostAgent(ssh, { dir, agentCommand: launcher, start: false }).catch(
      () => undefined,
    );
    if (agent !== undefined) {
      await agent.close();
      break;
    }
    if (Date.now() > deadline) {
      const log = await ssh.exec(`tail -n 5 ${sh(`${stateDir}/agent.log`)}`);
      throw new AppError(
        'AGENT_UNAVAILABLE',
        `host ${host.address}: the agent started by ${files.file} did not answer within 60 s. Its log ends: ${log.stdout.trim() || '(empty)'}`,
      );
    }
    await sleep(300);
  }
  await writeIfChanged(ssh, `${stateDir}/bootstrap.json`, JSON.stringify(record), '600');
  steps.push({
    step: 'agent',
    changed: true,
    note:
      answering === undefined ? 'agent started under its supervisor' : 'agent restarted under its supervisor',
  });
  return steps;
}

export async function bootstrapHosts(
  fleet: Fleet,
  config: SlipwayConfig,
  bundle: RuntimeBundle,
): Promise<BootstrapOutcome[]> {
  return Promise.all(
    fleet.hosts.map(async (host): Promise<BootstrapOutcome> => {
      let ssh: SshSession | undefined;
      try {
        ssh = await connect(host, fleet.knownHosts, 'verify');
        touchContact(fleet, host.address);
        const steps = await bootstrapHost(ssh, host, config.app, bundle);
        return {
          address: host.address,
          status: steps.some((s) => s.changed) ? 'changed' : 'unchanged',
          steps,
        };
      } catch (error) {
        return { address: host.address, status: 'failed', steps: [], error: (error as Error).message };
      } finally {
        ssh?.close();
      }
    }),
  );
}
