#!/usr/bin/env node
// Entry point. slipway runs on Node 24 (TypeScript is run directly through Node's type stripping).
// When started by an older Node, re-run under the Node 24 that `npm install` pinned in node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(pinned)) {
    process.stderr.write(
      `slipway needs Node.js 24; this is ${process.version}. Run \`npm install\` in ${root} (it installs Node 24 locally) or install Node 24.\n`,
    );
    process.exit(2);
  }
  const child = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

// node:sqlite is stable in use but still flagged experimental in Node 24; keep that notice out of the user's output.
const emit = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const text = typeof warning === 'string' ? warning : warning?.message;
  if (typeof text === 'string' && text.startsWith('SQLite is an experimental feature')) return;
  return emit.call(process, warning, ...rest);
};

const args = process.argv.slice(2);
// An agent restart is on the serving path: start it without loading the whole CLI.
const agent = await import('../src/agent/fast-entry.ts');
if (agent.isPlainAgentCall(args)) {
  process.exitCode = await agent.runAgentFast(args.slice(1));
} else {
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(args);
}
