import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redactor } from '../secrets/redact.ts';
import { createLogger } from './log.ts';
import { prettyLine } from './pretty.ts';

const capture = () => {
  const lines: string[] = [];
  return { lines, stream: { write: (text: string) => lines.push(text) } };
};

test('log lines are JSON with a level, a time, the name and the message; secret values never reach the output', () => {
  const out = capture();
  const redactor = new Redactor({ DB_PASSWORD: 'hunter2-very-secret' });
  const log = createLogger({
    name: 'agent',
    stream: out.stream,
    pretty: false,
    redact: (l) => redactor.redact(l),
  });
  log.info({ env: 'staging' }, 'restored staging');
  log.warn('start failed: connect with hunter2-very-secret refused');
  log.debug('not shown at the default level');
  assert.equal(out.lines.length, 2);
  const [first, second] = out.lines.map((l) => JSON.parse(l));
  assert.equal(first.level, 30);
  assert.equal(first.name, 'agent');
  assert.equal(first.msg, 'restored staging');
  assert.equal(first.env, 'staging');
  assert.equal(typeof first.time, 'number');
  assert.equal(second.level, 40);
  assert.doesNotMatch(out.lines.join(''), /hunter2-very-secret/);
  assert.match(second.msg, /\[redacted:DB_PASSWORD\]/);
});

test('on a terminal the same lines are short and readable', () => {
  const out = capture();
  const log = createLogger({ name: 'server', stream: { ...out.stream, isTTY: true } });
  log.error({ id: 'd-1' }, 'deployment failed');
  assert.match(out.lines[0]!, /^\d\d:\d\d:\d\d ERROR server: deployment failed id=d-1\n$/);
  assert.equal(prettyLine('not json\n'), 'not json\n');
});
