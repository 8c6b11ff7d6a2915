/**
 * `slipway doctor`: one line per check, ok or FAIL with the fix — the config, the store (marker,
 * a full integrity check, the audit log against its anchors), the agent, and the binaries the
 * configured drivers and store need. Exit 1 when any check fails.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { connectLocalAgent } from '../../agent/client.ts';
import type { SlipwayConfig } from '../../config/schema.ts';
import { AppError, isAppError } from '../../domain/errors.ts';
import { readAnchor } from '../../store/anchor.ts';
import { verifyAuditLog } from '../../store/audit-verify.ts';
import type { Store } from '../../store/contract.ts';
import { checkOpen } from '../../store/sqlite/backup.ts';
import { sqliteHandle } from '../../store/sqlite/store.ts';
import { type Act, type Context, storeDescription } from '../context.ts';

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const describe = (error: unknown): string =>
  isAppError(error) ? `${error.code}: ${error.message}` : (error as Error).message;

export function registerDoctor(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('doctor')
    .description(
      'Check the config, the store (marker, integrity, audit log), the agent and the binaries the configured drivers need; one line per check, exit 1 when any fails.',
    )
    .action(
      act(async () => {
        const c = ctx();
        const checks: Check[] = [];
        const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
        let config: SlipwayConfig | undefined;
        try {
          config = c.config().config;
          add(
            'config',
            true,
            `${c.options.file}: app ${config.app}, ${Object.keys(config.environments).length} environment(s)`,
          );
        } catch (error) {
          add('config', false, `${describe(error)}; fix it, then \`slipway validate\``);
        }
        await storeChecks(c, add);
        await agentCheck(c, add);
        binaryChecks(c, config, add);
        if (c.io.json) c.io.data({ ok: checks.every((x) => x.ok), checks });
        else for (const x of checks) c.io.out(`${x.ok ? 'ok  ' : 'FAIL'}  ${x.name.padEnd(9)} ${x.detail}`);
        const failed = checks.filter((x) => !x.ok).map((x) => x.name);
        if (failed.length > 0 && c.io.json) return 1;
        if (failed.length > 0)
          throw new AppError('DOCTOR_FAILED', `${failed.length} check(s) failed: ${failed.join(', ')}`);
        return 0;
      }),
    );
}

type Add = (name: string, ok: boolean, detail: string) => void;

async function storeChecks(c: Context, add: Add): Promise<void> {
  const { key, shown } = storeDescription(c);
  let store: Store;
  try {
    store = await c.store();
  } catch (error) {
    add('store', false, describe(error));
    return;
  }
  add(
    'store',
    true,
    `${shown}: store ${store.id} (${store.dialect}, schema ${await store.schemaVersion()}), as recorded in the project marker`,
  );
  const handle = sqliteHandle(store);
  if (handle) {
    const problem = checkOpen(handle, 'integrity_check');
    add(
      'integrity',
      problem === null,
      problem === null
        ? 'PRAGMA integrity_check: ok'
        : `PRAGMA integrity_check: ${problem}; stop writing to it and restore a backup (\`slipway store restore BACKUP\`)`,
    );
  }
  try {
    const verdict = await verifyAuditLog(store, readAnchor(c.dataDir(), key));
    const problem = verdict.broken
      ? `entry ${verdict.broken.seq}: ${verdict.broken.problem}`
      : verdict.mismatch;
    add(
      'audit',
      problem === null,
      problem === null
        ? `${verdict.entries} entries, chain intact, matches ${verdict.anchorsChecked} head(s) recorded outside it`
        : `${problem}; run \`slipway audit verify\` and restore a backup taken before it`,
    );
  } catch (error) {
    add('audit', false, describe(error));
  }
}

async function agentCheck(c: Context, add: Add): Promise<void> {
  try {
    const agent = connectLocalAgent(join(c.dataDir(), 'agent'), { timeoutMs: 5000 });
    const envs = await agent.statusAll();
    add('agent', true, `reachable, running ${envs.length} environment(s)`);
  } catch (error) {
    add('agent', false, `${describe(error)}`);
  }
}

/** The binaries slipway will start for this config: the routers it names, pg_dump for a PostgreSQL store. */
function binaryChecks(c: Context, config: SlipwayConfig | undefined, add: Add): void {
  const needed = new Map<string, string>();
  for (const [env, spec] of Object.entries(config?.environments ?? {})) {
    const driver = spec.router?.driver;
    if (driver === 'haproxy' || driver === 'nginx') needed.set(driver, `router of ${env}`);
  }
  if (storeDescription(c).target.kind === 'postgres') needed.set('pg_dump', 'PostgreSQL store backups');
  for (const [binary, why] of needed) {
    const run = spawnSync(binary, binary === 'pg_dump' ? ['--version'] : ['-v'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    const found = !run.error;
    const version = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n')[0];
    add(
      binary,
      found,
      found
        ? `${version} (${why})`
        : `not found (${why}); install it: apt-get install ${binary === 'pg_dump' ? 'postgresql-client' : binary}`,
    );
  }
}
