'use strict';
// zero-export node boundary (lib/control/zero-export/config.ts, messages.ts, router.ts): the saved
// configuration → controller parameters, input messages → controller inputs, and battery reading →
// unit routing.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { readZeroExportConfig: settingsFromConfig } = require('../../dist/lib/control/zero-export/config');
const { parseInput, observation } = require('../../dist/lib/control/zero-export/messages');
const { UnitRouter } = require('../../dist/lib/control/zero-export/router');
const { ZeroExportController } = require('../../dist/lib/control/zero-export/controller');

const unit = (o = {}) => ({ label: 'A', serial: '', topic: '', maxChargeW: 2200, maxDischargeW: 1700, capacityWh: 5200, ...o });
/** The editor's defaults (nodes/zero-export/editor.html), as saved. */
const saved = (o = {}) => ({
  units: [unit()],
  targetW: 0,
  exportCapW: '',
  deadbandW: 20,
  failSafe: 'zero',
  meterTimeoutS: 0,
  batteryTimeoutS: 30,
  minSocPct: 5,
  maxSocPct: 100,
  reserveSocPct: 0,
  reserveChargeW: 300,
  dryRun: false,
  startEnabled: true,
  latencyMinS: 1,
  latencyMaxS: 3,
  rampWPerS: 1000,
  unitEfficientW: 800,
  refreshS: 60,
  slewWPerS: 4000,
  errorBudgetWs: 300,
  outputs: 2,
  version: 1,
  ...o,
});

test('config: the editor defaults → controller parameters in ms, the controller accepts them', () => {
  const s = settingsFromConfig(saved());
  assert.deepEqual(s.params, {
    targetW: 0,
    exportCapW: null,
    deadbandW: 20,
    errorBudgetWs: 300,
    slewWPerS: 4000,
    meterTimeoutMs: 0,
    batteryTimeoutMs: 30000,
    failSafe: 'zero',
    minSocPct: 5,
    maxSocPct: 100,
    reserveSocPct: 0,
    reserveChargeW: 300,
    stageUnits: false,
    unitEfficientW: 800,
    shareToleranceW: 100,
    refreshMs: 60000,
    offTargetMs: 0,
    excludeChargerPower: false,
    modeChargeW: 1000,
    units: [{ id: 'A', maxChargeW: 2200, maxDischargeW: 1700, capacityWh: 5200, latencyMinMs: 1000, latencyMaxMs: 3000, rampWPerS: 1000 }],
  });
  assert.deepEqual(s.units, [{ label: 'A', serial: null, topic: null }]);
  assert.equal(s.dryRun, false);
  assert.equal(s.startEnabled, true);
  const c = new ZeroExportController(s.params);
  assert.equal(c.params.batteryTimeoutMs, 30000);
  assert.equal(c.params.refreshMs, 60000);
});

test('config: numbers as text (the editor saves text), blanks → controller defaults, units routed by serial/topic', () => {
  const s = settingsFromConfig(
    saved({
      units: [unit({ label: ' Garage ', serial: 'dsim0001', maxChargeW: '1800', capacityWh: '' }), unit({ label: 'Shed', topic: 'sofar', maxDischargeW: ' 3000 ' })],
      targetW: '-50',
      exportCapW: '2500',
      meterTimeoutS: '1.5',
      refreshS: 0,
      deadbandW: '',
      failSafe: 'release',
      dryRun: true,
      startEnabled: false,
    }),
  );
  assert.equal(s.params.targetW, -50);
  assert.equal(s.params.exportCapW, 2500);
  assert.equal(s.params.meterTimeoutMs, 1500);
  assert.equal(s.params.refreshMs, 0, '0 = never');
  assert.equal(s.params.deadbandW, 15, 'blank → the default');
  assert.equal(s.params.failSafe, 'release');
  assert.deepEqual(s.params.units[0], { id: 'Garage', maxChargeW: 1800, maxDischargeW: 1700, latencyMinMs: 1000, latencyMaxMs: 3000, rampWPerS: 1000 });
  assert.equal(s.params.units[1].maxDischargeW, 3000);
  assert.deepEqual(s.units, [
    { label: 'Garage', serial: 'DSIM0001', topic: null },
    { label: 'Shed', serial: null, topic: 'sofar' },
  ]);
  assert.equal(s.dryRun, true);
  assert.equal(s.startEnabled, false);
  // A bare config (only units) is valid: everything else is the schema's default (the controller's).
  const bare = settingsFromConfig({ units: [{ label: 'x' }] });
  const c = new ZeroExportController({ units: [{ id: 'x' }] });
  for (const [k, v] of Object.entries(bare.params)) if (k !== 'units' && k !== 'meterTimeoutMs') assert.deepEqual(v, c.params[k], k);
  assert.deepEqual(bare.params.units, [{ id: 'x', latencyMinMs: 1000, latencyMaxMs: 3000, rampWPerS: 1000 }], 'no limits: the unit reports them');
});

test('config: every invalid field is named, with its rule', () => {
  const cases = [
    [{ units: [] }, /^config\.units: add at least one battery unit$/],
    [{ units: undefined }, /^config\.units: add at least one/],
    [{ units: Array.from({ length: 17 }, (_, i) => unit({ label: `u${i}` })) }, /^config\.units: at most 16 units \(got 17\)$/],
    [{ units: [unit({ label: '  ' })] }, /^config\.units\[0\]\.label: is required/],
    [{ units: [unit(), unit({ label: 'a' })] }, /^config\.units\[1\]\.label: "a" is used twice \(also units\[0\]\)/],
    [{ units: [unit({ serial: 'X1' }), unit({ label: 'B', serial: 'x1' })] }, /^config\.units: serial X1 is given for both "A" and "B"$/],
    [{ units: [unit(), unit({ label: 'B', maxChargeW: -5 })] }, /^config\.units\[1\]\.maxChargeW: must be a decimal number from 0 to 100000 W, or blank \(got -5\)$/],
    [{ units: [unit({ capacityWh: 'big' })] }, /^config\.units\[0\]\.capacityWh: must be a decimal number from 1 to 10000000 Wh, or blank \(got "big"\)$/],
    [{ units: [null] }, /^config\.units\[0\]: must be an object/],
    [{ targetW: 'abc' }, /^config\.targetW: must be a decimal number from -100000 to 100000 W, or blank \(got "abc"\)$/],
    [{ exportCapW: -1 }, /^config\.exportCapW: must be a decimal number from 0 to 100000 W/],
    [{ deadbandW: 1e9 }, /^config\.deadbandW: /],
    [{ failSafe: 'explode' }, /^config\.failSafe: must be one of "zero", "release" \(got "explode"\)$/],
    [{ meterTimeoutS: 0.1 }, /^config\.meterTimeoutS: must be 0 or a decimal number from 0\.5 to 3600 s, or blank \(got 0\.1\)$/],
    [{ batteryTimeoutS: 0 }, /^config\.batteryTimeoutS: must be a decimal number from 1 to 3600 s/],
    [{ minSocPct: 101 }, /^config\.minSocPct: /],
    [{ minSocPct: 50, maxSocPct: 40 }, /^config\.maxSocPct: must be above minSocPct \(50 %\) \(got 40\)$/],
    [{ reserveSocPct: 95, maxSocPct: 90 }, /^config\.reserveSocPct: must be at most maxSocPct/],
    [{ minSocPct: '', maxSocPct: 4 }, /^config\.maxSocPct: must be above minSocPct \(5 %\) \(got 4\)$/],
    [{ minSocPct: 100, maxSocPct: '' }, /^config\.minSocPct: must be below maxSocPct \(100 %\) \(got 100\)$/],
    [{ latencyMinS: '', latencyMaxS: 0.5 }, /^config\.latencyMaxS: must be at least latencyMinS \(1 s\) \(got 0\.5\)$/],
    [{ reserveChargeW: 'x' }, /^config\.reserveChargeW: /],
    [{ latencyMinS: 5, latencyMaxS: 2 }, /^config\.latencyMaxS: must be at least latencyMinS \(5 s\) \(got 2\)$/],
    [{ rampWPerS: 0 }, /^config\.rampWPerS: /],
    [{ unitEfficientW: 0 }, /^config\.unitEfficientW: /],
    [{ refreshS: 0.5 }, /^config\.refreshS: must be 0 or a decimal number from 1 to 86400 s/],
    [{ slewWPerS: -1 }, /^config\.slewWPerS: /],
    [{ errorBudgetWs: [] }, /^config\.errorBudgetWs: .*\(got \[\]\)$/],
    [{ dryRun: 'yes' }, /^config\.dryRun: must be true or false/],
    [{ startEnabled: 1 }, /^config\.startEnabled: must be true or false/],
    [{ leaveChargerToGrid: 'no' }, /^config\.leaveChargerToGrid: must be true or false \(got "no"\)$/],
  ];
  for (const [patch, re] of cases) {
    const r = settingsFromConfig(saved(patch));
    assert.ok(r.error, `${JSON.stringify(patch)} is rejected`);
    assert.match(r.error, re, JSON.stringify(patch));
  }
});

test('inputs: every accepted form', () => {
  const now = 1_700_000_000_000;
  const meter = { kind: 'meter', timestamp: now - 400, source: 'p1', power: -1234 };
  assert.deepEqual(parseInput({ payload: meter }, now), { type: 'meter', meter: { power: -1234, timestamp: now - 400 } });
  assert.deepEqual(parseInput({ topic: 'grid', payload: 850 }, now), { type: 'meter', meter: { power: 850, timestamp: now } });
  assert.deepEqual(parseInput({ topic: 'Grid', payload: ' -20.5 ' }, now), { type: 'meter', meter: { power: -20.5, timestamp: now } }, 'Home Assistant states are text');
  assert.deepEqual(parseInput({ topic: 'grid', payload: '+16' }, now), { type: 'meter', meter: { power: 16, timestamp: now } });
  const reading = { kind: 'battery', timestamp: now, source: 'sessy', serial: 'DSIM0001', soc: 60, power: -500, setpoint: -500, state: 'ready', limits: { maxChargeW: 2200, maxDischargeW: 1700 }, extra: 1 };
  assert.deepEqual(parseInput({ payload: reading }, now), { type: 'battery', reading });
  for (const [p, want] of [[true, true], [false, false], ['on', true], ['OFF', false], [1, true], [0, false], ['1', true], ['false', false]]) {
    assert.deepEqual(parseInput({ topic: 'enable', payload: p }, now), { type: 'enabled', enabled: want }, JSON.stringify(p));
  }
  assert.deepEqual(parseInput({ topic: 'target', payload: 75 }, now), { type: 'target', targetW: 75 });
  assert.deepEqual(parseInput({ topic: 'exportCap', payload: 3000 }, now), { type: 'exportCap', exportCapW: 3000 });
  assert.deepEqual(parseInput({ topic: 'exportcap', payload: null }, now), { type: 'exportCap', exportCapW: null });
  assert.deepEqual(parseInput({ topic: 'exportCap', payload: '' }, now), { type: 'exportCap', exportCapW: null });
  assert.deepEqual(parseInput({ payload: { kind: 'grid-target', minW: -500, maxW: 0, until: now + 60000, reason: 'peak shaving' } }, now), {
    type: 'gridTarget',
    gridTarget: { minW: -500, maxW: 0, until: now + 60000, reason: 'peak shaving' },
  });
  assert.deepEqual(parseInput({ payload: { kind: 'grid-target', minW: 200, maxW: 200 } }, now), { type: 'gridTarget', gridTarget: { minW: 200, maxW: 200 } });
  assert.deepEqual(parseInput({ payload: { kind: 'charger', power: 7400, timestamp: now - 500, state: 'charging', source: 'enector', limits: {} } }, now), { type: 'charger', charger: { power: 7400, timestamp: now - 500 } });
  assert.deepEqual(parseInput({ payload: { kind: 'charger', power: 0 } }, now), { type: 'charger', charger: { power: 0, timestamp: now } });
  assert.deepEqual(observation(reading), { power: -500, soc: 60, state: 'ready', timestamp: now, limits: { maxChargeW: 2200, maxDischargeW: 1700 }, setpoint: -500 });
});

test('inputs: invalid forms name the field and the accepted forms', () => {
  const now = 1_700_000_000_000;
  const cases = [
    [{ payload: { kind: 'meter', timestamp: now, source: 'p1' } }, /^payload\.power: is required$/],
    [{ payload: { kind: 'meter', timestamp: now, source: 'p1', power: '5' } }, /^payload\.power: must be number$/],
    [{ payload: { kind: 'meter', timestamp: -1, source: 'p1', power: 5 } }, /^payload\.timestamp: must be >= 0$/],
    [{ payload: { kind: 'battery', timestamp: now, source: 's', soc: 50, power: 0, state: 'ready' } }, /^payload\.limits: is required$/],
    [{ payload: { kind: 'battery', timestamp: now, source: 's', soc: 150, power: 0, state: 'ready', limits: { maxChargeW: 1, maxDischargeW: 1 } } }, /^payload\.soc: must be <= 100$/],
    [{ payload: { kind: 'battery-setpoint', power: 5 } }, /^payload\.kind: must be "meter", "battery", "grid-target", "grid-limit", "mode" or "charger" \(got "battery-setpoint"\); accepted: /],
    [{ topic: 'grid', payload: 'lots' }, /^msg\.payload: must be the grid power in W .* with topic "grid" \(got "lots"\)$/],
    [{ topic: 'grid', payload: NaN }, /^msg\.payload: must be the grid power .*\(got NaN\)$/],
    [{ topic: 'grid', payload: 1e7 }, /^msg\.payload: must be the grid power/],
    [{ topic: 'enable', payload: 'maybe' }, /^msg\.payload: must be true\/false, "on"\/"off" or 1\/0 with topic "enable" \(got "maybe"\)$/],
    [{ topic: 'enable', payload: 2 }, /with topic "enable" \(got 2\)$/],
    [{ topic: 'target', payload: {} }, /^msg\.payload: must be the grid target in W .* with topic "target" \(got \{\}\)$/],
    [{ topic: 'exportCap', payload: -10 }, /^msg\.payload: must be the export cap in W, a decimal number from 0 to 100000, or null or "" for none, with topic "exportCap" \(got -10\)$/],
    [{ topic: 'setpoint', payload: 5 }, /^msg\.payload: not understood \(topic "setpoint", payload 5\); accepted: payload \{kind: "meter"\}/],
    [{ payload: { power: 5 } }, /^msg\.payload: not understood \(topic none, payload an object without kind\)/],
    [{ payload: 'hello' }, /topic "grid" \+ W, "enable" \+ true\/false, "target" \+ W, "exportCap" \+ W or null, "mode" \+ balance\/peak-shaving\/hold\/charge$/],
    // Issue 11 defect 9: hex, exponents and Infinity are not watts; NaN says what it is.
    [{ topic: 'grid', payload: '0x10' }, /^msg\.payload: must be the grid power in W \(\+ import, − export\), a decimal number from −100000 to 100000, with topic "grid" \(got "0x10"\)$/],
    [{ topic: 'grid', payload: '1e3' }, /\(got "1e3"\)$/],
    [{ topic: 'grid', payload: 'Infinity' }, /\(got "Infinity"\)$/],
    [{ topic: 'grid', payload: Infinity }, /\(got Infinity\)$/],
    [{ topic: 'target', payload: '0x10' }, /^msg\.payload: must be the grid target in W .*\(got "0x10"\)$/],
    [{ topic: 'exportCap', payload: '0b11' }, /^msg\.payload: must be the export cap .*\(got "0b11"\)$/],
    [{ payload: { kind: 'meter', timestamp: now, source: 'p1', power: NaN } }, /^payload\.power: must be a finite number \(got NaN\)$/],
    [{ payload: { kind: 'meter', timestamp: now, source: 'p1', power: -Infinity } }, /^payload\.power: must be a finite number \(got -Infinity\)$/],
    // grid-target and charger (DESIGN.md §4.1): schema errors name the field.
    [{ payload: { kind: 'grid-target', minW: -500 } }, /^payload\.maxW: is required$/],
    [{ payload: { kind: 'grid-target', minW: 'a', maxW: 0 } }, /^payload\.minW: must be number$/],
    [{ payload: { kind: 'grid-target', minW: 0, maxW: -500 } }, /^payload\.maxW: must be at least payload\.minW \(0 W\) \(got -500\)$/],
    [{ payload: { kind: 'grid-target', minW: 0, maxW: 2e5 } }, /^payload\.maxW: must be <= 100000$/],
    [{ payload: { kind: 'grid-target', minW: 0, maxW: NaN } }, /^payload\.maxW: must be a finite number \(got NaN\)$/],
    [{ payload: { kind: 'grid-target', minW: 0, maxW: 0, until: 'soon' } }, /^payload\.until: must be integer$/],
    [{ payload: { kind: 'grid-target', minW: 0, maxW: 0, max: 1 } }, /^payload\.max: is not allowed$/],
    [{ payload: { kind: 'charger', power: -5 } }, /^payload\.power: must be >= 0$/],
    [{ payload: { kind: 'charger' } }, /^payload\.power: is required$/],
    [{ payload: { kind: 'charger', power: 1000, state: 'driving' } }, /^payload\.state: must be one of "idle"/],
  ];
  for (const [msg, re] of cases) {
    const r = parseInput(msg, now);
    assert.ok(r.error, JSON.stringify(msg));
    assert.match(r.error, re, JSON.stringify(msg));
  }
});

test('routing: serial, then topic, then the learned tag, then the only unit; unmatched says how to fix it', () => {
  const reading = (serial) => ({ kind: 'battery', serial, power: 0, soc: 50, state: 'ready', limits: { maxChargeW: 1, maxDischargeW: 1 }, timestamp: 1, source: 'x' });
  const r = new UnitRouter('ze1', [
    { label: 'A', serial: 'DSIM0001', topic: null },
    { label: 'B', serial: null, topic: 'sofar' },
    { label: 'C', serial: null, topic: null },
  ]);
  assert.deepEqual(r.route({ topic: 'sofar' }, reading('dsim0001')), { unit: 'A', how: 'serial' }, 'serial first, case-insensitive');
  assert.deepEqual(r.route({ topic: 'sofar' }, reading('SA1ES130K12345')), { unit: 'B', how: 'topic' });
  // A battery node's reply to one of our commands names the unit; its serial is remembered.
  assert.deepEqual(r.route({ topic: 'sessy', zeroExport: { node: 'ze1', unit: 'C' } }, reading('DSIM0003')), { unit: 'C', how: 'learned' });
  assert.deepEqual(r.route({ topic: 'sessy' }, reading('dsim0003')), { unit: 'C', how: 'learned' });
  // Another node's tag, or an unknown unit, teaches nothing.
  const other = r.route({ topic: 'sessy', zeroExport: { node: 'ze2', unit: 'C' } }, reading('DSIM0009'));
  assert.match(other.unmatched, /^battery reading \(serial DSIM0009, topic "sessy"\) matches no unit: enter its serial or topic in a unit of this node, or wire the battery node's output back/);
  assert.ok(r.route({ zeroExport: { node: 'ze1', unit: 'Z' } }, reading(null)).unmatched);
  assert.match(r.route({}, reading(null)).unmatched, /\(no serial, topic none\)/);
  // One unit: every reading is its.
  const one = new UnitRouter('ze1', [{ label: 'Only', serial: null, topic: null }]);
  assert.deepEqual(one.route({ topic: 'whatever' }, reading('ANY')), { unit: 'Only', how: 'single' });
  // One unit that names its serial: a reading with another serial belongs to another battery.
  assert.ok(new UnitRouter('n', [{ label: 'S', serial: 'X', topic: null }]).route({}, reading('Y')).unmatched);
});

test('config (issue 11 defect 9): hex, exponents, NaN and 1e400 are rejected with what the field accepts', () => {
  const cases = [
    [{ deadbandW: '0x10' }, 'config.deadbandW: must be a decimal number from 0 to 5000 W, or blank (got "0x10")'],
    [{ targetW: '0x10' }, 'config.targetW: must be a decimal number from -100000 to 100000 W, or blank (got "0x10")'],
    [{ deadbandW: NaN }, 'config.deadbandW: must be a decimal number from 0 to 5000 W, or blank (got NaN)'],
    [{ deadbandW: 1e400 }, 'config.deadbandW: must be a decimal number from 0 to 5000 W, or blank (got Infinity)'],
    [{ deadbandW: '1e400' }, 'config.deadbandW: must be a decimal number from 0 to 5000 W, or blank (got "1e400")'],
    [{ errorBudgetWs: '1e3' }, 'config.errorBudgetWs: must be a decimal number from 0 to 1000000 W·s, or blank (got "1e3")'],
    [{ units: [unit({ maxChargeW: '0x10' })] }, 'config.units[0].maxChargeW: must be a decimal number from 0 to 100000 W, or blank (got "0x10")'],
    [{ units: [unit({ maxDischargeW: NaN })] }, 'config.units[0].maxDischargeW: must be a decimal number from 0 to 100000 W, or blank (got NaN)'],
  ];
  for (const [patch, want] of cases) assert.equal(settingsFromConfig(saved(patch)).error, want, JSON.stringify(patch));
});

test('config: unit limits are caps only; blank leaves the limits the battery reports', () => {
  const s = settingsFromConfig(saved({ units: [unit({ maxChargeW: '', maxDischargeW: '', capacityWh: '' })] }));
  assert.deepEqual(s.params.units[0], { id: 'A', latencyMinMs: 1000, latencyMaxMs: 3000, rampWPerS: 1000 });
  assert.equal(settingsFromConfig(saved({ leaveChargerToGrid: true })).params.excludeChargerPower, true);
});

test('defaults: one source — schema defaults = controller defaults = the help text', () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const { configSchema } = require('../../dist/nodes/zero-export/schema');
  const { ZERO_EXPORT_DEFAULTS: D } = require('../../dist/lib/control/zero-export/controller');
  const p = configSchema.properties;
  assert.equal(p.deadbandW.default, D.deadbandW);
  assert.equal(p.shareToleranceW.default, D.shareToleranceW);
  assert.equal(p.stageUnits.default, D.stageUnits);
  assert.equal(p.errorBudgetWs.default, D.errorBudgetWs);
  assert.equal(p.refreshS.default * 1000, D.refreshMs);
  assert.equal(p.latencyMaxS.default * 1000, D.unit.latencyMaxMs);
  const help = fs.readFileSync(path.join(__dirname, '../../nodes/zero-export/help.md'), 'utf8');
  // Every "(default N unit)" style mention in the help matches the schema.
  const mentions = [
    [/\*Dead band\* \((\d+) W\)/, p.deadbandW.default],
    [/\*Error budget\* \((\d+) W·s/, p.errorBudgetWs.default],
    [/\*Slew limit\* \((\d+) W\/s/, p.slewWPerS.default],
    [/\*Re-send every\* \((\d+) s/, p.refreshS.default],
    [/\*Efficient at\*, default\s+(\d+) W/, p.unitEfficientW.default],
    [/\*Share tolerance\* \(default\s+(\d+) W\)/, p.shareToleranceW.default],
    [/\*Min SoC\* \(default (\d+) %\)/, p.minSocPct.default],
    [/\*Reserve charge\* \((\d+) W\)/, p.reserveChargeW.default],
    [/\*Ramp\* \((\d+) W\/s\)/, p.rampWPerS.default],
  ];
  for (const [re, want] of mentions) {
    const m = help.match(re);
    assert.ok(m, `help mentions ${re}`);
    assert.equal(Number(m[1]), want, String(re));
  }
  assert.doesNotMatch(help, /\.\.\/shared|DESIGN\.md|protocols\//, 'no references to files a user does not have');
});
