/**
 * `npm test`: every `*.test.ts` under src/ and test/ (or the files named on the command line), three
 * files at a time, the slowest suites first; `--test-name-pattern` and `--test-skip-pattern` as in
 * `node --test`.
 *
 * `node --test` starts files in name order. The demo's suite (then both stories, about 5 minutes on a
 * busy 2-core machine) is named late, so it started when most of the run was over and ran on alone
 * at the end: a run of 15.5 minutes spent its last 4 on it. Starting the suites known to be slow first
 * lets the short ones fill the other slots around them. The list is only an order: a suite missing
 * from it still runs, in name order after the listed ones.
 */
import { existsSync, globSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { parseArgs } from 'node:util';

/** Slowest first, as measured in a full run (seconds on a 2-core machine, three files at a time). */
const SLOW_FIRST = [
  'src/fleet/fleet-engine.e2e.test.ts', // 235
  'test/demo.e2e.test.ts', // 180
  'src/fleet/fleet-ops.e2e.test.ts', // 165
  'test/client-seat.e2e.test.ts', // 120
  'src/fleet/fleet.e2e.test.ts', // 130
  'test/interrupted-deploy.e2e.test.ts', // 125
  'test/performance.e2e.test.ts', // 115
  'test/control-plane-kill.e2e.test.ts', // 105
  'test/demo-containers.e2e.test.ts', // 105
  'test/container-image.e2e.test.ts', // 85
  'test/package.e2e.test.ts', // 75
  'test/container-strategies.e2e.test.ts', // 75
  'test/dashboard.e2e.test.ts', // 50
];

// `npm test -- [files…] [--test-name-pattern=RE] [--test-skip-pattern=RE]`, as with `node --test`.
function args() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        'test-name-pattern': { type: 'string', multiple: true },
        'test-skip-pattern': { type: 'string', multiple: true },
      },
    });
  } catch (error) {
    process.stderr.write(
      `npm test: ${(error as Error).message}\nusage: npm test -- [files…] [--test-name-pattern=RE] [--test-skip-pattern=RE]\n`,
    );
    process.exit(2);
  }
}
const { values, positionals: named } = args();
const missing = named.filter((f) => !existsSync(f));
if (missing.length > 0) {
  process.stderr.write(
    `npm test: no such test file: ${missing.join(', ')} (paths are from the repository root)\n`,
  );
  process.exit(2);
}
const all = named.length > 0 ? named : globSync(['src/**/*.test.ts', 'test/**/*.test.ts']).sort();
const files = [...SLOW_FIRST.filter((f) => all.includes(f)), ...all.filter((f) => !SLOW_FIRST.includes(f))];

// Each test file is a process that loads hundreds of modules, as do the processes it starts: V8's
// code cache for them (the folder `slipway` itself uses, Node's default) takes about a third off a
// short suite's CPU time.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'node-compile-cache');

const stream = run({
  files,
  concurrency: 3,
  timeout: 300_000,
  execArgv: ['--disable-warning=ExperimentalWarning'],
  ...(values['test-name-pattern'] && { testNamePatterns: values['test-name-pattern'] }),
  ...(values['test-skip-pattern'] && { testSkipPatterns: values['test-skip-pattern'] }),
});
stream.on('test:fail', () => {
  process.exitCode = 1;
});
stream.compose(spec).pipe(process.stdout);
