'use strict';
// Real meters. Runs only when an environment variable names the device:
//   HE_P1_SERIAL=/dev/ttyUSB0      a USB P1 cable (speed auto-detected)
//   HE_P1_TCP=192.168.1.40:23      a ser2net / Wi-Fi P1 gateway
//   HE_P1_SESSY=192.168.1.50       a Sessy P1 dongle (optional HE_P1_SESSY_USER, HE_P1_SESSY_PASSWORD)
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { P1Source } = require('../../dist/lib/devices/p1/source');
const { validator } = require('../../dist/lib/api/validate');
const { meterReadingSchema } = require('../../dist/lib/api/schemas');

const check = validator(meterReadingSchema, 'payload');
const env = process.env;
const devices = [
  env.HE_P1_SERIAL && { type: 'serial', path: env.HE_P1_SERIAL, baudRate: 'auto' },
  env.HE_P1_TCP && { type: 'tcp', host: env.HE_P1_TCP.replace(/:\d+$/, ''), port: Number(env.HE_P1_TCP.split(':').pop()) },
  env.HE_P1_SESSY && { type: 'sessy', url: env.HE_P1_SESSY, user: env.HE_P1_SESSY_USER, password: env.HE_P1_SESSY_PASSWORD, pollMs: 1000 },
].filter(Boolean);

test('real P1 meters give three valid readings each', { skip: devices.length === 0 && 'no HE_P1_SERIAL / HE_P1_TCP / HE_P1_SESSY set', timeout: 120000 }, async () => {
  for (const config of devices) {
    const source = new P1Source(config);
    const readings = [];
    try {
      await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${source.description}: fewer than 3 readings in 60 s (problems: ${source.counters.problems}, CRC errors: ${source.counters.crcErrors})`)), 60000);
        source.on('reading', (ev) => {
          readings.push(ev.reading);
          if (readings.length === 3) {
            clearTimeout(t);
            resolve();
          }
        });
        source.start();
      });
    } finally {
      source.stop();
    }
    for (const r of readings) assert.equal(check(r), null);
    assert.ok(readings[2].timestamp >= readings[0].timestamp);
  }
});
