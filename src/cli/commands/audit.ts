/** `slipway audit verify|export`: check the audit log's hash chain; write it out as JSON lines. */
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import { readAnchor } from '../../store/anchor.ts';
import { auditEntries, verifyAuditLog } from '../../store/audit-verify.ts';
import { type Act, type Context, storeDescription } from '../context.ts';

export function registerAudit(program: Command, ctx: () => Context, act: Act): void {
  const audit = program.command('audit').description('The append-only, hash-chained audit log.');
  audit
    .command('verify')
    .description('Check that no entry was edited, removed or reordered; names the first bad entry (exit 1).')
    .action(
      act(async () => {
        const c = ctx();
        const store = await c.store();
        const { key } = storeDescription(c);
        const anchor = readAnchor(c.dataDir(), key);
        const { entries, broken, mismatch, anchorsChecked } = await verifyAuditLog(store, anchor);
        if (broken) {
          throw new AppError(
            'AUDIT_CHAIN_BROKEN',
            `audit entry ${broken.seq} is bad: ${broken.problem} (${entries} entries read); export the log with \`slipway audit export\` and compare it with a copy you trust`,
          );
        }
        if (mismatch) {
          throw new AppError(
            'AUDIT_ANCHOR_MISMATCH',
            `the audit log does not match what was recorded outside it: ${mismatch}. Restore the store from a backup taken before this happened (\`slipway store restore BACKUP\`) and keep this copy for investigation`,
          );
        }
        if (c.io.json) c.io.data({ entries, intact: true, anchorsChecked });
        else {
          c.io.out(
            `audit log intact: ${entries} entries, each linked to the one before; matches ${anchorsChecked} head${anchorsChecked === 1 ? '' : 's'} recorded outside it${anchor ? '' : ' (no audit anchor yet: .slipway/audit-head)'}`,
          );
        }
        return 0;
      }),
    );
  audit
    .command('export')
    .description('Write every audit entry as one JSON object per line, oldest first.')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(
      act(async (opts: { out?: string }) => {
        const c = ctx();
        const store = await c.store();
        const file = opts.out ? createWriteStream(resolve(c.cwd, opts.out), { flags: 'wx' }) : undefined;
        const fileError = file
          ? new Promise<never>((_, reject) =>
              file.once('error', (e: NodeJS.ErrnoException) =>
                reject(
                  new AppError(
                    'USAGE',
                    `--out ${opts.out}: ${e.code === 'EEXIST' ? 'the file exists; pick another name' : e.message}`,
                  ),
                ),
              ),
            )
          : undefined;
        let n = 0;
        const work = (async () => {
          for await (const entry of auditEntries(store)) {
            const line = JSON.stringify(entry);
            if (file) {
              if (!file.write(`${line}\n`)) await new Promise<void>((r) => file.once('drain', () => r()));
            } else c.io.out(line);
            n++;
          }
          if (file) await new Promise<void>((r) => file.end(r));
        })();
        await (fileError ? Promise.race([work, fileError]) : work);
        if (file) c.io.err(`wrote ${n} audit entries to ${opts.out}`);
        return 0;
      }),
    );
}
