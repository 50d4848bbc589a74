'use strict';
// `home-energy ksem read` as a user runs it (a child process) against the KSEM simulator over Modbus
// TCP and TLS, and `home-energy sim --ksem-port` as the meter.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { KsemSimMeter, KsemSimServer } = require('../../dist/lib/sim/ksem-sim');
const { Household } = require('../../dist/lib/sim/household');
const { VirtualClock } = require('../../dist/lib/util/clock');
const { runCli: run, startCli, jsonLines: lines, freePort } = require('../helpers');

describe('home-energy ksem read', () => {
  let sim;
  before(async () => {
    const clock = new VirtualClock(Date.UTC(2024, 5, 3, 12));
    sim = new KsemSimServer({ meter: new KsemSimMeter({ household: new Household({ clock, load: 800, pv: 3000 }), clock }), port: 0, tlsPort: 0 });
    await sim.start();
  });
  after(() => sim.stop());

  it('prints one JSON object with power, phases, frequency, energy and serial', async () => {
    const r = await run(['ksem', 'read', '--host', '127.0.0.1', '--port', String(sim.endpoints.port)]);
    assert.equal(r.status, 0, r.stderr);
    const out = lines(r.stdout);
    assert.equal(out.length, 1);
    const o = out[0];
    assert.equal(o.power, -2200);
    assert.equal(o.exportPower, 2200);
    assert.equal(o.phases.length, 3);
    for (const p of o.phases) for (const k of ['voltage', 'current', 'power']) assert.equal(typeof p[k], 'number', k);
    assert.equal(o.phases[0].power, 800 * 0.4 - 1000);
    assert.equal(o.frequency, 50);
    assert.deepEqual(Object.keys(o.energy).slice(0, 2), ['importWh', 'exportWh']);
    assert.equal(o.energy.importWh, 4321000);
    assert.equal(o.energy.phases.length, 3, 'a single read includes the per-phase energies');
    assert.equal(o.serial, '74012345');
    assert.equal(o.kind, 'meter');
    assert.equal(o.layout, 'native');
  });

  it('--layout sunspec reads model 203 (10 W resolution)', async () => {
    const r = await run(['ksem', 'read', '--host', '127.0.0.1', '--port', String(sim.endpoints.port), '--layout', 'sunspec']);
    assert.equal(r.status, 0, r.stderr);
    const [o] = lines(r.stdout);
    assert.equal(o.layout, 'sunspec');
    assert.equal(o.power, -2200);
    assert.match(o.protocol, /^SunSpec 203, firmware 2\.6\.2$/);
  });

  it('over TLS with a pinned fingerprint or --insecure; refuses an unpinned self-signed certificate', async () => {
    const base = ['ksem', 'read', '--host', '127.0.0.1', '--tls', '--port', String(sim.endpoints.tlsPort)];
    const pinned = await run([...base, '--fingerprint', sim.endpoints.fingerprint256]);
    assert.equal(pinned.status, 0, pinned.stderr);
    assert.equal(lines(pinned.stdout)[0].power, -2200);
    const insecure = await run([...base, '--insecure']);
    assert.equal(insecure.status, 0, insecure.stderr);
    const refused = await run(base);
    assert.equal(refused.status, 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /certificate/i);
    // The hint names the CLI's options, not the editor's link settings.
    assert.match(refused.stderr, new RegExp(`pin it with --fingerprint ${sim.endpoints.fingerprint256.toUpperCase()} or --ca FILE .*or use --insecure`));
    assert.doesNotMatch(refused.stderr, /link settings|accept self-signed/);
  });

  it('--watch --count 3 prints three readings', async () => {
    const r = await run(['ksem', 'read', '--host', '127.0.0.1', '--port', String(sim.endpoints.port), '--watch', '--count', '3', '--interval', '0.2']);
    assert.equal(r.status, 0, r.stderr);
    const out = lines(r.stdout);
    assert.equal(out.length, 3);
    assert.ok(out.every((o) => o.power === -2200));
    assert.ok(out[2].timestamp - out[0].timestamp >= 300);
  });

  it('exit 1 with the registers named when the meter does not answer; exit 2 for usage errors', async () => {
    const free = await freePort();
    const dead = await run(['ksem', 'read', '--host', '127.0.0.1', '--port', String(free), '--timeout', '1']);
    assert.equal(dead.status, 1);
    assert.match(dead.stderr, /KSEM registers 40000–40124: .*(ECONNREFUSED|not connected)/);
    const noHost = await run(['ksem', 'read']);
    assert.equal(noHost.status, 2);
    assert.match(noHost.stderr, /ksem read needs --host/);
    const badTls = await run(['ksem', 'read', '--host', 'x', '--insecure']);
    assert.equal(badTls.status, 2);
    assert.match(badTls.stderr, /need --tls/);
    const badLayout = await run(['ksem', 'read', '--host', 'x', '--layout', 'fw3']);
    assert.equal(badLayout.status, 2);
  });
});

it('home-energy sim --ksem-port serves a KSEM that ksem read reads', async () => {
  const { first, stop } = await startCli(['sim', '--ksem-port', '0', '--ksem-tls-port', '0', '--ksem-layout', 'fw2.5', '--pv', 'none', '--json']);
  try {
    assert.equal(first.ksem.layout, 'fw2.5');
    assert.ok(first.ksem.tlsPort > 0);
    const r = await run(['ksem', 'read', '--host', first.ksem.host, '--port', String(first.ksem.port), '--raw']);
    assert.equal(r.status, 0, r.stderr);
    const [o] = lines(r.stdout);
    assert.ok(o.power > 0, 'no PV: the house imports');
    assert.equal(o.raw.sunspec.models[1].address, 40069);
    assert.match(o.protocol, /firmware 2\.5\.1/);
  } finally {
    await stop();
  }
});
