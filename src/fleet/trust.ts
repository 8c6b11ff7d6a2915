/**
 * `slipway hosts trust ENV`: pins each host's SSH key into the project's known_hosts. A host
 * already pinned with the same key is left as it is; one whose key changed is refused (the
 * fingerprints shown), never re-pinned silently.
 */

import type { Fleet } from './hosts.ts';
import { touchContact } from './hosts.ts';
import { fingerprint } from './known-hosts.ts';
import { connect } from './ssh.ts';

export interface TrustOutcome {
  readonly address: string;
  readonly port: number;
  readonly fingerprint?: string;
  readonly status: 'pinned' | 'already pinned' | 'refused';
  readonly error?: string;
}

export async function trustHosts(fleet: Fleet): Promise<TrustOutcome[]> {
  return Promise.all(
    fleet.hosts.map(async (host): Promise<TrustOutcome> => {
      const before = fleet.knownHosts.get(host.address, host.port);
      try {
        const ssh = await connect(host, fleet.knownHosts, 'trust');
        ssh.close();
        touchContact(fleet, host.address);
        // The jump host's key is pinned with the first host behind it (refused above if it changed).
        if (host.jump && ssh.jumpHostKey && !fleet.knownHosts.get(host.jump.address, host.jump.port))
          fleet.knownHosts.pin(host.jump.address, host.jump.port, ssh.jumpHostKey);
        if (before?.blob.equals(ssh.hostKey))
          return {
            address: host.address,
            port: host.port,
            fingerprint: fingerprint(ssh.hostKey),
            status: 'already pinned',
          };
        fleet.knownHosts.pin(host.address, host.port, ssh.hostKey);
        return {
          address: host.address,
          port: host.port,
          fingerprint: fingerprint(ssh.hostKey),
          status: 'pinned',
        };
      } catch (error) {
        return { address: host.address, port: host.port, status: 'refused', error: (error as Error).message };
      }
    }),
  );
}
