'use strict';
// ha-entities input errors in a Node-RED runtime (no broker needed: nothing valid is sent): a
// malformed device reading and an unknown kind end with done(err) naming the field; commands and
// constraints of this package pass without an error; a config without a broker is reported.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { catchNode, catcher, nextMessage, collect } = require('../helpers');
const { battery } = require('../unit/ha-fixtures');

const dist = path.join(__dirname, '../../dist');
const haMqttNode = require(path.join(dist, 'nodes/ha-mqtt/ha-mqtt.js'));
const haEntitiesNode = require(path.join(dist, 'nodes/ha-entities/ha-entities.js'));
helper.init(require.resolve('node-red'));

describe('ha-entities input', () => {
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(() => helper.unload());

  // Port 9 on loopback: nothing listens, the client keeps retrying quietly.
  const flow = () => [
    { id: 'b', type: 'ha-mqtt', broker: 'mqtt://127.0.0.1:9' },
    { id: 'ha', type: 'ha-entities', server: 'b', interval: 5, offlineAfter: 120, wires: [[]] },
    ...catcher(),
  ];

  it('a malformed reading and an unknown kind: errors naming the field; commands pass quietly', async () => {
    await helper.load([haMqttNode, haEntitiesNode, catchNode], flow());
    const ha = helper.getNode('ha');
    const caught = collect(helper.getNode('caught'));
    const next = () => nextMessage(helper.getNode('caught'), 5000);
    let e = next();
    ha.receive({ payload: { ...battery, soc: 'abc' } });
    assert.match((await e).error.message, /payload\.soc: must be number/);
    e = next();
    ha.receive({ payload: { kind: 'toaster' } });
    assert.match((await e).error.message, /payload\.kind must be one of meter, battery, charger/);
    e = next();
    ha.receive({ payload: 42 });
    assert.match((await e).error.message, /payload\.kind must be one of/);
    const before = caught.length;
    ha.receive({ payload: { kind: 'battery-setpoint', power: 100 } });
    ha.receive({ payload: { kind: 'grid-limit', maxImportW: 5000 } });
    // A valid reading is accepted too (queued for the broker): the next error is the one below.
    ha.receive({ payload: battery });
    e = next();
    ha.receive({ payload: { kind: 'nope' } });
    await e;
    assert.equal(caught.length, before + 1, 'no error for commands, constraints or a valid reading');
  });

  it('without a broker config: a red status and an error for each message', async () => {
    await helper.load([haMqttNode, haEntitiesNode, catchNode], [{ id: 'ha', type: 'ha-entities', server: 'missing', wires: [[]] }, ...catcher()]);
    const e = nextMessage(helper.getNode('caught'), 5000);
    helper.getNode('ha').receive({ payload: battery });
    assert.match((await e).error.message, /no ha-mqtt broker selected/);
  });
});
