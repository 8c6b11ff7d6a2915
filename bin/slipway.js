#!/usr/bin/env node
// Entry point. slipway runs on Node 24. In a clone it runs the TypeScript in src/ directly (Node's
// type stripping); the npm package has no src/, only the JavaScript compiled into lib/.
// When started by an older Node, re-run under the Node 24 of the `node` npm package, which
// `npm install` puts beside slipway (in the clone, or as the installed package's dependency).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  let pinned = null;
  try {
    // Resolved as a package, so a copy hoisted into the app's node_modules is found too.
    pinned = join(
      dirname(nodeModule.createRequire(import.meta.url).resolve('node/package.json')),
      'bin',
      'node',
    );
  } catch {}
  if (!pinned || !existsSync(pinned)) {
    process.stderr.write(
      `slipway needs Node.js 24; this is ${process.version}. Install Node.js 24, or reinstall slipway with npm (it brings Node 24 as the \`node\` package) in ${root}.\n`,
    );
    process.exit(4);
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // This process only stands in for the child. SIGTERM (kill, a supervisor stopping `slipway agent`)
  // is passed on; Ctrl-C and a closed terminal reach the child by themselves (same process group),
  // so here they are only kept from ending this process before the child has ended.
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGQUIT']) process.on(signal, () => {});
  child.once('error', (err) => {
    process.stderr.write(`slipway: could not start ${pinned}: ${err.message}\n`);
    process.exit(4);
  });
  child.once('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
} else {
  await run();
}

async function run() {
  // node:sqlite is stable in use but still flagged experimental in Node 24; keep that notice out of the user's output.
  const emit = process.emitWarning;
  process.emitWarning = (warning, ...rest) => {
    const text = typeof warning === 'string' ? warning : warning?.message;
    if (typeof text === 'string' && text.startsWith('SQLite is an experimental feature')) return;
    return emit.call(process, warning, ...rest);
  };

  // Every command loads the same few hundred modules: V8's code cache for them (in the OS temp folder,
  // or NODE_COMPILE_CACHE) takes about 40% off each start's CPU time.
  nodeModule.enableCompileCache?.();

  const args = process.argv.slice(2);
  const clone = existsSync(join(root, 'src', 'cli', 'main.ts'));
  const code = (path) => (clone ? `../src/${path}.ts` : `../lib/${path}.js`);
  // An agent restart is on the serving path: start it without loading the whole CLI.
  const agent = await import(code('agent/fast-entry'));
  if (agent.isPlainAgentCall(args)) {
    process.exitCode = await agent.runAgentFast(args.slice(1));
  } else {
    const { main } = await import(code('cli/main'));
    process.exitCode = await main(args);
  }
}
