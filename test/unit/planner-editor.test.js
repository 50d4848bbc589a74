'use strict';
// The battery-planner edit dialog validates with the same schema the runtime reads the config with
// (lib/control/planner/inputs.ts, injected by the build): every field with a validator, and the
// panel-group list, are accepted and refused by the dialog and readPlannerConfig alike.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const helpers = require('../helpers');
const { readPlannerConfig, plannerConfigSchema } = require(path.join(dist, 'lib/control/planner/inputs'));

const editorDefinition = () => helpers.editorDefinition('battery-planner');
// the location is given so that panel groups alone never make a config invalid
const base = { latitude: 52, longitude: 5, pvForecast: 'message' };

test('the dialog carries the runtime schema and validates each field as the runtime does', () => {
  const { def, schemas } = editorDefinition();
  assert.equal(def.type, 'battery-planner');
  assert.deepEqual(JSON.parse(JSON.stringify(schemas['battery-planner'])), JSON.parse(JSON.stringify(plannerConfigSchema.properties)));
  const samples = ['', ' ', '0', '1', ' 7 ', '-1', '2.5', '0x10', '1e3', 'abc', 1, 4, 12, 13, 14, 48, 49, 90, 91, 100, 180, 181, 5000, NaN, Infinity, 'auto', 'clear-sky', 'history', 'constant', 'none', 'Europe/Brussels'];
  const checked = Object.entries(def.defaults).filter(([k, d]) => typeof d.validate === 'function' && k !== 'panelGroups' && k !== 'timeZone');
  assert.ok(checked.length >= 20, `${checked.length} fields`);
  for (const [field, d] of checked) {
    for (const v of samples) {
      const editor = d.validate.call({}, v);
      const r = readPlannerConfig({ ...base, [field]: v });
      // the runtime's cross-field rules (minSoc < maxSoc, clear sky needs groups) are not the field check
      const runtime = r.ok || /must be below maxSoc|needs at least one panel group|needs the location/.test(r.error);
      assert.equal(editor, runtime, `${field} = ${JSON.stringify(v) ?? String(v)}: editor ${editor}, runtime ${r.ok || r.error}`);
    }
  }
  const saved = Object.fromEntries(Object.entries(def.defaults).map(([k, d]) => [k, d.value]));
  assert.equal(readPlannerConfig(saved).ok, true, 'the dialog defaults are a valid config');
});

test('the panel-group list: the dialog and the runtime accept and refuse the same groups', () => {
  const { def } = editorDefinition();
  const check = def.defaults.panelGroups.validate;
  const good = { count: 10, panelWp: 400, azimuth: 180, tilt: 35 };
  const lists = [
    [],
    [good],
    [good, { count: '8', panelWp: '430', azimuth: '90', tilt: '20' }],
    [{ ...good, count: 0 }],
    [{ ...good, count: 2.5 }],
    [{ ...good, panelWp: '' }],
    [{ ...good, azimuth: 361 }],
    [{ ...good, tilt: -5 }],
    [{ ...good, tilt: '0x1e' }],
    Array.from({ length: 13 }, () => good),
  ];
  for (const l of lists) assert.equal(check.call({}, l), readPlannerConfig({ ...base, panelGroups: l }).ok, JSON.stringify(l));
});

test('minSoc below maxSoc: the dialog refuses what plannerParams refuses, on either field', () => {
  const { def } = editorDefinition();
  const { plannerParams } = require(path.join(dist, 'lib/control/planner/inputs'));
  const min = def.defaults.minSoc.validate;
  const max = def.defaults.maxSoc.validate;
  for (const [lo, hi] of [[5, 100], [20, 90], [50, 50], [60, 40], ['10', '9'], [0, 1]]) {
    const r = readPlannerConfig({ ...base, minSoc: lo, maxSoc: hi });
    let runtime = r.ok;
    if (r.ok) {
      try {
        plannerParams(r.config);
      } catch {
        runtime = false;
      }
    }
    assert.equal(min.call({ minSoc: lo, maxSoc: hi }, lo), runtime, `minSoc ${lo}, maxSoc ${hi}`);
    assert.equal(max.call({ minSoc: lo, maxSoc: hi }, hi), runtime, `maxSoc ${hi}, minSoc ${lo}`);
  }
  // a blank or invalid other field leaves the field check alone (that field shows its own error)
  assert.equal(min.call({ maxSoc: '' }, 30), true);
  assert.equal(max.call({ minSoc: 'x' }, 30), true);
});
