'use strict';
// zero-export inside a real Node-RED runtime (node-red-node-test-helper, built dist/ node), no
// hardware: meter and battery readings go in as messages, commands come out on one port per unit.
// The units are configured with no latency and an instant ramp (Advanced settings), so the
// controller's model of the batteries is exact and every correction is one step:
// new total = grid + old total − target.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const zeNode = require(path.join(__dirname, '../../dist/nodes/zero-export/zero-export.js'));
const completeNode = require('@node-red/nodes/core/common/24-complete.js');
const { catchNode, catcher, collect, nextMessage, waitFor, waitForStatus, sleep } = require('../helpers');
helper.init(require.resolve('node-red'));

const unit = (label, o = {}) => ({ label, serial: '', topic: '', maxChargeW: 2200, maxDischargeW: 1700, capacityWh: 5200, ...o });
/** A zero-export node 'ze' with a helper on each unit port (u0, u1, …) and on the status port 'st'. */
function flow(units, cfg = {}) {
  const wires = units.map((_, i) => [`u${i}`]);
  wires.push(['st']);
  return [
    { id: 'ze', type: 'zero-export', name: 'zero export', units, latencyMinS: 0, latencyMaxS: 0, rampWPerS: 1000000, outputs: units.length + 1, wires, ...cfg },
    ...units.map((_, i) => ({ id: `u${i}`, type: 'helper' })),
    { id: 'st', type: 'helper' },
    { id: 'done', type: 'complete', scope: ['ze'], uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper' },
    ...catcher(),
  ];
}
const meter = (power, o = {}) => ({ payload: { kind: 'meter', timestamp: Date.now(), source: 'p1', power, ...o } });
const battery = (o = {}) => ({
  topic: o.topic ?? 'sessy',
  payload: { kind: 'battery', timestamp: Date.now(), source: 'sessy', serial: 'DSIM0001', soc: 50, power: 0, state: 'ready', limits: { maxChargeW: 2200, maxDischargeW: 1700 }, ...o.payload },
  ...(o.zeroExport ? { zeroExport: o.zeroExport } : {}),
});
const state = () => helper.getNode('ze').zeroExport();
const unitState = (id) => state().units.find((u) => u.id === id);
/** The latest setpoint command on each unit helper. */
const lastPower = (msgs) => msgs.filter((m) => m.payload.kind === 'battery-setpoint').at(-1)?.payload.power;

/** Every status the node 'ze' sets, from the runtime's events (so those set while it is built count too). */
let statuses = [];
const onStatus = (e) => e.id === 'ze' && e.status && statuses.push(e.status);

async function load(units, cfg) {
  statuses = [];
  await helper.load([zeNode, catchNode, completeNode], flow(units, cfg));
  const ze = helper.getNode('ze');
  return {
    ze,
    ports: units.map((_, i) => collect(helper.getNode(`u${i}`))),
    st: collect(helper.getNode('st')),
    caught: collect(helper.getNode('caught')),
    completed: collect(helper.getNode('completed')),
    statuses,
  };
}

describe('zero-export node', () => {
  before(async () => {
    await new Promise((r) => helper.startServer(r));
    helper._events.on('node-status', onStatus);
  });
  after(async () => {
    helper._events.off('node-status', onStatus);
    await new Promise((r) => helper.stopServer(r));
  });
  afterEach(() => helper.unload());

  it('meter object and grid number drive the controller; commands go to their unit\'s port with the tag', async () => {
    const t = await load([unit('A', { serial: 'DSIM0001' }), unit('B', { topic: 'sofar' })]);
    await waitForStatus(t.statuses, { fill: 'yellow', shape: 'ring', text: 'waiting: no meter' }, 2000);
    t.ze.receive(battery({ payload: { serial: 'DSIM0001' } }));
    t.ze.receive(battery({ topic: 'sofar', payload: { serial: 'SA1ES130K12345', source: 'sofar' } }));
    t.ze.receive(meter(1500));
    await waitFor(() => t.ports[0].length && t.ports[1].length, 2000, 'commands on both ports');
    for (const [i, label] of [[0, 'A'], [1, 'B']]) {
      const m = t.ports[i][0];
      assert.equal(m.topic, label);
      assert.deepEqual(m.zeroExport, { node: 'ze', unit: label });
      assert.equal(m.payload.kind, 'battery-setpoint');
      assert.equal(m.payload.reason, 'zero-export: control');
      assert.ok(Number.isInteger(m.payload.power) && m.payload.power > 0, `discharge on ${label} (${m.payload.power})`);
    }
    // 1500 W import, batteries at 0: together they discharge 1500 W.
    assert.equal(lastPower(t.ports[0]) + lastPower(t.ports[1]), 1500);
    assert.equal(state().totalSetpointW, 1500);
    // The meter now sees 200 W export: the total drops by 200 W (a plain number with topic "grid").
    t.ze.receive({ topic: 'grid', payload: -200 });
    await waitFor(() => lastPower(t.ports[0]) + lastPower(t.ports[1]) === 1300, 2000, 'total 1300 W');
    assert.equal(state().gridW, -200);
    // The status output reports the change to active, with the reason.
    const st = t.st.filter((m) => m.topic === 'zero-export');
    assert.equal(st[0].payload.kind, 'zero-export-status');
    assert.equal(st[0].payload.mode, 'active');
    assert.equal(st[0].payload.units.length, 2);
    assert.ok(st.some((m) => m.payload.mode === 'active' && m.payload.reasons.some((r) => /^grid \+1500 W, target 0 W: total 0 W → \+1500 W/.test(r))), JSON.stringify(st.map((m) => m.payload.reasons)));
    assert.equal(st.at(-1).payload.dryRun, false);
    assert.equal(st.at(-1).payload.commands, undefined, 'commands only in a dry run');
    // Green status: grid, total setpoint, target.
    const green = await waitForStatus(t.statuses, { fill: 'green', shape: 'dot' }, 2000);
    assert.match(green.text, /^grid [+−]\d+ W · set \+1[35]00 W$/);
    // Exactly one done per message, none failed.
    await waitFor(() => t.completed.length === 4, 1000, 'four completions');
    await sleep(100);
    assert.equal(t.completed.length, 4);
    assert.equal(t.caught.length, 0);
  });

  it('battery readings: matched by serial, topic, learned tag and single unit; unmatched → a warning naming it, no error', async () => {
    const t = await load([unit('A', { serial: 'dsim0001' }), unit('B', { topic: 'garage' }), unit('C')]);
    const warnings = [];
    t.ze.warn = (w) => warnings.push(String(w));
    t.ze.receive(battery({ payload: { serial: 'DSIM0001', power: -111, soc: 11 } }));
    t.ze.receive(battery({ topic: 'garage', payload: { serial: 'OTHER', power: 222, soc: 22 } }));
    await waitFor(() => unitState('A').power === -111 && unitState('B').power === 222, 1000, 'A and B');
    assert.equal(unitState('A').soc, 11);
    assert.equal(unitState('C').state, 'no-data');
    // C: neither serial nor topic. Until it is known the node asks it to identify itself.
    const probe = await waitFor(() => t.ports[2].find((m) => m.topic === 'refresh'), 4000, 'refresh probe on C');
    assert.deepEqual(probe.zeroExport, { node: 'ze', unit: 'C' });
    assert.equal(probe.payload, undefined);
    assert.equal(t.ports[0].length + t.ports[1].length, 0, 'A and B are known: no probe');
    // The battery node's reply to it carries the tag: C learns its serial, later readings need no tag.
    t.ze.receive(battery({ payload: { serial: 'DSIM0003', power: 333, soc: 33 }, zeroExport: probe.zeroExport }));
    await waitFor(() => unitState('C').power === 333, 1000, 'C by tag');
    t.ze.receive(battery({ payload: { serial: 'dsim0003', power: 334, soc: 34 } }));
    await waitFor(() => unitState('C').power === 334, 1000, 'C by learned serial');
    // Another node's tag or an unknown serial: a warning with what to do, done() without an error.
    t.ze.receive(battery({ payload: { serial: 'DSIM0009' }, zeroExport: { node: 'someone-else', unit: 'C' } }));
    t.ze.receive(battery({ payload: { serial: 'DSIM0009' } }));
    await waitFor(() => t.completed.length === 6, 1000, 'six completions');
    assert.equal(t.caught.length, 0);
    assert.equal(warnings.length, 1, 'logged once per serial and topic');
    assert.match(warnings[0], /battery reading \(serial DSIM0009, topic "sessy"\) matches no unit: enter its serial or topic/);
    assert.equal(unitState('C').power, 334);
  });

  it('one unit without serial or topic takes every battery reading', async () => {
    const t = await load([unit('Only')]);
    // A meter reading but no battery data yet: waiting, and the status says for what.
    t.ze.receive(meter(300));
    await waitForStatus(t.statuses, { fill: 'yellow', shape: 'ring', text: 'waiting: no battery' }, 2000);
    t.ze.receive(battery({ topic: 'anything', payload: { serial: null, power: 444 } }));
    await waitFor(() => unitState('Only').power === 444, 1000, 'single unit');
    t.ze.receive(meter(300));
    await waitFor(() => lastPower(t.ports[0]) === 744, 2000, 'control: 300 W + 444 W');
    await sleep(2500);
    assert.ok(t.ports[0].every((m) => m.topic === 'Only'), 'no probe with one unit');
  });

  it('invalid inputs: done(err) naming the field and the accepted forms, nothing changes', async () => {
    const t = await load([unit('A')]);
    const cases = [
      [{ payload: { kind: 'meter', timestamp: Date.now(), source: 'p1', power: 'x' } }, /^payload\.power: must be number$/],
      [{ payload: { kind: 'meter', source: 'p1', power: 5 } }, /^payload\.timestamp: is required$/],
      [{ payload: { kind: 'battery', timestamp: Date.now(), source: 's', soc: 50, power: 0, state: 'charging', limits: { maxChargeW: 1, maxDischargeW: 1 } } }, /^payload\.state: must be one of "ready"/],
      [{ payload: { kind: 'inverter' } }, /^payload\.kind: must be "meter", "battery", "grid-target", "grid-limit", "mode" or "charger" \(got "inverter"\); accepted: /],
      [{ payload: { kind: 'grid-target', minW: 0, maxW: '0x10' } }, /^payload\.maxW: must be number$/],
      [{ topic: 'grid', payload: '0x10' }, /^msg\.payload: must be the grid power in W .*\(got "0x10"\)$/],
      [{ topic: 'grid', payload: 'n/a' }, /^msg\.payload: must be the grid power in W .*\(got "n\/a"\)$/],
      [{ topic: 'enable', payload: 'perhaps' }, /^msg\.payload: must be true\/false, "on"\/"off" or 1\/0 with topic "enable"/],
      [{ topic: 'target', payload: null }, /^msg\.payload: must be the grid target in W .*\(got null\)$/],
      [{ topic: 'exportCap', payload: 'lots' }, /^msg\.payload: must be the export cap in W/],
      [{ topic: 'power', payload: 12 }, /^msg\.payload: not understood \(topic "power", payload 12\); accepted: /],
      [{ payload: 12 }, /^msg\.payload: not understood \(topic none, payload 12\)/],
    ];
    for (const [m, re] of cases) {
      const got = nextMessage(helper.getNode('caught'), 2000);
      t.ze.receive(m);
      assert.match((await got).error.message.replace(/^Error: /, ''), re, JSON.stringify(m));
    }
    await sleep(100);
    assert.equal(t.completed.length, 0, 'no message completed');
    assert.equal(t.caught.length, cases.length, 'one error each');
    assert.equal(state().gridW, null);
    assert.equal(state().targetW, 0);
    assert.equal(t.ports[0].length, 0);
  });

  it('topics enable, target and exportCap', async () => {
    const t = await load([unit('A')]);
    t.ze.receive(battery());
    t.ze.receive(meter(600));
    await waitFor(() => lastPower(t.ports[0]) === 600, 2000, '600 W');
    // A new target: hold 100 W import → discharge 100 W less.
    t.ze.receive({ topic: 'target', payload: 100 });
    t.ze.receive(meter(0));
    await waitFor(() => lastPower(t.ports[0]) === 500, 2000, '500 W');
    assert.equal(state().targetW, 100);
    t.ze.receive({ topic: 'exportCap', payload: '1500' });
    await waitFor(() => state().exportCapW === 1500, 1000, 'cap');
    t.ze.receive({ topic: 'exportCap', payload: null });
    await waitFor(() => state().exportCapW === null, 1000, 'no cap');
    // Off: the unit gets 0 W once, the status turns grey.
    t.ze.receive({ topic: 'enable', payload: 'off' });
    const off = await waitFor(() => t.ports[0].find((m) => m.payload.reason === 'zero-export: disabled'), 1000, '0 W on disable');
    assert.deepEqual(off.payload, { kind: 'battery-setpoint', power: 0, reason: 'zero-export: disabled' });
    assert.equal(state().mode, 'disabled');
    await waitForStatus(t.statuses, { fill: 'grey', shape: 'ring', text: 'disabled' }, 2000);
    const n = t.ports[0].length;
    t.ze.receive(meter(900));
    await sleep(400);
    assert.equal(t.ports[0].length, n, 'nothing while disabled');
    t.ze.receive({ topic: 'enable', payload: 1 });
    t.ze.receive(meter(900));
    await waitFor(() => lastPower(t.ports[0]) === 800, 2000, 'control again: 900 W − 100 W target');
    await waitFor(() => t.completed.length === 10, 1000, 'every message completed');
    assert.equal(t.caught.length, 0);
  });

  it('dry run: nothing on the unit outputs; the commands are in the status output and the status text', async () => {
    const t = await load([unit('A'), unit('B', { topic: 'b' })], { dryRun: true });
    t.ze.receive(battery({ topic: 'x', payload: { serial: 'S1' }, zeroExport: { node: 'ze', unit: 'A' } }));
    t.ze.receive(battery({ topic: 'b', payload: { serial: 'S2' } }));
    t.ze.receive(meter(1500));
    const withCommands = await waitFor(() => t.st.find((m) => m.payload.commands && m.payload.commands.length), 2000, 'status with commands');
    assert.equal(withCommands.payload.dryRun, true);
    const total = withCommands.payload.commands.reduce((s, c) => s + c.power, 0);
    assert.equal(total, 1500);
    assert.deepEqual(withCommands.payload.commands.map((c) => [c.unit, c.reason]).sort(), [['A', 'control'], ['B', 'control']]);
    const grey = await waitForStatus(t.statuses, { fill: 'grey', shape: 'dot', text: 'dry run · would set +1500 W' }, 2000);
    assert.ok(grey);
    await sleep(2500); // past the first identify probe too
    assert.equal(t.ports[0].length + t.ports[1].length, 0, 'nothing sent to the batteries');
  });

  it('fail safe: the meter stops → 0 W to every unit, yellow status; back when the meter is', async () => {
    const t = await load([unit('A', { topic: 'a' }), unit('B', { topic: 'b' })], { meterTimeoutS: 1 });
    t.ze.receive(battery({ topic: 'a', payload: { serial: 'S1' } }));
    t.ze.receive(battery({ topic: 'b', payload: { serial: 'S2' } }));
    t.ze.receive(meter(2000));
    await waitFor(() => lastPower(t.ports[0]) > 0 && lastPower(t.ports[1]) > 0, 2000, 'both discharge');
    const t0 = Date.now();
    await waitFor(() => lastPower(t.ports[0]) === 0 && lastPower(t.ports[1]) === 0, 3000, '0 W on both');
    const waited = Date.now() - t0;
    assert.ok(waited >= 700 && waited < 2000, `after the 1 s timeout (${waited} ms)`);
    for (const p of t.ports) assert.equal(p.at(-1).payload.reason, 'zero-export: failsafe-meter');
    const y = await waitForStatus(t.statuses, { fill: 'yellow', shape: 'ring', text: 'fail-safe: meter stale' }, 1000);
    assert.ok(y);
    const st = t.st.filter((m) => m.payload.mode === 'failsafe');
    assert.ok(st.length >= 1 && /^meter stale/.test(st[0].payload.reasons[0]), JSON.stringify(st.map((m) => m.payload.reasons)));
    t.ze.receive(meter(2000));
    await waitFor(() => lastPower(t.ports[0]) + lastPower(t.ports[1]) === 2000, 2000, 'control resumes');
    await waitForStatus(t.statuses, { fill: 'green' }, 2000);
  });

  it('fail safe "release": the units are handed back with battery-release', async () => {
    const t = await load([unit('A')], { meterTimeoutS: 1, failSafe: 'release' });
    t.ze.receive(battery());
    t.ze.receive(meter(-800));
    await waitFor(() => lastPower(t.ports[0]) === -800, 2000, 'charge 800 W');
    const rel = await waitFor(() => t.ports[0].find((m) => m.payload.kind === 'battery-release'), 3000, 'release');
    assert.deepEqual(rel.payload, { kind: 'battery-release', reason: 'zero-export: failsafe-meter' });
    assert.deepEqual(rel.zeroExport, { node: 'ze', unit: 'A' });
    assert.equal(rel.topic, 'A');
  });

  // A deploy of only the changed zero-export node (the battery nodes keep running) closes the old
  // node: its close action reaches the batteries. (On a full deploy the battery nodes stop too and
  // hand their units back by themselves.)
  async function redeployZe(units, cfg) {
    await helper.setFlows(flow(units, { ...cfg, targetW: 5 }), 'nodes');
    await sleep(50);
  }

  it('close: the fail-safe action goes to every unit with a setpoint', async () => {
    const units = [unit('A', { topic: 'a' }), unit('B', { topic: 'b' }), unit('C', { topic: 'c' })];
    const t = await load(units, { stageUnits: true, unitEfficientW: 5000 });
    t.ze.receive(battery({ topic: 'a', payload: { serial: 'S1', soc: 90 } }));
    t.ze.receive(battery({ topic: 'b', payload: { serial: 'S2', soc: 20 } }));
    t.ze.receive(meter(700));
    // Staged: one unit is enough for 700 W (efficient at 5 kW): A, with the most energy, gets it; C never had data.
    await waitFor(() => lastPower(t.ports[0]) === 700, 2000, 'A at 700 W');
    // B is in the set with a 0 W share: a setpoint nonetheless.
    assert.equal(lastPower(t.ports[1]), 0);
    assert.equal(t.ports[2].length, 0);
    const before = t.ports.map((p) => p.length);
    await redeployZe(units, { stageUnits: true, unitEfficientW: 5000 });
    const after = t.ports.map((p, i) => p.slice(before[i]));
    assert.deepEqual(after[0].map((m) => [m.topic, m.payload, m.zeroExport]), [['A', { kind: 'battery-setpoint', power: 0, reason: 'zero-export: node closed' }, { node: 'ze', unit: 'A' }]]);
    assert.deepEqual(after[1].map((m) => m.payload.power), [0]);
    assert.equal(after[2].length, 0, 'C never got a setpoint');
  });

  it('close with fail safe "release": battery-release to the units it drove', async () => {
    const t = await load([unit('A')], { failSafe: 'release' });
    t.ze.receive(battery());
    t.ze.receive(meter(300));
    await waitFor(() => lastPower(t.ports[0]) === 300, 2000, '300 W');
    const n = t.ports[0].length;
    await redeployZe([unit('A')], { failSafe: 'release' });
    assert.deepEqual(t.ports[0].slice(n).map((m) => m.payload), [{ kind: 'battery-release', reason: 'zero-export: node closed' }]);
  });

  it('export cap: curtailment is reported when the batteries charge at their limit', async () => {
    const t = await load([unit('A', { maxChargeW: 500 })], { exportCapW: 1000 });
    t.ze.receive(battery());
    t.ze.receive(meter(-3000));
    await waitFor(() => lastPower(t.ports[0]) === -500, 2000, 'charging at the limit');
    t.ze.receive(meter(-2500));
    const c = await waitFor(() => t.st.find((m) => m.topic === 'curtailment'), 2000, 'curtailment message');
    assert.equal(c.payload.kind, 'curtailment');
    assert.equal(c.payload.exportCapW, 1000);
    assert.ok(c.payload.power >= 50, `curtail ${c.payload.power} W`);
    assert.equal(typeof c.payload.timestamp, 'number');
    assert.ok(c.payload.gridW <= -2500);
    // The cap goes: curtailment ends (to 0).
    t.ze.receive({ topic: 'exportCap', payload: '' });
    t.ze.receive(meter(-2500));
    const end = await waitFor(() => t.st.filter((m) => m.topic === 'curtailment').find((m) => m.payload.power === 0), 2000, 'curtailment 0');
    assert.equal(end.payload.exportCapW, null);
  });

  it('honest status (issue 11): yellow with the reason while the battery is at its charge limit and the grid exports; green when back', async () => {
    const t = await load([unit('A')], { offTargetS: 1 });
    t.ze.receive(battery());
    t.ze.receive(meter(-2800));
    await waitFor(() => lastPower(t.ports[0]) === -2200, 2000, 'charging at the limit');
    // The battery delivers its limit; the grid stays at −600 W.
    const feed = async (grid, power, ms) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        t.ze.receive(battery({ payload: { power } }));
        t.ze.receive(meter(grid));
        await sleep(250);
      }
    };
    await feed(-600, -2200, 1500);
    const y = await waitForStatus(t.statuses, { fill: 'yellow', shape: 'ring', text: '−600 W · charge limit' }, 2000);
    assert.ok(y);
    const st = t.st.filter((m) => m.topic === 'zero-export' && m.payload.attention);
    assert.ok(st.length >= 1, 'the status output says so at once');
    assert.equal(st[0].payload.attention.code, 'charge-limit');
    assert.match(st[0].payload.reasons[0], /^off target \d+ s: grid −600 W, target 0 W; batteries at their charge limit \(−2200 W\)$/);
    const n = t.statuses.length;
    await feed(0, -2200, 500);
    await waitFor(() => t.statuses.slice(n).some((s) => s.fill === 'green'), 2000, 'green again');
  });

  it('full deploy: the release goes out when the flows start to stop, before a battery node closes; nothing is logged', async () => {
    // A stand-in battery node, created before zero export (so Node-RED closes it first).
    const log = [];
    function fakeBattery(RED) {
      RED.nodes.registerType('fake-battery', function (config) {
        RED.nodes.createNode(this, config);
        this.on('input', (msg, send, done) => {
          log.push(`input ${msg.payload.kind}`);
          done();
        });
        this.on('close', (done) => {
          log.push('battery closed');
          done();
        });
      });
    }
    statuses = [];
    await helper.load(
      [fakeBattery, zeNode, catchNode],
      [
        { id: 'bat', type: 'fake-battery' },
        { id: 'ze', type: 'zero-export', units: [unit('A')], latencyMinS: 0, latencyMaxS: 0, rampWPerS: 1000000, outputs: 2, wires: [['bat'], []] },
        ...catcher(),
      ],
    );
    const ze = helper.getNode('ze');
    const errors = [];
    ze.error = (e) => errors.push(String(e));
    const send = ze.send.bind(ze);
    ze.send = (m) => {
      const out = Array.isArray(m) ? m[0] : m;
      const first = Array.isArray(out) ? out[0] : out;
      if (first && first.payload && first.payload.reason === 'zero-export: node closed') log.push('release sent');
      send(m);
    };
    ze.receive(battery());
    ze.receive(meter(400));
    await waitFor(() => log.includes('input battery-setpoint'), 2000, 'setpoint delivered');
    await helper.setFlows([...catcher()], 'full');
    await sleep(50);
    assert.deepEqual(log.filter((l) => l !== 'input battery-setpoint'), ['release sent', 'battery closed'], 'sent before the battery node closed, once');
    assert.deepEqual(errors, []);
  });

  it('configuration errors: red status, an error naming the field, input rejected', async () => {
    statuses = [];
    await helper.load([zeNode, catchNode], [{ id: 'ze', type: 'zero-export', units: [unit('A'), unit('a')], wires: [[], [], []] }, ...catcher()]);
    assert.deepEqual(statuses, [{ fill: 'red', shape: 'ring', text: 'configuration error' }]);
    const ze = helper.getNode('ze');
    const got = nextMessage(helper.getNode('caught'), 2000);
    ze.receive(meter(100));
    assert.match((await got).error.message, /^(Error: )?invalid configuration: config\.units\[1\]\.label: "a" is used twice/);
    await helper.unload();
    await helper.load([zeNode, catchNode], [{ id: 'ze', type: 'zero-export', units: [unit('A')], meterTimeoutS: 'soon', wires: [[], []] }, ...catcher()]);
    const ze2 = helper.getNode('ze');
    const got2 = nextMessage(helper.getNode('caught'), 2000);
    ze2.receive({ topic: 'grid', payload: 5 });
    assert.match((await got2).error.message, /config\.meterTimeoutS: must be 0 or a decimal number from 0\.5 to 3600 s, or blank \(got "soon"\)/);
  });
});
