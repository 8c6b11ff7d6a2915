import type { RouterCapabilities } from '../contract.ts';

/** What the builtin router does, in this thread (router.ts) or in its own (threaded-router.ts). */
export const BUILTIN_CAPABILITIES: RouterCapabilities = {
  stickiness: true,
  preview: true,
  metrics: true,
  websockets: true,
};
