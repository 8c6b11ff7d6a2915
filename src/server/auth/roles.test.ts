import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Grant } from '../../domain/auth.ts';
import { can, readableEnvs } from './roles.ts';

const g = (env: string, role: Grant['role']): Grant => ({ user: 'u', env, role });

test('roles do not nest: a deployer cannot approve, an approver cannot deploy; admin can all', () => {
  assert.equal(can([g('*', 'deployer')], 'deploy', 'production'), true);
  assert.equal(can([g('*', 'deployer')], 'approve', 'production'), false);
  assert.equal(can([g('*', 'approver')], 'deploy', 'production'), false);
  assert.equal(can([g('*', 'approver')], 'reject', 'production'), true);
  assert.equal(can([g('*', 'viewer')], 'pause', 'staging'), false);
  assert.equal(can([g('*', 'admin')], 'admin'), true);
  assert.equal(can([g('staging', 'admin')], 'admin'), false, 'admin of one environment is not admin of all');
});

test('grants are scoped per environment', () => {
  const grants = [g('staging', 'deployer'), g('production', 'viewer')];
  assert.equal(can(grants, 'rollback', 'staging'), true);
  assert.equal(can(grants, 'rollback', 'production'), false);
  assert.equal(can(grants, 'read', 'production'), true);
  assert.equal(can(grants, 'read', 'dev'), false);
  assert.equal(can(grants, 'read'), false, 'no grant on every environment');
  assert.deepEqual(readableEnvs(grants), ['staging', 'production']);
  assert.equal(readableEnvs([g('*', 'viewer')]), 'all');
  assert.deepEqual(readableEnvs([]), []);
});
