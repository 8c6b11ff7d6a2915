/**
 * Test entry: an agent with the process runtime and the in-memory FakeRouter, run as a real child
 * process so tests can kill it (-9) and start it again. Prints one JSON line when ready.
 * Usage: node fake-router-entry.ts <stateDir>
 */
import { FakeRouter } from '../traffic/fake-router.ts';
import { runAgent } from './main.ts';

const stateDir = process.argv[2];
if (stateDir === undefined) {
  process.stderr.write('usage: fake-router-entry.ts <stateDir>\n');
  process.exit(2);
}
const running = await runAgent({
  stateDir,
  router: new FakeRouter(),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify({ ready: true, url: running.url, pid: process.pid })}\n`);
process.once('SIGTERM', () => {
  void running.close().then(() => process.exit(0));
});
