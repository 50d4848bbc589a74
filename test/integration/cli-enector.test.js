'use strict';
// `home-energy enector read | charge | stop` against the ENECTOR simulator behind an RTU-over-TCP
// gateway: the reading's keys, a charge session that takes control and lets go, stop writing
// release 0, and clear failures with exit codes 1 (device) and 2 (usage).
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { EnectorSim } = require(path.join(__dirname, '../../dist/lib/sim/enector-sim'));
const { runCli, jsonLines } = require('../helpers');

describe('home-energy enector', () => {
  let sim;
  let tcp;
  before(async () => {
    sim = new EnectorSim({ car: { rampAps: 100 }, tickMs: 100 });
    sim.car.plugIn();
    const g = await sim.startGateway();
    tcp = `127.0.0.1:${g.port}`;
  });
  after(() => sim.stop());

  it('read prints one JSON reading with state, power, currents, phases, sessionWh and serial', async () => {
    const r = await runCli(['enector', 'read', '--tcp', tcp]);
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    for (const k of ['state', 'power', 'currents', 'phases', 'sessionWh', 'serial']) assert.ok(k in o, k);
    assert.equal(o.serial, '1234567890ABCDEF');
    assert.deepEqual(o.currents, [0, 0, 0]);
  });

  it('charge takes control (heartbeat, current, release) for --for S, then lets go; stop writes release 0', async () => {
    const hb = sim.heartbeats.length;
    const r = await runCli(['enector', 'charge', '--current', '8', '--for', '3', '--tcp', tcp]);
    assert.equal(r.status, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    assert.match(lines[0].command, /^charge 8 A for 3 s/);
    assert.ok(sim.heartbeats.length > hb, 'heartbeats sent');
    assert.ok(sim.log.some((l) => l.address === 0x0302 && l.accepted) && sim.log.some((l) => l.address === 0x0d05 && l.values[0] === 1));
    assert.match(lines.at(-1).command, /heartbeat stopped/);
    const s = await runCli(['enector', 'stop', '--tcp', tcp]);
    assert.equal(s.status, 0, s.stderr);
    assert.equal(sim.state.release, 0);
  });

  it('failures: a dead gateway exits 1 naming the endpoint; a bad option exits 2 with the usage', async () => {
    const dead = await runCli(['enector', 'read', '--tcp', '127.0.0.1:1', '--timeout', '2']);
    assert.equal(dead.status, 1);
    assert.match(dead.stderr, /127\.0\.0\.1:1/);
    const bad = await runCli(['enector', 'charge', '--current', '3', '--for', '5', '--tcp', tcp]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--current needs a number of amperes 6–32/);
    assert.match(bad.stderr, /usage: home-energy enector charge/);
  });
});
