'use strict';
// The Home Assistant example flows, loaded as shipped into Node-RED (only the broker and HA
// addresses pointed at loopback): example 20 announces its battery and meter to a real broker and
// passes HA's rules; example 21 turns HA's grid power sensor (kW) into ev-charging's grid input.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const helper = require('node-red-node-test-helper');
const { startMosquitto, skipWithoutMosquitto } = require('./ha-mosquitto');
const { FakeHa } = require('./ha-fake-server');
const { checkDevice } = require('../unit/ha-rules');
const { waitFor, nextMessage } = require('../helpers');

const root = path.join(__dirname, '../..');
const dist = path.join(root, 'dist');
const load = (f) => JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8'));
const types = ['ha-mqtt', 'ha-entities', 'ha-server', 'ha-state', 'ev-charging'].map((t) => require(path.join(dist, 'nodes', t, `${t}.js`)));
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
