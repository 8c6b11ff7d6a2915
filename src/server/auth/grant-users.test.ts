import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Role, User } from '../../domain/auth.ts';
import { grantUsers } from './grant-users.ts';

const user = (name: string, grants: { env: string; role: Role }[]): User => ({
  name,
  createdAt: '',
  createdBy: 'test',
  grants: grants.map((g) => ({ ...g, user: name })),
});
const store = (users: User[]) => ({ listUsers: async () => users });
const config = {
  environments: {
    staging: {},
    production: { approval: { required: 1, role: 'approver', selfApproval: false } },
  },
  users: { carol: ['approver'], alice: ['viewer'] },
} as unknown as Parameters<typeof grantUsers>[1];

test('store grants on the environment (or *) are the roles the gates count; yaml-only users keep theirs', async () => {
  const users = await grantUsers(
    store([
      user('alice', [{ env: 'production', role: 'approver' }]),
      user('dev', [{ env: '*', role: 'deployer' }]),
      user('root', [{ env: '*', role: 'admin' }]),
    ]),
    config,
  )('production');
  assert.deepEqual(users.alice, ['approver'], 'the store replaces the yaml roles of a store user');
  assert.deepEqual(users.dev, ['deployer']);
  assert.deepEqual(users.root, ['admin', 'approver'], 'an admin holds the role approvals ask for');
  assert.deepEqual(users.carol, ['approver'], 'a user only in slipway.yaml keeps their roles');
});

test('a grant on another environment does not count', async () => {
  const users = await grantUsers(
    store([user('alice', [{ env: 'production', role: 'approver' }])]),
    config,
  )('staging');
  assert.deepEqual(users.alice, []);
});
