'use strict';
// sessy-battery against the Sessy battery simulator over real HTTP: keep-alive re-sends seen in the
// simulator's request log, the start-up wait, overrides, and every injected fault ending in a clear
// status and recovering without a redeploy.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { SessyBatteryServer } = require('../../dist/lib/sim/sessy-server');

const dongleNode = require(path.join(__dirname, '../../dist/nodes/sessy-dongle/sessy-dongle.js'));
const batteryNode = require(path.join(__dirname, '../../dist/nodes/sessy-battery/sessy-battery.js'));
const { catchNode, catcher, nextMessage, statusSpy, waitFor, sleep } = require('../helpers');
helper.init(require.resolve('node-red'));

const CREDS = (ids) => Object.fromEntries(ids.map((id) => [id, { user: 'DSIM0001', password: 'SIMPASS1' }]));

function pair(n, url, battery = {}) {
  return [
    { id: `d${n}`, type: 'sessy-dongle', host: url, pollInterval: 1, timeout: 0.5 },
    { id: `b${n}`, type: 'sessy-battery', dongle: `d${n}`, wires: [[`out${n}`]], ...battery },
    { id: `out${n}`, type: 'helper' },
  ];
}

describe('sessy-battery against the simulator', () => {
  let servers = [];
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(async () => {
    await helper.unload();
    for (const s of servers) await s.stop();
    servers = [];
  });

  async function sim(opts) {
    const s = new SessyBatteryServer({ latencyMs: 100, startupMs: 300, ...opts });
    servers.push(s);
    await s.start();
    return s;
  }
  const setpoints = (s) => s.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/power/setpoint');

  it('keep-alive: the active setpoint is re-sent every period (server log); stops after handing back', async () => {
    const s = await sim({ strategy: 'POWER_STRATEGY_API', startupMs: 0 });
    await helper.load([dongleNode, batteryNode, catchNode], [...pair(1, s.url, { keepAlive: 1 }), ...catcher()], CREDS(['d1']));
    const b1 = helper.getNode('b1');
    const out = helper.getNode('out1');
    await nextMessage(out, (m) => m.payload.state === 'ready');
    const got = nextMessage(out, (m) => m.command);
    b1.receive({ topic: 'setpoint', payload: -800 });
    await got;
    await waitFor(() => setpoints(s).length >= 4, 6000, 'three keep-alive re-sends');
    const sp = setpoints(s);
    assert.deepEqual(sp.map((r) => r.body), sp.map(() => ({ setpoint: -800 })));
    for (let i = 1; i < sp.length; i++) assert.ok(sp[i].at - sp[i - 1].at >= 990, `re-send ${i} not before the 1 s period (${sp[i].at - sp[i - 1].at} ms)`);
    assert.equal(s.setpoint(), -800);
    const back = nextMessage(out, (m) => m.command);
    b1.receive({ topic: 'strategy', payload: 'nom' });
    await back;
    const n = setpoints(s).length;
    await sleep(2500);
    assert.equal(setpoints(s).length, n, 'no re-send after a non-API strategy');
    assert.equal(s.strategy, 'POWER_STRATEGY_NOM');
  });

  it('start-up wait: "starting" with a countdown, the setpoint sent again once the unit runs', async () => {
    const s = await sim({ strategy: 'POWER_STRATEGY_IDLE', startupMs: 2000 });
    await helper.load([dongleNode, batteryNode, catchNode], [...pair(1, s.url, { startupWait: 2 }), ...catcher()], CREDS(['d1']));
    const b1 = helper.getNode('b1');
    const out = helper.getNode('out1');
    const statuses = statusSpy(b1);
    assert.equal((await nextMessage(out)).payload.state, 'standby');
    const readings = [];
    out.on('input', (m) => readings.push({ at: Date.now(), r: m.payload }));
    const got = nextMessage(out, (m) => m.command);
    b1.receive({ payload: { kind: 'battery-setpoint', power: -1000 } });
    const first = await got;
    const switchedAt = s.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/power/active_strategy').at;
    assert.equal(first.payload.state, 'starting');
    assert.equal(first.payload.stateText, 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION');
    assert.equal(first.payload.startupRemainingS, 2);
    assert.equal(first.command.sent, -1000);
    assert.ok(statuses.some((st) => st.fill === 'yellow' && /· starting 2 s$/.test(st.text)), JSON.stringify(statuses.slice(-3)));
    const ready = await nextMessage(out, (m) => m.payload.state === 'ready' && m.payload.setpoint === -1000, 6000);
    const sp = setpoints(s);
    assert.equal(sp.length, 2, 'sent during the wait (dropped by the unit) and again once it ran');
    assert.ok(sp[1].at >= switchedAt + 2000, `re-sent after the 2 s wait (${sp[1].at - switchedAt} ms)`);
    assert.equal(ready.payload.setpointMismatch, false);
    const waits = readings.filter((x) => x.r.state === 'starting').map((x) => x.r.startupRemainingS);
    assert.ok(waits.length >= 2, `countdown readings: ${waits}`);
    for (let i = 1; i < waits.length; i++) assert.ok(waits[i] <= waits[i - 1], `countdown never goes up: ${waits}`);
    const firstReady = readings.find((x) => x.r.state === 'ready');
    assert.ok(firstReady.at - switchedAt >= 2000, 'not ready before the wait ended');
  });

  it('override: strategy_overridden → yellow status, setpoint kept but not sent; sent when it ends', async () => {
    const s = await sim({ strategy: 'POWER_STRATEGY_API', startupMs: 0 });
    await helper.load([dongleNode, batteryNode, catchNode], [...pair(1, s.url), ...catcher()], CREDS(['d1']));
    const b1 = helper.getNode('b1');
    const out = helper.getNode('out1');
    const statuses = statusSpy(b1);
    await nextMessage(out, (m) => m.payload.state === 'ready');
    s.strategyOverridden = true;
    await nextMessage(out, (m) => m.payload.state === 'override');
    const got = nextMessage(out, (m) => m.command);
    b1.receive({ topic: 'setpoint', payload: 600 });
    const msg = await got;
    assert.match(msg.command.reason, /someone else drives the unit/);
    assert.equal(msg.command.sent, null);
    assert.ok(statuses.some((st) => st.fill === 'yellow' && /· override$/.test(st.text)), JSON.stringify(statuses.slice(-3)));
    await sleep(1500);
    assert.equal(setpoints(s).length, 0, 'not fought');
    s.strategyOverridden = false;
    await waitFor(() => setpoints(s).length === 1, 4000, 'setpoint after the override');
    assert.deepEqual(setpoints(s)[0].body, { setpoint: 600 });
  });

  it('every fault ends in a clear red status and recovers by itself', async () => {
    const faults = [
      ['timeout', /^no reply/],
      ['http500', /^HTTP 500/],
      ['malformed', /^bad reply/],
      ['badEnvelope', /^device reports an error/],
      ['wrongCredentials', /^wrong user or password/],
      ['drop', /^no connection/],
    ];
    const flow = catcher();
    for (let i = 0; i < faults.length; i++) {
      const s = await sim({ strategy: 'POWER_STRATEGY_API', startupMs: 0 });
      flow.push(...pair(i, s.url));
    }
    await helper.load([dongleNode, batteryNode, catchNode], flow, CREDS(faults.map((_, i) => `d${i}`)));
    const spies = faults.map((_, i) => statusSpy(helper.getNode(`b${i}`)));
    const lastStatus = (i) => spies[i][spies[i].length - 1] || {};
    await waitFor(() => spies.every((_, i) => lastStatus(i).fill === 'green'), 6000, 'all green');
    faults.forEach(([f], i) => (servers[i].faults = { [f]: true }));
    const t0 = Date.now();
    await waitFor(() => faults.every(([, re], i) => lastStatus(i).fill === 'red' && lastStatus(i).shape === 'ring' && re.test(lastStatus(i).text)), 8000, 'a red status per fault').catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(faults.map((_, i) => lastStatus(i).text))}`);
    });
    const redAfter = Date.now() - t0;
    // A command during a fault fails with a clear error, and is not replayed.
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('b4').receive({ topic: 'setpoint', payload: 100 });
    assert.match((await caught).error.message, /authentication failed/);
    assert.equal(setpoints(servers[4]).length, 0);
    for (const s of servers) s.faults = {};
    await waitFor(() => spies.every((_, i) => lastStatus(i).fill === 'green' && lastStatus(i).shape === 'dot'), 10000, `recovery: ${JSON.stringify(faults.map((_, i) => lastStatus(i).text))}`);
    // Readings flow again on every node.
    await Promise.all(faults.map((_, i) => nextMessage(helper.getNode(`out${i}`), () => true, 4000)));
    assert.ok(redAfter < 8000);
  });
});
