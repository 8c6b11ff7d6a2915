/**
 * The agent's test proxy through the TrafficRouter contract: what it does, it does like every
 * driver; what it leaves out is listed with the reason, and not run.
 */
import { runRouterStateContract, runTrafficContract } from '../traffic/contract.case.test.ts';
import { TinyProxyRouter } from './tiny-proxy.ts';

runTrafficContract({
  name: 'tiny-proxy (test fake)',
  create: () => new TinyProxyRouter(),
  leftOut: [
    {
      reason: 'a test fake for weighted switches: it declares no stickiness, preview or metrics capability',
      tests: [
        'stickiness: a user on the new release stays there while its weight grows',
        'preview header routes to a named release even at weight 0',
        'metrics count requests by status class',
      ],
    },
    {
      reason: 'it runs no health checks and no retries: agent tests keep their backends up',
      tests: [
        'an unhealthy backend gets no traffic',
        'no healthy backend answers 5xx',
        'a SIGKILLed backend fails no request',
      ],
    },
    {
      reason: 'it proxies requests as they come: no upgrades (websockets: false), no forwarded headers added',
      tests: ['websocket upgrade passes through', 'forwarded headers and request id'],
    },
  ],
});

runRouterStateContract({ name: 'tiny-proxy (test fake)', create: () => new TinyProxyRouter() });
