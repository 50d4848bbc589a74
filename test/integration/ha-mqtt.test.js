'use strict';
// ha-mqtt + ha-entities in a real Node-RED runtime against a real MQTT broker (mosquitto on
// loopback): retained device-based discovery configs that pass HA's rules, states on the state
// topic, the bridge's availability and its last will when the client dies, republish on HA's
// birth message, a command round trip for every command entity (and invalid values dropped), and
// entities removed only when the node is deleted, never on redeploy.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const mqtt = require('mqtt');
const helper = require('node-red-node-test-helper');
const { startMosquitto, skipWithoutMosquitto } = require('./ha-mosquitto');
const { checkDevice, checkState } = require('../unit/ha-rules');
const { ALL } = require('../unit/ha-fixtures');
const { waitFor, nextMessage, collect } = require('../helpers');

const dist = path.join(__dirname, '../../dist');
const haMqttNode = require(path.join(dist, 'nodes/ha-mqtt/ha-mqtt.js'));
const haEntitiesNode = require(path.join(dist, 'nodes/ha-entities/ha-entities.js'));
helper.init(require.resolve('node-red'));

/** An MQTT client that records everything on `topics` (topic, text, retain flag). */
async function observer(url, topics) {
  const c = mqtt.connect(url, { reconnectPeriod: 0, clientId: `observer-${Math.random().toString(16).slice(2)}` });
  await new Promise((resolve, reject) => (c.once('connect', resolve), c.once('error', reject)));
  const msgs = [];
  c.on('message', (topic, payload, packet) => msgs.push({ topic, text: payload.toString('utf8'), retain: packet.retain }));
  await c.subscribeAsync(topics, { qos: 1 });
  const last = (topic) => [...msgs].reverse().find((m) => m.topic === topic);
  return { c, msgs, last, end: () => c.endAsync(true) };
}

/** A valid value for a command entity, as HA would publish it. */
function validValue(c) {
  if (c.p === 'number') return String(c.min < 0 ? 0 : Math.round((c.min + c.max) / 2 / (c.step || 1)) * (c.step || 1));
  if (c.p === 'select') return c.options[c.options.length - 1];
  if (c.p === 'switch') return 'OFF';
  return 'PRESS';
}

/** What each command entity must produce (msg.topic, payload kind or value). */
const EXPECT = {
  setpoint: (m) => m.topic === 'setpoint' && m.payload.kind === 'battery-setpoint' && m.payload.power === 0,
  release: (m) => m.payload.kind === 'battery-release',
  strategy_select: (m) => m.payload.kind === 'battery-strategy' && m.payload.strategy === 'POWER_STRATEGY_ECO',
  mode_select: (m) => m.payload.kind === 'battery-mode' && m.payload.mode === 'auto',
  current_set: (m) => m.payload.kind === 'charger-setpoint' && m.payload.currentA === 8 && m.payload.enabled === true,
  mode: (m) => m.payload.kind === 'mode' && m.payload.mode === 'time',
  enable: (m) => m.topic === 'enable' && m.payload === false,
  target: (m) => m.topic === 'target' && m.payload === 0,
  desired_peak: (m) => m.topic === 'desired-peak' && m.payload === 50000,
  phase_usage: (m) => m.topic === 'phases' && m.payload === 'automatic',
  // the last option: zero export's "charge", peak shaving's "off"
  battery_mode: (m) => m.topic === 'mode' && m.payload.kind === 'mode' && m.payload.mode === (m.device.startsWith('he_zero_export') ? 'charge' : 'off'),
};

describe('ha-entities against a real MQTT broker', { skip: skipWithoutMosquitto }, () => {
  let broker;
  let ha;
  before(async () => {
    broker = await startMosquitto();
    await new Promise((r) => helper.startServer(r));
    ha = await observer(broker.url, ['homeassistant/#', 'home-energy/#']);
  });
  after(async () => {
    await ha?.end();
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    await broker?.stop();
  });

  const flow = (extra = {}) => [
    { id: 'broker', type: 'ha-mqtt', broker: broker.url, prefix: 'homeassistant', baseTopic: 'home-energy' },
    { id: 'ha', type: 'ha-entities', server: 'broker', interval: 0, offlineAfter: 0, wires: [['out']], ...extra },
    { id: 'out', type: 'helper' },
  ];
  const feed = () => {
    const n = helper.getNode('ha');
    for (const [name, payload] of Object.entries(ALL)) n.receive({ topic: name, payload });
  };
  const configTopics = () => [...new Set(ha.msgs.filter((m) => /^homeassistant\/device\/[^/]+\/config$/.test(m.topic)).map((m) => m.topic))];

  it('publishes one retained device config per device that passes HA rules, the state, and the bridge availability', async () => {
    await helper.load([haMqttNode, haEntitiesNode], flow());
    await waitFor(() => ha.last('home-energy/status')?.text === 'online', 10_000, 'bridge online');
    feed();
    const n = Object.keys(ALL).length;
    await waitFor(() => configTopics().length === n, 10_000, `${n} device configs`);
    for (const t of configTopics()) {
      const cfg = JSON.parse(ha.last(t).text);
      assert.deepEqual(checkDevice(t, cfg), [], t);
      const id = cfg.dev.ids[0];
      await waitFor(() => ha.last(`home-energy/${id}/state`), 5000, `state of ${id}`);
      assert.deepEqual(checkState(cfg, JSON.parse(ha.last(`home-energy/${id}/state`).text)), [], `${id}: HA takes every state value`);
      assert.equal(ha.last(`home-energy/${id}/availability`)?.text, 'online');
    }
    const battery = JSON.parse(ha.last('home-energy/he_sessy_AB12-CD34/state').text);
    assert.equal(battery.soc, 63.5);
    assert.equal(battery.power, -800);
    // The two controller settings HA can change: desired peak (W) and phase usage.
    const cfgWith = (key) => configTopics().map((t) => JSON.parse(ha.last(t).text)).find((c) => c.cmps[key]);
    const peakCfg = cfgWith('desired_peak');
    assert.equal(peakCfg.dev.ids[0], 'he_peak_shaving_peak', 'on the peak-shaving device');
    assert.deepEqual([peakCfg.cmps.desired_peak.p, peakCfg.cmps.desired_peak.min, peakCfg.cmps.desired_peak.max, peakCfg.cmps.desired_peak.unit_of_measurement], ['number', 0, 100000, 'W']);
    assert.equal(JSON.parse(ha.last('home-energy/he_peak_shaving_peak/state').text).desired_peak, 2500);
    const evCfg = cfgWith('phase_usage');
    assert.equal(evCfg.dev.ids[0], 'he_ev_charging_ev', 'on the ev-charging device');
    assert.deepEqual([evCfg.cmps.phase_usage.p, evCfg.cmps.phase_usage.options], ['select', ['standard', 'single', 'automatic']]);
    assert.equal(JSON.parse(ha.last('home-energy/he_ev_charging_ev/state').text).phase_usage, 'automatic');
    // Retained: a client that subscribes now gets them.
    const late = await observer(broker.url, ['homeassistant/device/+/config', 'home-energy/status']);
    await waitFor(() => late.msgs.length === n + 1, 5000, 'retained configs for a late subscriber');
    assert.ok(late.msgs.every((m) => m.retain));
    await late.end();
  });

  it('republishes every config when HA sends its birth message', async () => {
    const before = ha.msgs.length;
    await ha.c.publishAsync('homeassistant/status', 'online');
    await waitFor(() => new Set(ha.msgs.slice(before).filter((m) => m.topic.endsWith('/config')).map((m) => m.topic)).size === Object.keys(ALL).length, 5000, 'configs again');
  });

  it('a command from HA on every command entity comes out as the matching message; invalid values are dropped', async () => {
    const out = helper.getNode('out');
    const got = collect(out);
    const commands = [];
    for (const t of configTopics()) for (const [key, c] of Object.entries(JSON.parse(ha.last(t).text).cmps)) if (c.command_topic) commands.push({ key, c });
    assert.ok(commands.length >= 13, `command entities: ${commands.length}`);
    for (const key of ['desired_peak', 'phase_usage']) assert.ok(commands.some((c) => c.key === key), `${key} is a command entity`);
    for (const { key, c } of commands) {
      // An invalid value first: it must not come out (the valid one after it is the next message).
      await ha.c.publishAsync(c.command_topic, c.p === 'button' ? 'NOPE' : 'not-a-value');
      if (c.p === 'number') await ha.c.publishAsync(c.command_topic, String(c.max + 1));
      await ha.c.publishAsync(c.command_topic, validValue(c));
      const m = await nextMessage(out, 5000, `command ${c.command_topic}`);
      assert.ok(EXPECT[key], `an expectation for ${key}`);
      assert.ok(EXPECT[key](m), `${key}: ${JSON.stringify({ topic: m.topic, payload: m.payload })}`);
      assert.equal(m.entity, key);
      assert.equal(c.command_topic, `home-energy/${m.device}/${key}/set`);
    }
    assert.equal(got.length, commands.length, 'exactly one message per valid command, none for the invalid ones');
    // A command for a device this node never announced: nothing.
    await ha.c.publishAsync('home-energy/he_unknown/setpoint/set', '100');
    await ha.c.publishAsync(commands[0].c.command_topic, validValue(commands[0].c));
    const m = await nextMessage(out, 5000);
    assert.equal(m.entity, commands[0].key);
  });

  it('a redeploy keeps the entities; deleting the node removes them (empty retained configs)', async () => {
    const mark = ha.msgs.length;
    await helper.setFlows(flow({ interval: 2 }), 'full');
    await waitFor(() => ha.msgs.slice(mark).some((m) => m.topic === 'home-energy/status' && m.text === 'online'), 10_000, 'online again after redeploy');
    feed();
    await waitFor(() => ha.msgs.slice(mark).filter((m) => m.topic.endsWith('/state')).length >= Object.keys(ALL).length, 10_000, 'states after redeploy');
    assert.deepEqual(ha.msgs.slice(mark).filter((m) => m.topic.endsWith('/config') && m.text === ''), [], 'no removal on redeploy');
    const mark2 = ha.msgs.length;
    await helper.setFlows(flow().filter((n) => n.id !== 'ha' && n.id !== 'out'), 'full');
    const n = Object.keys(ALL).length;
    await waitFor(() => ha.msgs.slice(mark2).filter((m) => m.topic.endsWith('/config') && m.text === '').length === n, 10_000, 'empty configs on delete');
    // Retained messages reach a new subscriber before anything published after its subscription.
    const late = await observer(broker.url, ['homeassistant/device/+/config', 'probe/ha']);
    await late.c.publishAsync('probe/ha', 'x');
    await waitFor(() => late.last('probe/ha'), 5000, 'probe');
    assert.deepEqual(late.msgs.map((m) => m.topic), ['probe/ha'], 'no retained config left');
    await late.end();
  });

  it('last will: the bridge topic goes offline when the client dies', async () => {
    const script = `
      const { acquireBridge } = require(${JSON.stringify(path.join(dist, 'lib/ha/mqtt.js'))});
      const { bridge } = acquireBridge({ url: ${JSON.stringify(broker.url)}, prefix: 'homeassistant', baseTopic: 'lwt-test', tlsTrust: 'verify' });
      bridge.on('connect', () => console.log('up'));
      setInterval(() => {}, 1000);`;
    const watch = await observer(broker.url, ['lwt-test/status']);
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await waitFor(() => watch.last('lwt-test/status')?.text === 'online', 10_000, 'online from the child');
      child.kill('SIGKILL');
      await waitFor(() => watch.last('lwt-test/status')?.text === 'offline', 10_000, 'last will offline');
      assert.equal(watch.last('lwt-test/status').retain, false, 'delivered live to a subscriber');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await watch.end();
    }
  });
});
