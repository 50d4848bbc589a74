'use strict';
// The Home Assistant example flows, loaded as shipped into Node-RED (only the broker, HA and Sessy
// addresses pointed at loopback): example 20 announces its battery and meter to a real broker and
// passes HA's rules; example 21 turns HA's grid power sensor (kW) into ev-charging's grid input;
// example 22 closes the zero-export loop through HA: the virtual home's grid power goes into a fake
// HA as a kW sensor (sent only when it changes, as HA does), ha-state → zero-export → sessy-battery
// drives the virtual home's Sessy, and the grid settles at 0 W, also after a load step.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const helper = require('node-red-node-test-helper');
const { startMosquitto, skipWithoutMosquitto } = require('./ha-mosquitto');
const { FakeHa } = require('./ha-fake-server');
const { checkDevice } = require('../unit/ha-rules');
const { waitFor, nextMessage, collect, catcher, catchNode } = require('../helpers');

const root = path.join(__dirname, '../..');
const dist = path.join(root, 'dist');
const load = (f) => JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8'));
const types = ['ha-mqtt', 'ha-entities', 'ha-server', 'ha-state', 'ev-charging', 'zero-export', 'sessy-dongle', 'sessy-battery'].map((t) => require(path.join(dist, 'nodes', t, `${t}.js`)));
const core = ['common/20-inject.js', 'common/90-comment.js', 'common/25-catch.js', 'common/21-debug.js', 'common/60-link.js', 'function/10-switch.js', 'function/rbe.js'].map((f) => require(`@node-red/nodes/core/${f}`));
helper.init(require.resolve('node-red'));

describe('Home Assistant example flows', { skip: skipWithoutMosquitto }, () => {
  let broker;
  let ha;
  before(async () => {
    broker = await startMosquitto();
    ha = new FakeHa({ token: 'tok' });
    await ha.start();
    ha.set('sensor.power_consumption', '-2.4', { unit_of_measurement: 'kW' });
    ha.set('sensor.battery_state_of_charge', '55', { unit_of_measurement: '%' });
    await new Promise((r) => helper.startServer(r));
  });
  after(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    await ha.stop();
    await broker.stop();
  });
  afterEach(() => helper.unload());

  it('20 - Home Assistant devices: the battery and the meter become HA devices', async () => {
    const flow = load('20 - Home Assistant devices.json').map((n) => (n.type === 'ha-mqtt' ? { ...n, broker: broker.url } : n));
    const seen = new Map();
    const c = mqtt.connect(broker.url, { reconnectPeriod: 0 });
    c.on('message', (t, p) => seen.set(t, p.toString()));
    await new Promise((r) => c.once('connect', r));
    await c.subscribeAsync('homeassistant/device/+/config');
    try {
      await helper.load([...types, ...core], flow);
      await waitFor(() => seen.size === 2, 15_000, 'two device configs');
      for (const [t, text] of seen) assert.deepEqual(checkDevice(t, JSON.parse(text)), [], t);
      assert.ok(seen.has('homeassistant/device/he_sessy_DEMO0001/config'));
      assert.ok(seen.has('homeassistant/device/he_p1_DEMO-METER/config'));
      // A setpoint from HA reaches the debug node meant for the battery.
      const got = nextMessage(helper.getNode('he20debug0000001'), 10_000, 'the setpoint at the debug node');
      await c.publishAsync('home-energy/he_sessy_DEMO0001/setpoint/set', '-1200');
      const m = await got;
      assert.deepEqual(m.payload, { kind: 'battery-setpoint', power: -1200, serial: 'DEMO0001', reason: 'home-assistant' });
    } finally {
      await c.endAsync(true);
    }
  });

  it('21 - Home Assistant sensors drive EV charging: HA kW → topic grid W into ev-charging', async () => {
    const flow = load('21 - Home Assistant sensors drive EV charging.json').map((n) => (n.type === 'ha-server' ? { ...n, url: ha.url } : n));
    flow.push({ id: 'spy', type: 'helper', z: 'he21tab000000001' });
    const st = flow.find((n) => n.id === 'he21hastate00001');
    st.wires = [[...st.wires[0], 'spy']];
    await helper.load([...types, ...core], flow, { he21server000001: { token: 'tok' } });
    const m = await nextMessage(helper.getNode('spy'), 10_000, 'grid power from HA');
    assert.deepEqual([m.topic, m.payload], ['grid', -2400]);
    const ev = helper.getNode('he21evcharging01');
    assert.ok(ev, 'ev-charging loaded');
    const statuses = [];
    const orig = ev.status.bind(ev);
    ev.status = (s) => (statuses.push(s), orig(s));
    await waitFor(() => statuses.some((s) => s.text && s.text.startsWith('solar-pure')), 10_000, 'ev-charging running on the HA input');
  });
});

describe('22 - Home Assistant sensor drives zero export (fake HA, virtual home)', () => {
  const { VirtualHome } = require(path.join(dist, 'lib/sim/home'));
  const ENTITY = 'sensor.grid_power';
  const BAND_W = 50;
  let ha;
  let home;
  let bridge;
  let loadW = 900;
  before(async () => {
    ha = new FakeHa({ token: 'tok' });
    await ha.start();
    await new Promise((r) => helper.startServer(r));
  });
  after(async () => {
    clearInterval(bridge);
    await helper.unload();
    await home?.stop();
    await new Promise((r) => helper.stopServer(r));
    await ha.stop();
  });

  it('HA grid sensor (kW) → ha-state → zero-export → the Sessy compensates the load; grid 0 ± 50 W, also after a step', { timeout: 120_000 }, async (t) => {
    home = new VirtualHome();
    // ±2 % load noise: a real meter's value changes nearly every reading, so HA sends a state each
    // second (zero export computes on each new grid value; a sensor stuck at one value sends none).
    const ep = await home.start({ loadFile: () => loadW, pvFile: null, household: { noise: { seed: 7, loadRel: 0.02 } }, sessyBatteries: [{ socPct: 60 }] });
    // The unit obeys only API setpoints (not its own net-zero strategy): whatever zeroes the grid is this flow.
    home.sessyBatteries[0].strategy = 'POWER_STRATEGY_API';
    const unit = ep.sessyBatteries[0];
    // HA's integration of the household meter: the net grid power in kW, a new state only when it changes.
    const sent = [];
    const publish = () => {
      const text = (Math.round(home.household.gridW()) / 1000).toFixed(3);
      if (sent.at(-1) === text) return;
      sent.push(text);
      ha.set(ENTITY, text, { unit_of_measurement: 'kW', device_class: 'power' });
    };
    publish();
    bridge = setInterval(publish, 1000);

    const flow = load('22 - Home Assistant sensor drives zero export.json').map((n) => {
      if (n.type === 'ha-server') return { ...n, url: ha.url };
      if (n.type === 'sessy-dongle') return { ...n, host: unit.url.replace(/^http:\/\//, ''), pollInterval: 1 };
      return n;
    });
    const ze = flow.find((n) => n.type === 'zero-export');
    const st = flow.find((n) => n.type === 'ha-state');
    assert.equal(st.entity, ENTITY, 'the example follows sensor.grid_power');
    assert.equal(ze.meterTimeoutS, 30, 'a quiet HA sensor is not a stale meter');
    // Spies beside the shipped wiring: the grid values from HA, and zero export's battery commands.
    flow.push({ id: 'spygrid', type: 'helper', z: st.z }, { id: 'spycmd', type: 'helper', z: ze.z }, ...catcher().map((n) => ({ ...n, z: ze.z })));
    st.wires = [[...st.wires[0], 'spygrid']];
    ze.wires = [[...ze.wires[0], 'spycmd'], ze.wires[1]];
    await helper.load([...types, ...core, catchNode], flow, { he22server000001: { token: 'tok' }, he22dongle000001: { user: unit.serial, password: unit.password } });
    const grid = collect(helper.getNode('spygrid'));
    const cmds = collect(helper.getNode('spycmd'));
    const caught = collect(helper.getNode('caught'));

    const first = await nextMessage(helper.getNode('spygrid'), 10_000, 'the grid power from HA');
    assert.deepEqual([first.topic, first.entity_id, first.unit], ['grid', ENTITY, 'W']);
    assert.equal(first.payload, Number(sent[0]) * 1000, 'HA kW → topic grid in W');
    assert.ok(Math.abs(first.payload - 900) <= 30, `the load before the battery moves (${first.payload} W)`);
    const settled = async (what, want) => {
      let held = 0;
      await waitFor(
        () => {
          const g = home.household.gridW();
          held = Math.abs(g) <= BAND_W ? held + 1 : 0;
          return held >= 30; // 30 checks × 200 ms = 6 s inside the band
        },
        60_000,
        `${what}: grid within ±${BAND_W} W for 6 s (HA sent ${JSON.stringify(sent.slice(-8))} kW; setpoints ${JSON.stringify(cmds.slice(-5).map((m) => m.payload.power))}; zero export ${JSON.stringify(helper.getNode(ze.id).zeroExport()?.reasons)}; errors ${JSON.stringify(caught.map((m) => m.error.message))})`,
        200,
      );
      const sp = cmds.at(-1).payload;
      assert.equal(sp.kind, 'battery-setpoint');
      assert.ok(Math.abs(sp.power - want) <= 60, `${what}: setpoint ≈ ${want} W discharge (${sp.power} W)`);
      assert.ok(Math.abs(home.sessyBatteries[0].setpoint() - want) <= 60, `${what}: the Sessy's own power_setpoint ≈ ${want} W (${home.sessyBatteries[0].setpoint()} W)`);
    };
    await settled('first settle', 900);
    t.diagnostic(`HA sent ${sent.length} states; zero export ${cmds.length} setpoints`);
    assert.ok(grid.every((m) => m.topic === 'grid' && Number.isFinite(m.payload)));
    assert.ok(sent.length >= 3 && grid.length >= 3, 'the loop ran through HA');
    assert.equal(helper.getNode(ze.id).zeroExport().mode, 'active');

    loadW = 1500;
    await settled('after a +600 W step', 1500);
    assert.deepEqual(caught.map((m) => m.error.message), []);
  });
});
