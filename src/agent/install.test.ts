import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startScript, systemdUnit, unitName } from './install.ts';

const plan = {
  app: 'shop',
  projectDir: '/srv/shop',
  stateDir: '/srv/shop/.slipway/agent',
  port: 7311,
  command: ['/usr/bin/node', '/opt/slipway/bin/slipway.js'],
};

test('the systemd unit runs the supervised agent, restarts it on failure and stops only the supervisor', () => {
  const unit = systemdUnit(plan);
  assert.match(
    unit,
    /^ExecStart=\/usr\/bin\/node \/opt\/slipway\/bin\/slipway\.js agent --supervise --state-dir \/srv\/shop\/\.slipway\/agent --port 7311$/m,
  );
  assert.match(unit, /^Restart=on-failure$/m);
  assert.match(unit, /^WorkingDirectory=\/srv\/shop$/m);
  // Instances share the unit's cgroup but must outlive a restart of the agent.
  assert.match(unit, /^KillMode=process$/m);
  assert.match(unit, /^\[Install\]\nWantedBy=(multi-user|default)\.target$/m);
  assert.equal(unitName('shop'), 'slipway-agent-shop.service');
  assert.equal(unitName('my shop/x'), 'slipway-agent-my_shop_x.service');
});

test('the plain mode start script quotes paths and starts the supervisor in the background', () => {
  const script = startScript({ ...plan, projectDir: "/srv/bob's shop" }, '/srv/log file.log');
  assert.match(script, /^#!\/bin\/sh\n/);
  assert.match(script, /^cd '\/srv\/bob'\\''s shop' \|\| exit 1$/m);
  assert.match(
    script,
    /nohup \/usr\/bin\/node .* agent --supervise .* >> '\/srv\/log file\.log' 2>&1 < \/dev\/null &$/m,
  );
});
