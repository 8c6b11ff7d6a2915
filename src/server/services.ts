/** What the routes use, passed in by `createServerApp` (no module state). */
import type { SlipwayConfig } from '../config/schema.ts';
import type { Store } from '../store/contract.ts';
import type { DeploymentRunner } from './runner.ts';

export interface Services {
  readonly store: Store;
  readonly runner: DeploymentRunner;
  readonly config: SlipwayConfig | null;
  /** The project's `.slipway/` (uploaded releases land in its releases/); null: no project. */
  readonly dataDir: string | null;
  /** The largest release upload accepted, in bytes. */
  readonly maxUploadBytes: number;
  readonly now: () => Date;
  /** How often the event stream looks for new timeline entries; default 300 ms. */
  readonly ssePollMs: number;
  /** Mark the session cookie Secure (behind HTTPS). */
  readonly secureCookies: boolean;
  /** Dashboard session lifetime; default 12 h (never past its token's expiry). */
  readonly sessionMs: number;
}
