'use strict';
// A real Sofar ME3000SP. Runs only when an environment variable names the device:
//   HE_SOFAR_SERIAL=/dev/ttyUSB0       USB–RS485 adapter on the inverter's 485s terminals (9600 8N1)
//   HE_SOFAR_TCP=192.168.1.60:502      RS485-to-Ethernet gateway in RTU-over-TCP (transparent) mode
//   HE_SOFAR_UNIT=1                    inverter address (default 1)
// Read-only unless HE_SOFAR_WRITE=1: then it charges at 300 W for 20 s (passive mode must be on),
// checks the reply and the reading, and hands the inverter back to auto.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const { SofarInverter } = require(path.join(dist, 'lib/devices/sofar/inverter'));
const { acquireLink } = require(path.join(dist, 'lib/transport/modbus/pool'));
const { validator } = require(path.join(dist, 'lib/api/validate'));
const { batteryReadingSchema } = require(path.join(dist, 'lib/api/schemas'));

const check = validator(batteryReadingSchema, 'payload');
const env = process.env;
const unit = Number(env.HE_SOFAR_UNIT || 1);
const endpoints = [
  env.HE_SOFAR_SERIAL && { transport: 'rtu', path: env.HE_SOFAR_SERIAL, baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 },
  env.HE_SOFAR_TCP && { transport: 'rtu-over-tcp', host: env.HE_SOFAR_TCP.replace(/:\d+$/, ''), port: Number(env.HE_SOFAR_TCP.split(':').pop()) },
].filter(Boolean);
const skip = endpoints.length === 0 && 'no HE_SOFAR_SERIAL / HE_SOFAR_TCP set';

test('real Sofar ME3000SP: three valid readings, plausible values', { skip, timeout: 120000 }, async () => {
  for (const e of endpoints) {
    const lease = acquireLink(e, { timeoutMs: 1500, interRequestDelayMs: 100 });
    const inv = new SofarInverter({ link: lease.link, unit, settings: { onClose: 'none' } });
    const warnings = [];
    inv.on('warning', (w) => warnings.push(w));
    try {
      const readings = [];
      for (let i = 0; i < 3; i++) {
        readings.push(await inv.poll());
        await new Promise((r) => setTimeout(r, 2000));
      }
      for (const r of readings) {
        assert.equal(check(r), null);
        assert.ok(r.soc === null || (r.soc >= 0 && r.soc <= 100));
        assert.ok(Math.abs(r.power) <= 6500, `battery power ${r.power} W`);
        assert.ok(Math.abs(r.gridPower) <= 50000, `grid power ${r.gridPower} W`);
      }
      assert.ok(readings[0].serial, 'serial number read');
      console.log(`# ${e.transport}: ${JSON.stringify({ serial: readings[0].serial, state: readings[2].stateText, power: readings[2].power, soc: readings[2].soc, grid: readings[2].gridPower, voltage: readings[2].voltage, firmware: readings[2].firmware, warnings })}`);
    } finally {
      await inv.close();
      await lease.release();
    }
  }
});

test('real Sofar ME3000SP: passive-mode round trip (HE_SOFAR_WRITE=1)', { skip: skip || (env.HE_SOFAR_WRITE !== '1' && 'read-only: set HE_SOFAR_WRITE=1 to command the inverter'), timeout: 120000 }, async () => {
  const lease = acquireLink(endpoints[0], { timeoutMs: 1500, interRequestDelayMs: 100 });
  const inv = new SofarInverter({ link: lease.link, unit, settings: { onClose: 'auto', heartbeatMs: 10000 } });
  inv.start();
  try {
    await inv.poll();
    const res = await inv.setpoint(-300);
    assert.equal(res.status.accepted, true, res.status.resultText);
    await new Promise((r) => setTimeout(r, 20000));
    const r = await inv.poll();
    assert.equal(r.setpoint, -300);
    assert.ok(inv.counters.heartbeats >= 1 && inv.counters.heartbeatErrors === 0, 'heartbeats answered');
    console.log(`# after charge 300 W: power ${r.power} W, state ${r.stateText}, status ${JSON.stringify(r.passiveStatus)}`);
  } finally {
    await inv.close();
    await lease.release();
  }
});
