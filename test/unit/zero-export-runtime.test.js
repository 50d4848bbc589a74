'use strict';
// The zero-export node's runtime (lib/control/zero-export/runtime.ts) in virtual time, without
// Node-RED: messages per port, status output throttling and its reasons, node status texts,
// identify probes, the close-time release, and which deploys stop the node.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { readZeroExportConfig } = require('../../dist/lib/control/zero-export/config');
const { ZeroExportRuntime, statusOf, stopsNode } = require('../../dist/lib/control/zero-export/runtime');

const T0 = 1_700_000_000_000;
const unit = (label, o = {}) => ({ label, serial: '', topic: '', ...o });
function runtime(units, cfg = {}) {
  const s = readZeroExportConfig({ units, latencyMinS: 0, latencyMaxS: 0, rampWPerS: 1000000, ...cfg });
  assert.ok(!s.error, s.error);
  return new ZeroExportRuntime(s, 'ze', T0);
}
const meter = (power, t) => ({ payload: { kind: 'meter', timestamp: t, source: 'p1', power } });
const battery = (t, o = {}) => ({ topic: 'sessy', payload: { kind: 'battery', timestamp: t, source: 'sessy', serial: 'S1', soc: 50, power: 0, state: 'ready', limits: { maxChargeW: 2200, maxDischargeW: 1700 }, ...o } });
const statusMsgs = (outs) => outs.flatMap((o) => o.sends).filter((s) => s.msg.topic === 'zero-export');

test('runtime: commands go to the unit\'s port with the tag; the status output carries the reasons of its own step', () => {
  const rt = runtime([unit('A')]);
  const outs = [rt.start(T0)];
  outs.push(rt.input(battery(T0), T0));
  const o = rt.input(meter(800, T0 + 100), T0 + 100);
  outs.push(o);
  const cmd = o.sends.find((s) => s.port === 0);
  assert.deepEqual(cmd.msg, { topic: 'A', payload: { kind: 'battery-setpoint', power: 800, reason: 'zero-export: control' }, zeroExport: { node: 'ze', unit: 'A' } });
  const st = statusMsgs([o]);
  assert.equal(st.length, 1);
  assert.deepEqual(st[0].msg.payload.reasons, ['grid +800 W, target 0 W: total 0 W → +800 W']);
  // Issue 11: the periodic status 10 s later describes that moment, not the old command line.
  let t = T0 + 100;
  const later = [];
  for (let i = 0; i < 60; i++) {
    t += 250;
    if (i % 4 === 0) later.push(rt.input(battery(t, { power: 800 }), t), rt.input(meter(0, t), t));
    later.push(rt.tick(t));
  }
  const periodic = statusMsgs(later);
  assert.equal(periodic.length, 1, 'one repeat within 15 s (every 10 s)');
  assert.deepEqual(periodic[0].msg.payload.reasons, ['holding: grid 0 W, target 0 W, total +800 W']);
  assert.equal(periodic[0].msg.payload.summary, periodic[0].msg.payload.reasons[0]);
});

test('runtime: off target for long → node status yellow with the reason; green again when back', () => {
  const rt = runtime([unit('A')]);
  rt.start(T0);
  let t = T0;
  let status;
  const seen = [];
  const feed = (grid, batteryW, secs) => {
    for (let i = 0; i < secs * 4; i++) {
      t += 250;
      const outs = [rt.tick(t)];
      if (i % 4 === 0) outs.push(rt.input(battery(t, { power: batteryW }), t), rt.input(meter(grid, t), t));
      for (const o of outs) if (o.status) seen.push((status = o.status));
    }
  };
  // The battery charges at its limit (−2200 W) and the grid stays at −600 W.
  feed(-2800, 0, 2);
  feed(-600, -2200, 15);
  assert.deepEqual(status, { fill: 'yellow', shape: 'ring', text: '−600 W · charge limit' });
  assert.ok(seen.some((s) => s.fill === 'green'), 'green while it was still working towards the target');
  assert.equal(rt.state.attention.code, 'charge-limit');
  feed(0, -2200, 2);
  assert.deepEqual(status, { fill: 'green', shape: 'dot', text: 'grid 0 W · set −2200 W' });
});

test('statusOf: every text fits 32 characters and uses the real minus', () => {
  const base = { mode: 'active', gridW: -12345, totalSetpointW: -2200, attention: null, band: { expired: false }, units: [] };
  const cases = [
    [{}, 'green', 'grid −12.3 kW · set −2200 W'],
    [{ attention: { code: 'not-following', unit: 'Garage battery left' } }, 'yellow', '−12.3 kW · Garage battery left …'],
    [{ attention: { code: 'soc-window' } }, 'yellow', '−12.3 kW · SoC window'],
    [{ attention: { code: 'discharge-limit' }, gridW: 900 }, 'yellow', '+900 W · discharge limit'],
    [{ mode: 'waiting', gridW: null }, 'yellow', 'waiting: no meter'],
    [{ mode: 'waiting' }, 'yellow', 'waiting: no battery'],
    [{ mode: 'failsafe' }, 'yellow', 'fail-safe: meter stale'],
    [{ mode: 'disabled' }, 'grey', 'disabled'],
  ];
  for (const [patch, fill, text] of cases) {
    const s = statusOf({ ...base, ...patch }, false);
    assert.equal(s.fill, fill, text);
    assert.equal(s.text, text);
    assert.ok(s.text.length <= 32, s.text);
    assert.doesNotMatch(s.text, /-\d/, 'no ASCII minus before a number');
  }
  assert.deepEqual(statusOf({ ...base, gridW: 1500, totalSetpointW: 1500 }, true), { fill: 'grey', shape: 'dot', text: 'dry run · would set +1500 W' });
});

test('runtime: units without serial or topic are probed after 2 s and every 30 s until they answer', () => {
  const rt = runtime([unit('A'), unit('B'), unit('C', { topic: 'c' })]);
  rt.start(T0);
  const probes = [];
  for (let t = T0; t <= T0 + 65_000; t += 250) for (const s of rt.tick(t).sends) if (s.msg.topic === 'refresh') probes.push([t - T0, s.port, s.msg.zeroExport.unit]);
  assert.deepEqual(probes, [
    [2000, 0, 'A'],
    [2000, 1, 'B'],
    [32000, 0, 'A'],
    [32000, 1, 'B'],
    [62000, 0, 'A'],
    [62000, 1, 'B'],
  ]);
  // A's battery node replies with the tag: A is known, only B is still asked.
  rt.input({ ...battery(T0 + 66_000, { serial: 'S9' }), zeroExport: { node: 'ze', unit: 'A' } }, T0 + 66_000);
  const next = [];
  for (let t = T0 + 66_000; t <= T0 + 95_000; t += 250) for (const s of rt.tick(t).sends) if (s.msg.topic === 'refresh') next.push(s.msg.zeroExport.unit);
  assert.deepEqual(next, ['B']);
});

test('runtime: release sends the fail-safe action once to every unit holding a setpoint, then nothing more', () => {
  for (const [failSafe, payload] of [
    ['zero', { kind: 'battery-setpoint', power: 0, reason: 'zero-export: node closed' }],
    ['release', { kind: 'battery-release', reason: 'zero-export: node closed' }],
  ]) {
    const rt = runtime([unit('A')], { failSafe });
    rt.start(T0);
    rt.input(battery(T0), T0);
    rt.input(meter(500, T0 + 100), T0 + 100);
    const first = rt.release();
    assert.deepEqual(first.sends.map((s) => [s.port, s.msg.payload]), [[0, payload]], failSafe);
    assert.deepEqual(rt.release().sends, [], 'a second call (close after flows:stopping) sends nothing');
    assert.deepEqual(rt.tick(T0 + 1000).sends, [], 'stopped');
    assert.deepEqual(rt.input(meter(900, T0 + 1000), T0 + 1000).sends, []);
  }
  const dry = runtime([unit('A')], { dryRun: true });
  dry.input(battery(T0), T0);
  dry.input(meter(500, T0 + 100), T0 + 100);
  assert.deepEqual(dry.release().sends, [], 'a dry run never sent anything');
});

test('stopsNode: full deploys, its flow, itself (or its wiring for a flows deploy) — not an unrelated node', () => {
  const diff = (o) => ({ added: [], changed: [], removed: [], rewired: [], linked: [], flowChanged: [], ...o });
  assert.equal(stopsNode({ type: 'full', diff: diff({}) }, 'ze', 'tab'), true);
  assert.equal(stopsNode(undefined, 'ze', 'tab'), true);
  assert.equal(stopsNode({ type: 'nodes', diff: diff({ changed: ['ze'] }) }, 'ze', 'tab'), true);
  assert.equal(stopsNode({ type: 'nodes', diff: diff({ removed: ['ze'] }) }, 'ze', 'tab'), true);
  assert.equal(stopsNode({ type: 'nodes', diff: diff({ changed: ['other'] }) }, 'ze', 'tab'), false);
  assert.equal(stopsNode({ type: 'nodes', diff: diff({ rewired: ['ze'] }) }, 'ze', 'tab'), false, 'a nodes deploy does not stop rewired nodes');
  assert.equal(stopsNode({ type: 'flows', diff: diff({ rewired: ['ze'] }) }, 'ze', 'tab'), true);
  assert.equal(stopsNode({ type: 'flows', diff: diff({ flowChanged: ['tab'] }) }, 'ze', 'tab'), true);
  assert.equal(stopsNode({ type: 'flows', diff: diff({ changed: ['x'], globalConfigChanged: true }) }, 'ze', 'tab'), true);
});

test('runtime: grid-target and charger messages reach the controller; invalid ones are errors naming the field', () => {
  const rt = runtime([unit('A')], { leaveChargerToGrid: true });
  rt.start(T0);
  rt.input(battery(T0), T0);
  rt.input({ payload: { kind: 'grid-target', minW: 300, maxW: 300, reason: 'schedule' } }, T0);
  rt.input({ payload: { kind: 'charger', power: 2000, timestamp: T0 } }, T0);
  const o = rt.input(meter(3500, T0 + 100), T0 + 100);
  // 3500 W import, of which 2000 W is the car: hold 300 W + 2000 W → discharge 1200 W.
  assert.equal(o.sends.find((s) => s.port === 0).msg.payload.power, 1200);
  assert.equal(rt.state.band.source, 'grid-target');
  assert.equal(rt.state.chargerExcludedW, 2000);
  assert.deepEqual(rt.input({ payload: { kind: 'grid-target', minW: 0 } }, T0), { error: 'payload.maxW: is required' });
  assert.deepEqual(rt.input({ topic: 'grid', payload: '0x10' }, T0).error.includes('(got "0x10")'), true);
});
