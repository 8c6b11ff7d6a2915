/** `hosts:` in slipway.yaml: what `slipway validate` refuses before anything connects, each naming the host. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from './load.ts';

const yaml = (env: string) =>
  `app: shop\nrun: { command: node server.js }\nenvironments:\n  production:\n${env}`;
const LB = '    router: { driver: haproxy, port: 8080 }\n';
const problems = (text: string) => {
  const result = parseConfig(text, 'slipway.yaml');
  return result.ok ? [] : result.problems.map((p) => `${p.line}:${p.path}: ${p.message}`);
};

test('hosts with a load balancer parse, defaults filled in', () => {
  const result = parseConfig(
    yaml(
      `${LB}    strategy: { rolling: { bootLimit: 25% } }\n    hosts:\n      - { address: 10.0.0.11, roles: [web] }\n      - { address: web2.example.com, user: deploy, port: 2222, instances: 3 }\n`,
    ),
    'slipway.yaml',
  );
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  const hosts = result.config.environments.production?.hosts ?? [];
  assert.deepEqual(
    hosts.map((h) => [h.address, h.user, h.port, h.instances]),
    [
      ['10.0.0.11', 'root', 22, undefined],
      ['web2.example.com', 'deploy', 2222, 3],
    ],
  );
});

test('hosts without a load balancer are refused with the fix; nginx is one', () => {
  assert.deepEqual(problems(yaml('    hosts: [{ address: 10.0.0.11 }]\n')), [
    '5:environments.production.hosts: hosts need a load balancer in front of them (router.driver is builtin); set router.driver: haproxy or nginx',
    "5:environments.production.hosts: hosts need router.port: the load balancer's port, on which each host serves the environment too (e.g. router: { driver: haproxy, port: 8080 })",
  ]);
  assert.deepEqual(
    problems(
      yaml(
        '    router: { driver: nginx, port: 8080, answerTimeout: 5s }\n    hosts: [{ address: 10.0.0.11 }]\n',
      ),
    ),
    [],
  );
});

test('a jump host and a key from the secret store parse; a host that is its own jump host, or a bad secret name, is refused', () => {
  const result = parseConfig(
    yaml(
      `${LB}    hosts:\n      - { address: 10.0.1.5, keySecret: SSH_KEY, jump: { address: bastion.example.com, user: ops, key: keys/ops } }\n`,
    ),
    'slipway.yaml',
  );
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  const host = result.config.environments.production?.hosts?.[0];
  assert.deepEqual(host?.jump, { address: 'bastion.example.com', user: 'ops', port: 22, key: 'keys/ops' });
  assert.equal(host?.keySecret, 'SSH_KEY');
  const found = problems(
    yaml(`${LB}    hosts:\n      - { address: 10.0.1.5, keySecret: ssh-key, jump: { address: 10.0.1.5 } }\n`),
  );
  assert.equal(found.length, 2, found.join('\n'));
  assert.match(found.join('\n'), /hosts\[0\]\.keySecret: expected an environment variable name/);
  assert.match(
    found.join('\n'),
    /hosts\[0\]\.jump\.address: host 10\.0\.1\.5 names itself as its jump host; give the bastion's address, or leave jump out/,
  );
});

test('a duplicate address and a bad port name the host and the fix', () => {
  const found = problems(
    yaml(
      `${LB}    hosts:\n      - { address: 10.0.0.11 }\n      - { address: 10.0.0.11, port: 70000 }\n      - { address: 10.0.0.12, port: 0 }\n`,
    ),
  );
  assert.deepEqual(found, [
    '8:environments.production.hosts[1].address: host 10.0.0.11 is listed twice (hosts.0 and hosts.1); list it once and set instances on it to run more',
    '8:environments.production.hosts[1].port: host 10.0.0.11: 70000 is not an SSH port; use a port from 1 to 65535 (default 22)',
    '9:environments.production.hosts[2].port: host 10.0.0.12: 0 is not an SSH port; use a port from 1 to 65535 (default 22)',
  ]);
});

test('an address that is no host name, and a bad boot limit, are refused', () => {
  const found = problems(
    yaml(`${LB}    strategy: { rolling: { bootLimit: 0% } }\n    hosts: [{ address: "web 1" }]\n`),
  );
  assert.equal(found.length, 2, found.join('\n'));
  assert.match(found.join('\n'), /bootLimit: expected a number of hosts or .*above 0%/);
  assert.match(found.join('\n'), /address: expected a host name or IP address/);
});

test('hostFailure and minHealthy: a policy with hosts parses; each misuse names the key and the fix', () => {
  const ok = parseConfig(
    yaml(
      `${LB}    hostFailure: skip-host\n    minHealthy: 2\n    hosts: [{ address: 10.0.0.11 }, { address: 10.0.0.12 }]\n`,
    ),
    'slipway.yaml',
  );
  assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.problems));
  assert.equal(ok.config.environments.production?.hostFailure, 'skip-host');
  assert.match(
    problems(yaml(`${LB}    hostFailure: retry\n    hosts: [{ address: 10.0.0.11 }]\n`)).join('\n'),
    /hostFailure: expected pause, rollback or skip-host/,
  );
  assert.deepEqual(problems(yaml('    hostFailure: pause\n')), [
    "5:environments.production.hostFailure: only used with hosts; remove hostFailure or list this environment's hosts",
  ]);
  assert.deepEqual(problems(yaml(`${LB}    minHealthy: 1\n    hosts: [{ address: 10.0.0.11 }]\n`)), [
    '6:environments.production.minHealthy: only used with hostFailure: skip-host (hostFailure is pause); set hostFailure: skip-host or remove minHealthy',
  ]);
  assert.deepEqual(
    problems(
      yaml(`${LB}    hostFailure: skip-host\n    minHealthy: 3\n    hosts: [{ address: 10.0.0.11 }]\n`),
    ),
    [
      '7:environments.production.minHealthy: 3 is more than the 1 hosts listed, so no host could ever be skipped; use at most 1',
    ],
  );
});

test('images on hosts are refused by validate, naming the two ways out', () => {
  const text = yaml(`${LB}    hosts: [{ address: 10.0.0.11 }]\n`).replace(
    'run: { command: node server.js }',
    'run: { image: registry.example.com/shop }',
  );
  assert.deepEqual(problems(text), [
    '6:environments.production.hosts: hosts run releases of files; run.image with hosts is not built yet: remove run.image (register folder releases), or run production on this machine (remove hosts)',
  ]);
});
