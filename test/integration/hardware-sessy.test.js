'use strict';
// A real Sessy battery. Runs only when the environment names it:
//   HE_SESSY_URL=192.168.1.50 HE_SESSY_USER=DABC1234 HE_SESSY_PASSWORD=XXXXXXXX
// Read-only unless HE_SESSY_WRITE=1, which switches the unit to API mode, sends 0 W, reads it back and
// restores the strategy it found.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { SessyClient } = require('../../dist/lib/devices/sessy/client');
const { SessyBattery } = require('../../dist/lib/devices/sessy/battery');
const { validator } = require('../../dist/lib/api/validate');
const { batteryReadingSchema } = require('../../dist/lib/api/schemas');

const env = process.env;
const check = validator(batteryReadingSchema, 'payload');
const skip = !(env.HE_SESSY_URL && env.HE_SESSY_USER && env.HE_SESSY_PASSWORD) && 'no HE_SESSY_URL / HE_SESSY_USER / HE_SESSY_PASSWORD set';
const client = () => new SessyClient({ host: env.HE_SESSY_URL, user: env.HE_SESSY_USER, password: env.HE_SESSY_PASSWORD });

test('real Sessy: three valid readings and the other status endpoints (read-only)', { skip, timeout: 120000 }, async () => {
  const c = client();
  const b = new SessyBattery(c, { serial: env.HE_SESSY_USER });
  const readings = [];
  for (let i = 0; i < 3; i++) {
    readings.push(await b.refresh());
    await new Promise((r) => setTimeout(r, 5000));
  }
  for (const r of readings) {
    assert.equal(check(r), null);
    assert.ok(r.soc >= 0 && r.soc <= 100);
    assert.notEqual(r.state, 'unknown', `unknown system_state ${r.stateText}`);
  }
  assert.ok(readings[2].timestamp > readings[0].timestamp);
  const info = await c.getSystemInfo();
  assert.equal(typeof info.serial, 'string');
  await c.getNetworkStatus();
  await c.getFirmwareStatus();
  console.log(JSON.stringify({ reading: readings[2], info }, null, 1));
});

test('real Sessy: API mode, 0 W read back, strategy restored (HE_SESSY_WRITE=1)', { skip: skip || (env.HE_SESSY_WRITE !== '1' && 'HE_SESSY_WRITE=1 not set'), timeout: 120000 }, async () => {
  const c = client();
  const before = await c.getStrategy();
  const b = new SessyBattery(c, { serial: env.HE_SESSY_USER, keepAliveMs: 0 });
  try {
    const r = await b.setSetpoint(0);
    assert.equal(r.sent, 0);
    assert.equal(await c.getStrategy(), 'POWER_STRATEGY_API');
    await new Promise((res) => setTimeout(res, 3000));
    const reading = await b.refresh();
    assert.equal(reading.strategy, 'POWER_STRATEGY_API');
    if (reading.state === 'ready') assert.equal(reading.setpoint, 0);
  } finally {
    await b.stop(10000);
  }
  assert.equal(await c.getStrategy(), before === 'POWER_STRATEGY_API' ? 'POWER_STRATEGY_API' : before);
});
