/**
 * `slipway hosts stop ENV`: the environment stops being served — its load balancer is stopped and
 * each host's agent drops the environment (its instances stop, its router port closes). The agents
 * themselves keep running for other environments; shipped releases stay on the hosts.
 */
import { stopFront } from './front.ts';
import { hostDir, openHostAgent } from './host-agent.ts';
import { type Fleet, touchContact } from './hosts.ts';
import { connect } from './ssh.ts';

export interface StopOutcome {
  readonly address: string;
  readonly status: 'stopped' | 'not running' | 'failed';
  readonly error?: string;
}

export async function stopFleet(fleet: Fleet): Promise<{ balancer: boolean; hosts: StopOutcome[] }> {
  // The load balancer first, so no request is sent to a host whose instances are stopping.
  const balancer = await stopFront(fleet.dataDir, fleet.env);
  const hosts = await Promise.all(
    fleet.hosts.map(async (host): Promise<StopOutcome> => {
      let ssh: Awaited<ReturnType<typeof connect>> | undefined;
      try {
        ssh = await connect(host, fleet.knownHosts, 'verify');
        touchContact(fleet, host.address);
        const dir = await hostDir(ssh, host.dir);
        const agent = await openHostAgent(ssh, { dir, agentCommand: host.agent, start: false }).catch(
          () => undefined,
        );
        if (agent === undefined) return { address: host.address, status: 'not running' };
        try {
          if ((await agent.client.desired(fleet.env)) === undefined)
            return { address: host.address, status: 'not running' };
          await agent.client.deleteEnv(fleet.env);
          return { address: host.address, status: 'stopped' };
        } finally {
          await agent.close();
        }
      } catch (error) {
        return { address: host.address, status: 'failed', error: (error as Error).message };
      } finally {
        ssh?.close();
      }
    }),
  );
  return { balancer, hosts };
}
