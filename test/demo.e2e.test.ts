/**
 * The README's main command, `npm run demo`, run for real: it must finish, tell its story with
 * measured figures, and leave nothing running. The same story on containers is in
 * demo-containers.e2e.test.ts, a suite of its own so that the two can run side by side.
 */
import { test } from 'node:test';
import { assertStory, demo } from './demo-story.ts';

// The whole story is minutes of real traffic; on a busy machine more than the suite's 5-minute default.
test('the demo deploys, switches, rolls back by hand and on its own, rolls a flag out and kills it, under traffic, and cleans up', {
  timeout: 600_000,
}, async () => {
  assertStory(await demo());
});
