'use strict';
// `home-energy sofar …` as a user runs it: a child process against the Sofar simulator's RTU-over-TCP
// gateway (and its serial pty when socat is installed); JSON output and exit codes.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const { SofarSim } = require(path.join(dist, 'lib/sim/sofar-sim'));
const { Household } = require(path.join(dist, 'lib/sim/household'));
const { runCli: run, startCli, skipWithoutSocat } = require('../helpers');

/** The last line of the output, parsed. */
const json = (s) => JSON.parse(s.trim().split('\n').at(-1));

describe('home-energy sofar', () => {
  let sim;
  let tcp;
  before(async () => {
    sim = new SofarSim({ household: new Household({ load: 1000, pv: 400 }), plant: { rampWPerS: 20000 } });
    const gw = await sim.startGateway();
    tcp = `127.0.0.1:${gw.port}`;
  });
  after(() => sim.stop());

  it('read prints state, batteryPower, soc, gridPower', async () => {
    const r = await run(['sofar', 'read', '--tcp', tcp]);
    assert.equal(r.status, 0, r.stderr);
    const o = json(r.stdout);
    assert.equal(o.state, 'standby');
    assert.equal(o.stateText, 'wait');
    assert.equal(o.batteryPower, 0);
    assert.equal(o.soc, 50);
    assert.equal(o.gridPower, 600);
    assert.equal(o.pvPower, 400);
    assert.equal(o.serial, 'SA1ES130K12345');
    const full = json((await run(['sofar', 'read', '--tcp', tcp, '--unit', '1', '--full'])).stdout);
    assert.equal(full.kind, 'battery');
    assert.equal(full.source, 'sofar');
  });

  it('setpoint and mode command the inverter and print the reply status word', async () => {
    const r = await run(['sofar', 'setpoint', '-1500', '--tcp', tcp]);
    assert.equal(r.status, 0, r.stderr);
    const o = json(r.stdout);
    assert.deepEqual(
      { command: o.command, accepted: o.accepted, result: o.result, statusWord: o.statusWord, clamped: o.clamped },
      { command: 'charge 1500 W', accepted: true, result: 0, statusWord: '0x0300', clamped: false },
    );
    assert.deepEqual([sim.mode, sim.modeW], ['charge', 1500], 'set-and-forget: the CLI does not hand back to auto on exit');
    const d = json((await run(['sofar', 'setpoint', '9000', '--tcp', tcp])).stdout);
    assert.deepEqual([d.command, d.clamped], ['discharge 3000 W', true]);
    const m = await run(['sofar', 'mode', 'auto', '--tcp', tcp]);
    assert.equal(m.status, 0, m.stderr);
    assert.equal(json(m.stdout).command, 'auto');
    assert.equal(sim.mode, 'auto');
    const s = await run(['sofar', 'setpoint', '0', '--tcp', tcp]);
    assert.equal(json(s.stdout).command, 'standby');
    assert.equal(sim.mode, 'standby');
  });

  it('a rejected command exits 1 with the reason; no answer exits 1; bad usage exits 2', async () => {
    sim.workMode = 0;
    try {
      const r = await run(['sofar', 'setpoint', '500', '--tcp', tcp]);
      assert.equal(r.status, 1);
      assert.deepEqual(json(r.stdout), { accepted: false, result: 1, resultText: 'invalid mode (the inverter is not in passive mode: set Work Mode → Passive on its display)', statusWord: '0x0301' });
      assert.match(r.stderr, /inverter rejected discharge 500 W: invalid mode/);
    } finally {
      sim.workMode = 3;
    }
    const dead = await run(['sofar', 'read', '--tcp', tcp, '--unit', '9', '--timeout', '1']);
    assert.equal(dead.status, 1);
    assert.match(dead.stderr, /read failed/);
    for (const args of [['sofar', 'read'], ['sofar', 'read', '--tcp', tcp, '--serial', '/dev/x'], ['sofar', 'mode', 'boost', '--tcp', tcp], ['sofar', 'setpoint', 'abc', '--tcp', tcp], ['sofar', 'read', '--tcp', 'nohost'], ['sofar', 'explode']]) {
      const u = await run(args);
      assert.equal(u.status, 2, args.join(' ') + ': ' + u.stderr);
      assert.match(u.stderr, /^home-energy sofar( \w+)?: .*\nusage: home-energy sofar /);
    }
  });

  it('read over a serial pty', { skip: skipWithoutSocat }, async () => {
    const { path: p } = await sim.startPty();
    const r = await run(['sofar', 'read', '--serial', p, '--baud', '9600']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(json(r.stdout).soc, 50);
  });
});

describe('home-energy sim --sofar-port', () => {
  it('runs the virtual home with a Sofar gateway that `sofar read` can use', async () => {
    const { first: ep, stop } = await startCli(['sim', '--sofar-port', '0', '--pv', 'none', '--json'], 15000);
    try {
      assert.equal(ep.sofar.unit, 1);
      assert.ok(ep.sofar.gateway.port > 0);
      const r = await run(['sofar', 'read', '--tcp', `${ep.sofar.gateway.host}:${ep.sofar.gateway.port}`]);
      assert.equal(r.status, 0, r.stderr);
      const o = json(r.stdout);
      assert.equal(o.pvPower, 0);
      assert.ok(o.loadPower > 0, 'the recorded household load');
      assert.equal(o.gridPower, o.loadPower, 'no PV, battery in standby: the grid carries the load');
    } finally {
      await stop();
    }
  });
});
