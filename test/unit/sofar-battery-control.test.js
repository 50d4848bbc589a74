'use strict';
// The Sofar driver as a BatteryControl (lib/api/capabilities.ts): setPower's CommandOutcome,
// limits() reduced by state, release(), 'poll-error' with structured short/code, and recovery
// timing: a failed command is tried again within 5 s of the inverter answering again (issue 11).
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const sofar = require(path.join(dist, 'lib/devices/sofar'));
const { SofarSim } = require(path.join(dist, 'lib/sim/sofar-sim'));
const { Household } = require(path.join(dist, 'lib/sim/household'));
const { VirtualClock } = require(path.join(dist, 'lib/util/clock'));
const { ModbusError } = require(path.join(dist, 'lib/transport/modbus/errors'));
const { shortError } = require(path.join(dist, 'nodes/_shared/device-node'));
const { SimLink } = require('./sofar-sim-link');

/** A SimLink that can be cut: while `down`, every request times out. */
class CutLink extends SimLink {
  constructor(sim) {
    super(sim);
    this.down = false;
    this.calls = [];
  }
  request(fn) {
    if (this.down) return Promise.reject(new ModbusError('timeout', 'no reply from unit 1 within 1000 ms'));
    return super.request(fn);
  }
  custom(unit, fc, data) {
    this.calls.push({ t: this.sim.clock.now(), fc, down: this.down });
    return super.custom(unit, fc, data);
  }
}

const flush = () => new Promise((r) => setImmediate(r));

function setup(o = {}) {
  const clock = new VirtualClock(Date.UTC(2024, 5, 1, 12));
  const sim = new SofarSim({ clock, household: new Household({ clock, load: 800, pv: 0 }), plant: { socPct: o.soc ?? 50, rampWPerS: 20000 } });
  const link = new CutLink(sim);
  const inv = new sofar.SofarInverter({ link, clock, settings: { onClose: 'none', ...o.settings } });
  return { clock, sim, link, inv };
}

describe('Sofar BatteryControl', () => {
  it('setPower: the outcome says what went on the wire and why it was clamped', async () => {
    const { sim, inv } = setup();
    await inv.read();
    assert.deepEqual(await inv.setPower(-1500), { requested: -1500, sent: -1500, clamped: false });
    assert.deepEqual([sim.mode, sim.modeW], ['charge', 1500]);
    assert.deepEqual(await inv.setPower(4200), { requested: 4200, sent: 3000, clamped: true, reason: 'discharge limit 3000 W' });
    assert.deepEqual(await inv.setPower(0), { requested: 0, sent: 0, clamped: false });
    assert.equal(sim.mode, 'standby');
    await assert.rejects(inv.setPower(NaN), RangeError);
    const auto = setup({ settings: { zeroMeans: 'auto' } });
    assert.deepEqual(await auto.inv.setPower(0), { requested: 0, sent: 0, clamped: false, reason: "0 W: handed to the inverter's auto mode" });
    assert.equal(auto.sim.mode, 'auto');
    await sim.stop();
    await auto.sim.stop();
  });

  it('limits(): 0 towards a full battery; a charge request is clamped to nothing, discharge still works', async () => {
    const { sim, inv } = setup({ soc: 100 });
    const r = await inv.read();
    assert.equal(r.state, 'full');
    assert.deepEqual(inv.limits(), { maxChargeW: 0, maxDischargeW: 3000 });
    assert.deepEqual(r.limits, inv.limits());
    assert.deepEqual(await inv.setPower(-1000), { requested: -1000, sent: 0, clamped: true, reason: 'charge not possible now (full)' });
    assert.deepEqual((await inv.setPower(700)).sent, 700);
    await sim.stop();
  });

  it('release(): back to the On stop mode (auto unless standby)', async () => {
    const a = setup({ settings: { onClose: 'none' } });
    await a.inv.setPower(500);
    await a.inv.release();
    assert.equal(a.sim.mode, 'auto');
    const b = setup({ settings: { onClose: 'standby' } });
    await b.inv.setPower(500);
    await b.inv.release();
    assert.equal(b.sim.mode, 'standby');
    await a.sim.stop();
    await b.sim.stop();
  });

  it("'poll-error' carries short and code; the status text comes from them, not from the message", async () => {
    const { link, inv } = setup();
    const errors = [];
    inv.on('poll-error', (e) => errors.push(e));
    link.down = true;
    await assert.rejects(inv.read(), /read failed: no reply from unit 1/);
    assert.equal(errors.length, 1);
    // The link's own short text ('timeout', from ModbusError.short) is what the status shows.
    assert.deepEqual([errors[0].code, errors[0].short, errors[0].phase], ['timeout', 'timeout', 'poll']);
    assert.equal(shortError(errors[0]), 'timeout');
    link.down = false;
    const refused = setup();
    refused.sim.workMode = 0; // display says Auto, not Passive
    const e = await refused.inv.setPower(800).catch((x) => x);
    assert.deepEqual([e.code, e.short], ['rejected', 'wrong work mode']);
    assert.match(e.message, /inverter rejected discharge 800 W: invalid mode/);
  });

  it('a command that failed while the inverter was away is sent again within 5 s of it answering', async () => {
    const { clock, sim, link, inv } = setup({ settings: { resendMs: 60000 } });
    inv.start();
    await inv.setPower(-1200);
    link.down = true;
    await assert.rejects(inv.setPower(900), /discharge 900 W failed: no reply/);
    // Down for 40 s: retries every 5 s (each a timeout), nothing accepted.
    for (let i = 0; i < 40; i++) {
      clock.advance(1000);
      await flush();
    }
    assert.equal(sim.mode, 'charge', 'the inverter still does the last command it got');
    link.down = false;
    const back = clock.now();
    let acceptedAt;
    for (let i = 0; i < 10 && acceptedAt === undefined; i++) {
      clock.advance(1000);
      await flush();
      if (sim.mode === 'discharge') acceptedAt = clock.now();
    }
    assert.ok(acceptedAt !== undefined && acceptedAt - back <= 5000, `recovered after ${acceptedAt - back} ms`);
    assert.equal(sim.modeW, 900);
    const retries = link.calls.filter((c) => c.fc === 0x42 && c.down);
    assert.ok(retries.length >= 8, `${retries.length} retries while down`);
    for (let i = 1; i < retries.length; i++) assert.ok(retries[i].t - retries[i - 1].t <= 5000);
    await inv.close();
    await sim.stop();
  });

  it('device info missing after a failed read is read again within 5 s of a good poll', async () => {
    const { clock, sim, link, inv } = setup();
    const origRead = link.readInputRegisters.bind(link);
    let infoDown = true;
    link.readInputRegisters = (u, a, c) => (infoDown && a === 0x2000 ? Promise.reject(new ModbusError('timeout', 'no reply')) : origRead(u, a, c));
    await inv.read();
    assert.equal(inv.serial, null);
    infoDown = false;
    clock.advance(1000);
    await inv.read();
    assert.equal(inv.serial, null, 'not at once: at most one info read per 5 s');
    clock.advance(4000);
    const r = await inv.read();
    assert.equal(inv.serial, 'SA1ES130K12345');
    assert.equal(r.serial, 'SA1ES130K12345');
    await sim.stop();
  });
});
