'use strict';
// Issue 11 defect 3: setpoints must not pile up while the dongle hangs. Against the simulator on
// loopback with its `timeout` fault (requests accepted, never answered), 40 setpoints (each followed
// by a read, as the node does) arrive during the hang; after the dongle answers again the driver
// sends the latest setpoint, not a backlog. Counts requests on the wire, not time.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { SessyBatteryServer } = require('../../dist/lib/sim/sessy-server');
const { SessyClient } = require('../../dist/lib/devices/sessy/client');
const { SessyBattery } = require('../../dist/lib/devices/sessy/battery');
const { sleep, waitFor } = require('../helpers');

test('40 setpoints during a hang: coalesced to the latest, a bounded backlog after recovery', async () => {
  const server = new SessyBatteryServer({ startRunning: true, strategy: 'POWER_STRATEGY_API', latencyMs: 0 });
  const { url } = await server.start();
  const client = new SessyClient({ host: url, user: 'DSIM0001', password: 'SIMPASS1', timeoutMs: 150, readRetries: 2, readRetryDelayMs: 50 });
  const battery = new SessyBattery(client, { pollMs: 1000, keepAliveMs: 0 });
  battery.on('problem', () => undefined);
  battery.on('poll-error', () => undefined);
  try {
    battery.start();
    await waitFor(() => battery.lastReading, 3000, 'first reading');
    server.faults.timeout = true;
    const settled = [];
    const calls = [];
    for (let i = 1; i <= 40; i++) {
      const w = i * 10;
      const p = battery.setPower(w).then(
        (o) => settled.push({ w, o }),
        (e) => settled.push({ w, e }),
      );
      calls.push(p);
      battery.read().catch(() => undefined);
      await sleep(25);
    }
    await sleep(300);
    // While the dongle still hangs, every setpoint but the latest has been answered (superseded).
    const early = settled.length;
    server.faults.timeout = false;
    const recoveredAt = server.requests.length;
    await Promise.all(calls);
    await waitFor(() => server.setpoint() === 400, 5000, 'the latest setpoint on the dongle');
    await sleep(1500);
    const after = server.requests.slice(recoveredAt);
    const posts = after.filter((r) => r.method === 'POST' && r.path === '/api/v1/power/setpoint');
    const note = `${after.length} requests after recovery: ${after.map((r) => `${r.method} ${r.path.split('/').pop()}`).join(', ')}`;
    // Only the setpoints that reached the head of the queue during the hang (one per failed attempt
    // of ~0.6 s) and the latest wait for the dongle; every other one is answered at once.
    assert.ok(early >= 35, `setpoints answered during the hang: ${early}`);
    assert.equal(settled.length, 40);
    assert.deepEqual(posts.map((r) => r.body.setpoint).slice(-1), [400], note);
    assert.ok(posts.length <= 2, `setpoint posts after recovery: ${posts.length}; ${note}`);
    assert.ok(after.length <= 12, note);
    const { SUPERSEDED } = require('../../dist/lib/api/battery-setpoint');
    const superseded = settled.filter((s) => s.o && s.o.reason === SUPERSEDED).length;
    assert.ok(superseded >= 35, `superseded: ${superseded}`);
  } finally {
    await battery.close();
    await server.stop();
  }
});
