'use strict';
// sessy-battery input commands and node configuration: accepted forms and error texts naming the field.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const C = require('../../dist/lib/devices/sessy/commands');

test('commands: object and topic forms', () => {
  assert.deepEqual(C.parseBatteryCommand({ payload: { kind: 'battery-setpoint', power: -1200, serial: 'DX', reason: 'zero export' } }).command, { type: 'setpoint', power: -1200, serial: 'DX', reason: 'zero export' });
  assert.deepEqual(C.parseBatteryCommand({ topic: 'setpoint', payload: 800 }).command, { type: 'setpoint', power: 800 });
  assert.deepEqual(C.parseBatteryCommand({ topic: 'Setpoint', payload: '-250' }).command, { type: 'setpoint', power: -250 }, 'numeric text from a dashboard');
  assert.deepEqual(C.parseBatteryCommand({ payload: { kind: 'battery-strategy', strategy: 'Net Zero' } }).command, { type: 'strategy', strategy: 'POWER_STRATEGY_NOM', serial: undefined });
  assert.deepEqual(C.parseBatteryCommand({ topic: 'strategy', payload: 'dynamic' }).command, { type: 'strategy', strategy: 'POWER_STRATEGY_ROI' });
  assert.deepEqual(C.parseBatteryCommand({ payload: { kind: 'battery-settings', settings: { min_soc: 10 } } }).command, { type: 'settings', settings: { min_soc: 10 }, serial: undefined });
  assert.deepEqual(C.parseBatteryCommand({ topic: 'refresh' }).command, { type: 'refresh' });
});

test('commands: every invalid form names the field', () => {
  const cases = [
    [{ payload: { kind: 'battery-setpoint', power: '100' } }, /^payload\.power: must be number$/],
    [{ payload: { kind: 'battery-setpoint', power: 1, serial: 5 } }, /^payload\.serial: must be string$/],
    [{ payload: { kind: 'battery-strategy' } }, /^payload\.strategy: is required$/],
    [{ payload: { kind: 'battery-strategy', strategy: 'turbo' } }, /^payload\.strategy: must be one of api, nom .* \(got "turbo"\)$/],
    [{ payload: { kind: 'battery-settings', settings: [] } }, /^payload\.settings: must be object$/],
    [{ payload: { kind: 'battery-settings', settings: { enabled_time: '7-9' } } }, /^payload\.settings\.enabled_time: must match pattern/],
    [{ payload: { kind: 'battery-settings', settings: { status: 'ok' } } }, /^payload\.settings\.status: is not a setting/],
    [{ payload: { kind: 7 } }, /^payload\.kind: must be one of/],
    [{ topic: 'setpoint', payload: '' }, /^msg\.payload: must be a number of W/],
    [{ topic: 'setpoint', payload: Infinity }, /^msg\.payload: must be a number of W .*, got Infinity$/],
    [{ topic: 'setpoint', payload: -200000 }, /^msg\.payload: must be between -100000 and 100000 W/],
    [{ topic: 'strategy', payload: 'fast' }, /^msg\.payload: must be one of api/],
    [{ payload: { power: 5 } }, /^msg\.payload: must be a command object .*\(got an object without kind\)$/],
    [{ topic: 'grid', payload: 5 }, /\(got 5, topic "grid"\)$/],
  ];
  for (const [msg, re] of cases) {
    const r = C.parseBatteryCommand(msg);
    assert.ok(r.error, JSON.stringify(msg));
    assert.match(r.error, re, JSON.stringify(msg));
  }
});

test('dongle config: seconds → ms, ranges checked', () => {
  assert.deepEqual(C.dongleSettings({ host: ' 192.168.1.50 ', pollInterval: '5', timeout: 2.5 }), { host: '192.168.1.50', pollMs: 5000, timeoutMs: 2500 });
  assert.deepEqual(C.dongleSettings({ host: 'h' }), { host: 'h', pollMs: 5000, timeoutMs: 5000 });
  assert.match(C.dongleSettings({ host: '' }).error, /^config\.host/);
  assert.match(C.dongleSettings({ host: 'h', pollInterval: 0.5 }).error, /^config\.pollInterval: must be >= 1$/);
  assert.match(C.dongleSettings({ host: 'h', pollInterval: '0x10' }).error, /^config\.pollInterval: must be number$/, 'hex is not a number of seconds');
  assert.match(C.dongleSettings({ host: 'a b' }).error, /^config\.host/);
  assert.match(C.dongleSettings({ host: 'h', timeout: 'x' }).error, /^config\.timeout/);
});

test('battery config: defaults, units, ranges', () => {
  assert.deepEqual(C.batteryOptions({ dongle: 'd' }), {
    keepAliveMs: 30000,
    maxChargeW: 2200,
    maxDischargeW: 1700,
    startupS: 60,
    commandTimeoutMs: 0,
    pvSign: 1,
    restoreStrategy: true,
    ensureApi: true,
    yieldToConnect: true,
  });
  const o = C.batteryOptions({ dongle: 'd', keepAlive: '0', maxCharge: 1000, commandTimeout: 300, pvSign: '-1', restoreStrategy: false });
  assert.equal(o.keepAliveMs, 0);
  assert.equal(o.maxChargeW, 1000);
  assert.equal(o.commandTimeoutMs, 300000);
  assert.equal(o.pvSign, -1);
  assert.equal(o.restoreStrategy, false);
  assert.match(C.batteryOptions({}).error, /^config\.dongle: is required$/);
  assert.match(C.batteryOptions({ dongle: 'd', keepAlive: 0.5 }).error, /^config\.keepAlive/);
  assert.match(C.batteryOptions({ dongle: 'd', commandTimeout: 5 }).error, /^config\.commandTimeout/);
  assert.match(C.batteryOptions({ dongle: 'd', pvSign: 2 }).error, /^config\.pvSign: must be one of/);
});

test('issue 11 defect 9: each refused setpoint says what it got (hex text, NaN, Infinity, BigInt)', () => {
  const cases = [
    ['0x10', 'msg.payload: must be a number of W (+ discharge, − charge) with topic "setpoint", got the text "0x10"'],
    [' 1e400 ', 'msg.payload: must be a number of W (+ discharge, − charge) with topic "setpoint", got the text " 1e400 "'],
    [NaN, 'msg.payload: must be a number of W (+ discharge, − charge) with topic "setpoint", got NaN'],
    [1e400, 'msg.payload: must be a number of W (+ discharge, − charge) with topic "setpoint", got Infinity'],
    [10n, 'msg.payload: must be a number of W (+ discharge, − charge) with topic "setpoint", got the bigint 10n'],
    [200000, 'msg.payload: must be between -100000 and 100000 W, got 200000'],
  ];
  for (const [payload, text] of cases) assert.equal(C.parseBatteryCommand({ topic: 'setpoint', payload }).error, text, String(payload));
  assert.equal(C.parseBatteryCommand({ payload: { kind: 'battery-setpoint', power: NaN } }).error, 'payload.power: must be a finite number of W, got NaN');
  assert.equal(C.parseBatteryCommand({ payload: { kind: 'battery-setpoint', power: -Infinity } }).error, 'payload.power: must be a finite number of W, got -Infinity');
  assert.deepEqual(C.parseBatteryCommand({ topic: 'setpoint', payload: ' -250.5 ' }).command, { type: 'setpoint', power: -250.5 });
});

test('issue 11 defect 6: BigInt and circular payloads give an error text, never a throw', () => {
  const circular = { kind: 'battery-settings' };
  circular.settings = circular;
  const loop = {};
  loop.self = loop;
  for (const msg of [{ topic: 'strategy', payload: 5n }, { payload: 5n }, { payload: { kind: 5n } }, { topic: 'strategy', payload: loop }, { payload: { kind: 'battery-setpoint', power: 5n } }]) {
    const r = C.parseBatteryCommand(msg);
    assert.equal(typeof r.error, 'string', String(msg.payload));
  }
  // A circular settings object parses (its keys are checked against the dongle's later).
  assert.deepEqual(Object.keys(C.parseBatteryCommand({ payload: circular }).command.settings), ['kind', 'settings']);
  assert.match(C.parseBatteryCommand({ topic: 'strategy', payload: 5n }).error, /got the bigint 5n$/);
});

test('issue 11 defect 5: settings keys inherited from Object.prototype are refused, not posted', () => {
  const S = require('../../dist/lib/devices/sessy/settings');
  const current = { status: 'ok', max_power: 2200, min_power: 50 };
  for (const key of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
    const change = JSON.parse(`{"${key}": 1}`);
    const r = S.mergeSettings(current, change);
    assert.equal(r.ok, false, key);
    assert.match(r.error, new RegExp(`^payload\\.settings\\.${key}: this dongle has no such setting`), key);
    const cmd = C.parseBatteryCommand({ payload: { kind: 'battery-settings', settings: change } });
    assert.ok(cmd.command, `${key}: the command parses; the merge with the dongle's object refuses it`);
  }
  assert.equal(Object.getPrototypeOf(current), Object.prototype);
});
