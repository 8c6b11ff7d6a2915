/**
 * The process that writes an instance's log file when the instance holds secrets: the instance's
 * stdout and stderr come in on stdin, go through the stream redactor and are appended to the file
 * given as argument, so no secret value (in any of the forms secretForms lists) reaches the disk.
 * The values arrive as JSON on fd 3, never in argv or the environment. Like the instance it runs
 * detached, so both outlive the agent that started them; it ends when the instance's output ends.
 *
 * Usage: node log-writer.js <log file>   (fd 3: {"KEY": "value", ...})
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Redactor } from '../../secrets/redact.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: log-writer <log file> (secrets as JSON on fd 3)\n');
  process.exit(2);
}
const secrets = JSON.parse(readFileSync(3, 'utf8')) as Record<string, string>;
// The instance's process group gets the signals; this one only stops when its input ends.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
await pipeline(
  process.stdin,
  new Redactor(secrets).stream(),
  createWriteStream(file, { flags: 'a', mode: 0o600 }),
).catch(() => process.exit(1));
