import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseWindow, type WindowSpec } from '../config/windows.ts';
import { evaluateWindows, nextOpening, type WindowPolicy, windowPolicy } from './windows.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const spec = (text: string) => parseWindow(text) as WindowSpec;

const policy = (p: Partial<WindowPolicy>): WindowPolicy => ({
  zone: 'UTC',
  allow: [],
  freeze: [],
  holidays: [],
  peak: [],
  seed: false,
  ...p,
});

describe('windows across DST in Europe/Berlin', () => {
  const berlin = policy({ allow: [spec('Tue-Thu 10:00-14:00 Europe/Berlin')] });

  test('10:00 Berlin is 09:00 UTC before the change and 08:00 UTC after it', () => {
    assert.equal(evaluateWindows(berlin, at('2026-03-24T08:59:00Z')).state, 'closed');
    assert.deepEqual(evaluateWindows(berlin, at('2026-03-24T09:00:00Z')), { state: 'open', warnings: [] });
    assert.equal(evaluateWindows(berlin, at('2026-03-31T07:59:00Z')).state, 'closed');
    assert.equal(evaluateWindows(berlin, at('2026-03-31T08:00:00Z')).state, 'open');
    assert.deepEqual(evaluateWindows(berlin, at('2026-03-31T12:00:00Z')), {
      state: 'closed',
      rule: 'outside-window',
      reason: 'outside the allowed windows (Tue,Wed,Thu 10:00-14:00 Europe/Berlin)',
    });
  });

  test('the next opening after a Friday lies across the spring change (CEST) and the autumn one (CET)', () => {
    assert.equal(iso(nextOpening(berlin, at('2026-03-19T13:00:00Z'))), '2026-03-24T09:00:00.000Z');
    assert.equal(iso(nextOpening(berlin, at('2026-03-27T15:00:00Z'))), '2026-03-31T08:00:00.000Z');
    assert.equal(iso(nextOpening(berlin, at('2026-10-23T12:00:00Z'))), '2026-10-27T09:00:00.000Z');
  });

  test('a window starting inside the spring-forward gap opens when the clock jumps to 03:00', () => {
    const gap = policy({ allow: [spec('Sun 02:00-04:00 Europe/Berlin')] });
    assert.equal(evaluateWindows(gap, at('2026-03-29T00:59:00Z')).state, 'closed');
    assert.equal(evaluateWindows(gap, at('2026-03-29T01:00:00Z')).state, 'open');
    assert.equal(iso(nextOpening(gap, at('2026-03-29T00:30:00Z'))), '2026-03-29T01:00:00.000Z');
    assert.equal(evaluateWindows(gap, at('2026-03-29T02:00:00Z')).state, 'closed');
  });

  test('an open time is its own next opening', () => {
    assert.equal(nextOpening(berlin, at('2026-03-24T10:00:00Z')), at('2026-03-24T10:00:00Z'));
  });
});

describe('windows across DST in America/New_York', () => {
  const ny = policy({ allow: [spec('Mon-Fri 09:00-17:00 America/New_York')] });

  test('after a weekend with the spring change the window opens at 13:00 UTC, after the autumn one at 14:00', () => {
    assert.equal(iso(nextOpening(ny, at('2026-03-06T22:00:00Z'))), '2026-03-09T13:00:00.000Z');
    assert.equal(iso(nextOpening(ny, at('2026-10-30T21:00:00Z'))), '2026-11-02T14:00:00.000Z');
  });

  test('a window in the repeated autumn hour holds for both passes of 01:00-02:00', () => {
    const twice = policy({ allow: [spec('Sun 01:00-02:00 America/New_York')] });
    assert.equal(evaluateWindows(twice, at('2026-11-01T04:59:00Z')).state, 'closed');
    assert.equal(evaluateWindows(twice, at('2026-11-01T05:30:00Z')).state, 'open');
    assert.equal(evaluateWindows(twice, at('2026-11-01T06:30:00Z')).state, 'open');
    assert.equal(evaluateWindows(twice, at('2026-11-01T07:00:00Z')).state, 'closed');
  });
});

describe('the seed risk policy', () => {
  const seed = policy({
    zone: 'Europe/Berlin',
    seed: true,
    holidays: [{ from: '2026-12-24', to: '2026-12-26' }],
  });

  test('Tue–Thu 10:00–14:00 is ideal: open without warnings', () => {
    assert.deepEqual(evaluateWindows(seed, at('2026-03-25T10:00:00Z')), { state: 'open', warnings: [] });
  });

  test('Monday is open with a warning; outside the ideal window too', () => {
    assert.deepEqual(evaluateWindows(seed, at('2026-03-23T10:00:00Z')), {
      state: 'open',
      warnings: ['Monday: issues from the weekend may still be piling up'],
    });
    assert.deepEqual(evaluateWindows(seed, at('2026-03-25T16:00:00Z')), {
      state: 'open',
      warnings: ['outside the ideal window Tue-Thu 10:00-14:00 Europe/Berlin'],
    });
  });

  test('Friday from 14:00 local is blocked until Saturday starts', () => {
    assert.equal(evaluateWindows(seed, at('2026-03-27T12:59:00Z')).state, 'open');
    assert.deepEqual(evaluateWindows(seed, at('2026-03-27T13:00:00Z')), {
      state: 'closed',
      rule: 'friday-afternoon',
      reason: 'it is Friday 14:00 Europe/Berlin (seed policy: no deployments on Friday from 14:00)',
    });
    assert.equal(iso(nextOpening(seed, at('2026-03-27T13:00:00Z'))), '2026-03-27T23:00:00.000Z');
  });

  test('the day before a listed holiday and the holiday itself are blocked', () => {
    assert.deepEqual(evaluateWindows(seed, at('2026-12-23T10:00:00Z')), {
      state: 'closed',
      rule: 'holiday-eve',
      reason:
        '2026-12-23 is the day before the holiday 2026-12-24 (seed policy: no deployments before a holiday)',
    });
    assert.equal(evaluateWindows(seed, at('2026-12-25T10:00:00Z')).state, 'closed');
    assert.equal(iso(nextOpening(seed, at('2026-12-23T10:00:00Z'))), '2026-12-26T23:00:00.000Z');
  });

  test('policy none drops the seed rules', () => {
    const none = { ...seed, seed: false };
    assert.deepEqual(evaluateWindows(none, at('2026-03-27T15:00:00Z')), { state: 'open', warnings: [] });
    assert.equal(evaluateWindows(none, at('2026-12-23T10:00:00Z')).state, 'open');
  });
});

describe('freezes and peak hours block under any policy', () => {
  test('a freeze ends at local midnight after its last day', () => {
    const p = policy({ zone: 'Europe/Berlin', freeze: [{ from: '2026-12-20', to: '2027-01-02' }] });
    assert.deepEqual(evaluateWindows(p, at('2026-12-21T10:00:00Z')), {
      state: 'closed',
      rule: 'freeze',
      reason: '2026-12-21 is inside the freeze 2026-12-20/2027-01-02 (Europe/Berlin)',
    });
    assert.equal(iso(nextOpening(p, at('2026-12-21T10:00:00Z'))), '2027-01-02T23:00:00.000Z');
  });

  test('peak hours close the window until they end', () => {
    const p = policy({ peak: [spec('Mon-Fri 12:00-13:00')] });
    assert.deepEqual(evaluateWindows(p, at('2026-03-25T12:30:00Z')), {
      state: 'closed',
      rule: 'peak',
      reason: 'inside peak hours Mon,Tue,Wed,Thu,Fri 12:00-13:00 UTC',
    });
    assert.equal(iso(nextOpening(p, at('2026-03-25T12:30:00Z'))), '2026-03-25T13:00:00.000Z');
  });

  test('a policy that never opens has no next opening', () => {
    const p = policy({ freeze: [{ from: '2026-01-01', to: '2030-12-31' }] });
    assert.equal(nextOpening(p, at('2026-03-25T12:30:00Z'), 30), null);
  });
});

test('windowPolicy reads the config block; no block means no window gate', () => {
  assert.equal(windowPolicy(undefined), null);
  const p = windowPolicy({
    timezone: 'America/New_York',
    allow: ['Mon-Fri 09:00-17:00'],
    freeze: ['2026-12-24'],
    outside: 'wait',
    policy: 'seed',
  });
  assert.deepEqual(p, {
    zone: 'America/New_York',
    allow: [{ days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], start: 540, end: 1020, timeZone: null }],
    freeze: [{ from: '2026-12-24', to: '2026-12-24' }],
    holidays: [],
    peak: [],
    seed: true,
  });
});
