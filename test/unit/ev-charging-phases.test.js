'use strict';
// Phase usage at run time (for a Home Assistant select): `{topic: "phases", payload}` and a `phases`
// field in a `mode` payload change the phase usage until redeploy; the state carries `phaseUsage`.
// Controller, message translation and the node.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const dist = path.join(__dirname, '../../dist');
const { EvChargingController } = require(path.join(dist, 'lib/control/ev-charging/controller'));
const { evInputFromMessage, BatteryBook } = require(path.join(dist, 'lib/control/ev-charging/inputs'));
const evNode = require(path.join(dist, 'nodes/ev-charging/ev-charging.js'));
const { catchNode, catcher, collect, waitFor } = require('../helpers');
helper.init(require.resolve('node-red'));

const V = 230;
const t0 = Date.UTC(2026, 5, 10, 10);

/** Steps a controller on a site with `pvW` surplus (house 0 W) and an ideal car; returns the last result. */
function drive(c, st, seconds, pvW, extra = () => ({})) {
  let r;
  for (let i = 0; i < seconds; i++) {
    st.t++;
    const now = t0 + st.t * 1000;
    const a = st.sp && st.sp.enabled ? st.sp.currentA : 0;
    const ph = st.sp?.phases ?? 3;
    const carW = a * V * ph;
    const carPh = ph === 3 ? [a, a, a] : [a, 0, 0];
    r = c.step({ charger: { state: a > 0 ? 'charging' : 'connected', power: carW, currents: carPh, activePhases: ph, maxCurrentA: 16, minCurrentA: 6, phaseOptions: [1, 3], timestamp: now }, meter: { power: carW - pvW, currents: carPh, timestamp: now }, ...extra(st.t) }, now);
    if (r.command) st.sp = r.command;
  }
  return r;
}

test('phase usage input: single at once on 3 phases, back to automatic, standard undoes the 1-phase setting; state says which', () => {
  const c = new EvChargingController({ mode: 'solar-pure', phaseUsage: 'automatic', startDelayS: 0 });
  const st = { t: 0, sp: null };
  let r = drive(c, st, 120, 8000);
  assert.equal(r.state.phaseUsage, 'automatic');
  assert.equal(st.sp.phases, 3);
  r = drive(c, st, 1, 8000, () => ({ phaseUsage: 'single' }));
  assert.equal(r.state.phaseUsage, 'single');
  assert.equal(r.command.phases, 1, 'single goes out at once');
  r = drive(c, st, 60, 8000);
  assert.equal(st.sp.phases, 1);
  assert.equal(st.sp.currentA, 16, 'one phase at its maximum');
  // Automatic again: no automatic switch within the 7-min interval of the change by hand.
  r = drive(c, st, 1, 8000, () => ({ phaseUsage: 'automatic' }));
  assert.equal(r.state.phaseUsage, 'automatic');
  const switched = [];
  for (let i = 0; i < 1200; i++) {
    r = drive(c, st, 1, 8000);
    if (r.command?.phases === 3 && !switched.length) switched.push(st.t);
  }
  assert.equal(st.sp.phases, 3, 'automatic goes back up with 8 kW surplus');
  assert.ok(switched[0] - (st.t - 1200) >= 420, `up after ${switched[0] - (st.t - 1200)} s ≥ 420 s`);
  // Single, then standard: standard sends 3 phases once to undo it, then no phase count.
  drive(c, st, 1, 8000, () => ({ phaseUsage: 'single' }));
  drive(c, st, 30, 8000);
  assert.equal(st.sp.phases, 1);
  r = drive(c, st, 1, 8000, () => ({ phaseUsage: 'standard' }));
  assert.equal(r.state.phaseUsage, 'standard');
  assert.equal(r.command.phases, 3);
  assert.equal(r.state.phases, 3);
});

test('phase usage input: a car that must not be switched gets no phase count whatever the usage', () => {
  const c = new EvChargingController({ mode: 'power', phaseUsage: 'automatic', car: { switchable: false } });
  const st = { t: 0, sp: null };
  drive(c, st, 5, 0);
  const r = drive(c, st, 1, 0, () => ({ phaseUsage: 'single' }));
  assert.equal(r.state.phaseUsage, 'single');
  assert.equal(st.sp.phases, undefined);
});

test('property, automatic phases over random clouds and house loads: ≥ 7 min between switches, never below the minimum current while charging, no phase above fuse − margin, the band held', () => {
  const { mulberry32 } = require('../helpers');
  const rnd = mulberry32(7);
  let total = 0;
  for (let trial = 0; trial < 12; trial++) {
    const fuse = [16, 20, 25][trial % 3];
    const c = new EvChargingController({ mode: 'solar-pure', phaseUsage: 'automatic', fuseA: [fuse, fuse, fuse] });
    let sp = null;
    let pv = 2000 + rnd() * 8000;
    let load = rnd() * 3000;
    const switches = [];
    for (let t = 1; t <= 6 * 3600; t++) {
      // Clouds: the PV jumps now and then, drifts otherwise; the load steps.
      if (rnd() < 0.004) pv = rnd() * 11000;
      pv = Math.max(0, pv + (rnd() - 0.5) * 200);
      if (rnd() < 0.002) load = rnd() * (fuse * V * 2);
      const now = t0 + t * 1000;
      const a = sp && sp.enabled ? sp.currentA : 0;
      const ph = sp?.phases ?? 3;
      const carPh = ph === 3 ? [a, a, a] : [a, 0, 0];
      const houseA = [0.4, 0.3, 0.3].map((f) => (load * f - pv / 3) / V);
      const r = c.step({ charger: { state: a > 0 ? 'charging' : 'connected', power: a * V * ph, currents: carPh, activePhases: ph, maxCurrentA: 16, minCurrentA: 6, phaseOptions: [1, 3], timestamp: now }, meter: { power: load - pv + a * V * ph, currents: houseA.map((h, k) => Math.abs(h + carPh[k])), phasePower: houseA.map((h, k) => (h + carPh[k]) * V), timestamp: now } }, now);
      if (r.command) {
        if (sp && r.command.phases !== sp.phases && sp.enabled) switches.push(t);
        sp = r.command;
        if (sp.enabled) {
          assert.ok(sp.currentA >= 6, `trial ${trial}: ${sp.currentA} A below the minimum`);
          const after = ph === 3 && sp.phases === 3 ? [0, 1, 2] : [0];
          for (const k of after) assert.ok(houseA[k] + sp.currentA <= fuse - 1 + 0.05, `trial ${trial} t=${t}: L${k + 1} ${(houseA[k] + sp.currentA).toFixed(2)} A > ${fuse - 1} A`);
        }
      }
    }
    for (let i = 1; i < switches.length; i++) assert.ok(switches[i] - switches[i - 1] >= 420, `trial ${trial}: switches ${switches[i] - switches[i - 1]} s apart`);
    total += switches.length;
  }
  assert.ok(total >= 20, `the clouds make it switch (${total} switches)`);
});

test('phase usage messages: topic "phases" (case-insensitive, trimmed) and a phases field in a mode payload; invalid ones name the field', () => {
  const b = new BatteryBook();
  assert.deepEqual(evInputFromMessage({ topic: 'phases', payload: ' Single ' }, 0, b), { what: 'phases', inputs: { phaseUsage: 'single' } });
  assert.deepEqual(evInputFromMessage({ topic: 'Phases', payload: 'AUTOMATIC' }, 0, b).inputs, { phaseUsage: 'automatic' });
  assert.deepEqual(evInputFromMessage({ payload: { kind: 'mode', phases: 'standard' } }, 0, b).inputs, { phaseUsage: 'standard' });
  assert.deepEqual(evInputFromMessage({ payload: { kind: 'mode', mode: 'power', phases: 'Single' } }, 0, b).inputs, { mode: { mode: 'power' }, phaseUsage: 'single' });
  for (const bad of ['three', 3, '', null, true]) {
    const r = evInputFromMessage({ topic: 'phases', payload: bad }, 0, b);
    assert.match(r.error, /topic "phases" needs one of standard, single, automatic/, String(bad));
  }
  assert.match(evInputFromMessage({ payload: { kind: 'mode', mode: 'power', phases: 'both' } }, 0, b).error, /payload\.phases: must be one of standard, single, automatic/);
  assert.match(evInputFromMessage({ payload: { kind: 'mode' } }, 0, b).error, /payload/);
  assert.match(evInputFromMessage({ payload: { kind: 'mode', phases: 'single', until: 'unplugged' } }, 0, b).error, /payload\.until: an override needs a mode/);
});

test.describe('ev-charging node: phase usage at run time', () => {
  test.before(() => new Promise((r) => helper.startServer(r)));
  test.after(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
  });

  test('topic phases changes the phase usage; output 2 carries phaseUsage; an invalid value is an error and changes nothing', async () => {
    await helper.load([evNode, catchNode], [{ id: 'ev', type: 'ev-charging', mode: 'power', phaseUsage: 'automatic', wires: [['wb'], ['state']] }, { id: 'wb', type: 'helper' }, { id: 'state', type: 'helper' }, ...catcher()]);
    const ev = helper.getNode('ev');
    const states = collect(helper.getNode('state'));
    const caught = collect(helper.getNode('caught'));
    const now = Date.now();
    ev.receive({ payload: { kind: 'charger', state: 'connected', power: 0, timestamp: now, limits: { phaseOptions: [1, 3], minCurrentA: 6, maxCurrentA: 16 } } });
    ev.receive({ payload: { kind: 'meter', power: 300, timestamp: now } });
    await waitFor(() => states.length > 0, 3000, 'a state message');
    assert.equal(states.at(-1).payload.phaseUsage, 'automatic');
    ev.receive({ topic: 'phases', payload: ' single' });
    await waitFor(() => states.at(-1).payload.phaseUsage === 'single', 3000, 'phaseUsage single in the state');
    ev.receive({ topic: 'phases', payload: 'both' });
    await waitFor(() => caught.length > 0, 3000, 'an error for an invalid phase usage');
    assert.match(caught[0].error.message, /topic "phases" needs one of standard, single, automatic/);
    ev.receive({ payload: { kind: 'mode', phases: 'Standard' } });
    await waitFor(() => states.at(-1).payload.phaseUsage === 'standard', 3000, 'phaseUsage standard from a mode payload');
    assert.equal(caught.length, 1);
  });
});

test('the band between the phase edges is at least 1 kW: the config and the controller refuse less', () => {
  const { configReader } = require(path.join(dist, 'lib/api/config'));
  const { evConfigSchema } = require(path.join(dist, 'lib/control/ev-charging/config'));
  const read = configReader(evConfigSchema);
  const bad = read({ bandW: '500' });
  assert.equal(bad.ok, false);
  assert.match(bad.error, /^config\.bandW: /);
  assert.equal(read({ bandW: '1000' }).ok, true);
  assert.throws(() => new EvChargingController({ bandW: 999 }), /bandW must be at least 1000 W/);
  const c = new EvChargingController({ bandW: 1500 });
  assert.ok(c, 'a wider band is fine');
});
