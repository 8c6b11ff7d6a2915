/** The app's pieces the migrations need: its config, store and each environment's resolved values. */
import type { Migrator } from '../engine/ports.ts';
import { type MigrationDeps, runMigrations } from '../migrations/deploy.ts';
import type { App } from './compose.ts';

export function migrationDeps(app: App): MigrationDeps {
  return {
    config: app.requireConfig(),
    projectDir: app.deps.projectDir,
    store: app.store,
    vars: async (env) => (app.values ? (await app.values.prepare(env)).vars : {}),
  };
}

/** The engine's Migrator port over src/migrations: backup, contract check, apply, in the deployment's name. */
export function createMigrator(deps: MigrationDeps): Migrator {
  return {
    async run(ctx, deploymentId) {
      const d = await deps.store.getDeployment(deploymentId);
      const result = await runMigrations(
        deps,
        ctx.env,
        { version: ctx.release.version, dir: ctx.release.cwd },
        d?.createdBy ?? 'slipway',
      );
      return { note: result.summary };
    },
  };
}
