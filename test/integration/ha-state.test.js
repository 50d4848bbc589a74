'use strict';
// ha-server + ha-state in a real Node-RED runtime against a fake Home Assistant websocket server
// on loopback: the auth handshake with the token from the credentials, subscribe_entities for the
// node's entity, kW → W with the sign chosen, unavailable states held back, stale status, a
// refused token, and a reconnect after HA drops the connection (resubscribed, changes flow again).
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { FakeHa } = require('./ha-fake-server');
const { nextMessage, statusSpy, waitFor, waitForStatus } = require('../helpers');

const dist = path.join(__dirname, '../../dist');
const haServerNode = require(path.join(dist, 'nodes/ha-server/ha-server.js'));
const haStateNode = require(path.join(dist, 'nodes/ha-state/ha-state.js'));
helper.init(require.resolve('node-red'));

describe('ha-state against a fake Home Assistant', () => {
  let ha;
  before(async () => {
    ha = new FakeHa({ token: 'long-lived-token' });
    await ha.start();
    ha.set('sensor.grid_power', '1.25', { unit_of_measurement: 'kW', device_class: 'power' });
    ha.set('sensor.battery_soc', '64', { unit_of_measurement: '%' });
    await new Promise((r) => helper.startServer(r));
  });
  after(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    await ha.stop();
  });
  afterEach(() => helper.unload());

  const flow = (state, token = 'long-lived-token') => ({
    nodes: [
      { id: 'srv', type: 'ha-server', url: ha.url },
      { id: 'st', type: 'ha-state', server: 'srv', entity: 'sensor.grid_power', as: 'grid', sign: 1, staleAfter: 0, wires: [['out']], ...state },
      { id: 'out', type: 'helper' },
    ],
    creds: { srv: { token } },
  });

  it('authenticates with the token, sends the current state at once (kW → W, topic grid), then every change', async () => {
    const okBefore = ha.auths.ok;
    const f = flow();
    await helper.load([haServerNode, haStateNode], f.nodes, f.creds);
    const out = helper.getNode('out');
    const first = await nextMessage(out, 5000, 'the current state');
    assert.deepEqual([first.topic, first.payload, first.unit, first.entity_id], ['grid', 1250, 'W', 'sensor.grid_power']);
    assert.equal(ha.auths.ok, okBefore + 1);
    const next = nextMessage(out, 5000, 'a change');
    ha.set('sensor.grid_power', '-0.48');
    const m = await next;
    assert.equal(m.payload, -480);
    assert.equal(typeof m.timestamp, 'number');
    ha.set('sensor.grid_power', '1.25');
  });

  it('inverted sign, W sensors, state of charge; unavailable is held back and shown', async () => {
    const f = flow({ sign: -1 });
    await helper.load([haServerNode, haStateNode], f.nodes, f.creds);
    const out = helper.getNode('out');
    const status = statusSpy(helper.getNode('st'));
    assert.equal((await nextMessage(out, 5000)).payload, -1250, '+ export sensor: 1.25 kW export = −1250 W');
    ha.set('sensor.grid_power', 'unavailable');
    await waitForStatus(status, { fill: 'yellow', text: /unavailable/ }, 5000);
    const next = nextMessage(out, 5000);
    ha.set('sensor.grid_power', '300', { unit_of_measurement: 'W' });
    assert.equal((await next).payload, -300, 'the first message after unavailable is the new value');
    ha.set('sensor.grid_power', '1.25', { unit_of_measurement: 'kW', device_class: 'power' });
    await helper.unload();
    const g = flow({ entity: 'sensor.battery_soc', as: 'soc' });
    await helper.load([haServerNode, haStateNode], g.nodes, g.creds);
    const soc = await nextMessage(helper.getNode('out'), 5000);
    assert.deepEqual([soc.topic, soc.payload, soc.unit], ['soc', 64, '%']);
  });

  it('a state that does not fit is not sent: a SoC entity read as grid power (no power unit)', async () => {
    const f = flow({ entity: 'sensor.battery_soc', as: 'grid' });
    await helper.load([haServerNode, haStateNode], f.nodes, f.creds);
    const st = helper.getNode('st');
    const status = statusSpy(st);
    const warned = [];
    st.warn = (w) => warned.push(String(w));
    await waitForStatus(status, { fill: 'yellow', text: 'state not usable' }, 5000);
    assert.match(warned[0], /unit "%" is not a power unit/);
  });

  it('marks the value stale when HA sends nothing for the time set', async () => {
    const f = flow({ staleAfter: 1 });
    await helper.load([haServerNode, haStateNode], f.nodes, f.creds);
    const status = statusSpy(helper.getNode('st'));
    await waitForStatus(status, { fill: 'green', text: '+1250 W' }, 5000);
    await waitForStatus(status, { fill: 'yellow', text: /^stale .* \+1250 W$/ }, 5000);
  });

  it('a refused token shows in the status and is not retried', async () => {
    const invalidBefore = ha.auths.invalid;
    const f = flow({}, 'wrong');
    await helper.load([haServerNode, haStateNode], f.nodes, f.creds);
    const status = statusSpy(helper.getNode('st'));
    await waitForStatus(status, { fill: 'red', text: 'token refused' }, 5000);
    assert.equal(ha.auths.invalid, invalidBefore + 1);
  });

  it("the editor's entity picker lists HA's entities with name and unit", async () => {
    const f = flow();
    await helper.load([haServerNode, haStateNode], f.nodes, f.creds);
    const res = await helper.request().get('/home-energy/ha-server/srv/entities').expect(200);
    assert.deepEqual(res.body, [
      { id: 'sensor.battery_soc', unit: '%' },
      { id: 'sensor.grid_power', unit: 'kW' },
    ]);
    await helper.request().get('/home-energy/ha-server/nope/entities').expect(404);
  });

  it('resubscribes after HA drops the connection and sends the changes again', async () => {
    const f = flow();
    await helper.load([haServerNode, haStateNode], f.nodes, f.creds);
    const out = helper.getNode('out');
    await nextMessage(out, 5000);
    const subs = ha.subscribeCount;
    const auths = ha.auths.ok;
    ha.dropAll();
    await waitFor(() => ha.subscribeCount > subs && ha.subs.length === 1, 10_000, 'resubscribed');
    assert.equal(ha.auths.ok, auths + 1, 'authenticated again');
    const next = nextMessage(out, (m) => m.payload === 2000, 5000, 'the change after the reconnect');
    ha.set('sensor.grid_power', '2');
    await next;
    ha.set('sensor.grid_power', '1.25');
  });
});
