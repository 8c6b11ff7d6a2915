/**
 * `slipway hosts status ENV`: for each host, whether it answers over SSH, the release its agent
 * serves for the environment, whether that is healthy, how the load balancer sees it, and when
 * the host was last reached.
 */
import { frontServersOf, serverName } from './front.ts';
import { hostDir, openHostAgent } from './host-agent.ts';
import { type Fleet, lastContacts, touchContact } from './hosts.ts';
import { connect } from './ssh.ts';

export interface HostStatus {
  readonly address: string;
  readonly roles: readonly string[];
  readonly reachable: boolean;
  readonly release: string | null;
  readonly healthy: boolean | null;
  /** The host's server at the load balancer: UP, DOWN, DRAIN…; null when no load balancer runs. */
  readonly balancer: string | null;
  readonly lastContact: string | null;
  readonly error?: string;
}

/**
 * `versionOf` turns the agent's release names into versions (the engine names releases by id;
 * `hosts deploy` by version).
 */
export async function fleetStatus(
  fleet: Fleet,
  versionOf: (name: string) => Promise<string> = async (name) => name,
): Promise<HostStatus[]> {
  const servers = await frontServersOf(fleet.dataDir, fleet.env);
  const statuses = await Promise.all(
    fleet.hosts.map(async (host) => {
      const balancer = servers.find((s) => s.name === serverName(host.address))?.status ?? null;
      const base = { address: host.address, roles: host.roles, balancer };
      let ssh: Awaited<ReturnType<typeof connect>> | undefined;
      try {
        ssh = await connect(host, fleet.knownHosts, 'verify', 5_000);
        touchContact(fleet, host.address);
        const dir = await hostDir(ssh, host.dir);
        // Status only looks: an agent that does not run is not started here.
        const agent = await openHostAgent(ssh, { dir, agentCommand: host.agent, start: false });
        try {
          const desired = await agent.client.desired(fleet.env);
          const status = desired ? await agent.client.status(fleet.env) : undefined;
          return {
            ...base,
            reachable: true,
            // Every release taking traffic, with its share during a canary: "2.0.0 90%, 3.0.0 10%".
            release: await releaseLine(desired?.releases ?? [], versionOf),
            healthy: status?.healthy ?? null,
          };
        } finally {
          await agent.close();
        }
      } catch (error) {
        return {
          ...base,
          reachable: ssh !== undefined,
          release: null,
          healthy: null,
          error: (error as Error).message,
        };
      } finally {
        ssh?.close();
      }
    }),
  );
  const contacts = lastContacts(fleet);
  return statuses.map((s) => ({ ...s, lastContact: contacts[s.address] ?? null }));
}

async function releaseLine(
  releases: readonly { release: string; weight: number }[],
  versionOf: (name: string) => Promise<string>,
): Promise<string | null> {
  const serving = releases.filter((r) => r.weight > 0);
  if (serving.length === 0) return null;
  const names = await Promise.all(serving.map((r) => versionOf(r.release).catch(() => r.release)));
  return serving.length === 1
    ? (names[0] as string)
    : serving.map((r, i) => `${names[i]} ${r.weight}%`).join(', ');
}
