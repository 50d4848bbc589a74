'use strict';
// A real KOSTAL Smart Energy Meter. Runs only when an environment variable names it:
//   HE_KSEM_HOST=192.168.1.30[:502]   Modbus TCP slave enabled in the KSEM web UI
//   HE_KSEM_TLS=1                     use Modbus TCP over TLS (port 802 unless HE_KSEM_HOST names one)
//   HE_KSEM_FINGERPRINT=AB:CD:…       pin the meter's certificate (else HE_KSEM_TLS=1 accepts any)
//   HE_KSEM_UNIT=71                   unit id (default 1; the KSEM answers on any)
//   HE_KSEM_PUSH_PORT=1502            also listen for the KSEM's Modbus-master pushes on this port
//                                     (configure this machine as a master target in the KSEM first;
//                                     pushes are accepted from the HE_KSEM_HOST address only)
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { KsemPoller } = require('../../dist/lib/devices/ksem/poller');
const { KsemPushReceiver } = require('../../dist/lib/devices/ksem/push-receiver');
const { ModbusClientLink } = require('../../dist/lib/transport/modbus/link');
const { validator } = require('../../dist/lib/api/validate');
const { meterReadingSchema } = require('../../dist/lib/api/schemas');

const check = validator(meterReadingSchema, 'payload');
const env = process.env;
const tls = env.HE_KSEM_TLS === '1';
const [host, portText] = (env.HE_KSEM_HOST || '').split(':');
const endpoint = {
  transport: tls ? 'tls' : 'tcp',
  host,
  port: portText ? Number(portText) : tls ? 802 : 502,
  ...(tls ? { tls: env.HE_KSEM_FINGERPRINT ? { fingerprint256: env.HE_KSEM_FINGERPRINT } : { insecure: true } } : {}),
};

test('real KSEM: native and SunSpec readings agree, identity found', { skip: !host && 'no HE_KSEM_HOST set', timeout: 60000 }, async () => {
  const link = new ModbusClientLink(endpoint, { timeoutMs: 2000 });
  try {
    const unit = env.HE_KSEM_UNIT ? Number(env.HE_KSEM_UNIT) : 1;
    const native = await new KsemPoller(link, { unit, layout: 'native', phaseEnergyEveryMs: 0 }).poll();
    const sunspec = await new KsemPoller(link, { unit, layout: 'sunspec' }).poll();
    for (const ev of [native, sunspec]) assert.equal(check(ev.reading), null);
    console.log(JSON.stringify({ native: native.reading, sunspec: sunspec.reading, map: native.raw.sunspec, info: native.raw.identity.info }));
    assert.ok(native.raw.sunspec, 'SunSpec map found');
    assert.ok([40069, 40070].includes(native.raw.sunspec.models.find((m) => m.id === 203).address));
    assert.ok(native.reading.serial, 'serial number');
    // Same meter, a moment apart, 10 W SunSpec resolution: within 10 % or 200 W.
    assert.ok(Math.abs(native.reading.power - sunspec.reading.power) <= Math.max(200, Math.abs(native.reading.power) * 0.1));
    assert.ok(Math.abs(native.reading.energy.importWh - sunspec.reading.energy.importWh) <= 1000);
    for (const p of native.reading.phases) assert.ok(p.voltage > 180 && p.voltage < 270, `voltage ${p.voltage}`);
    assert.ok(native.reading.frequency > 49 && native.reading.frequency < 51);
  } finally {
    await link.close();
  }
});

test('real KSEM pushes (Modbus master mode)', { skip: !env.HE_KSEM_PUSH_PORT && 'no HE_KSEM_PUSH_PORT set', timeout: 60000 }, async () => {
  // The receiver takes connections only from the KSEM itself (HE_KSEM_HOST), on every interface.
  const ksemIp = String(env.HE_KSEM_HOST ?? '').replace(/:\d+$/, '');
  const receiver = new KsemPushReceiver({ host: '0.0.0.0', port: Number(env.HE_KSEM_PUSH_PORT), allowFrom: ksemIp ? [ksemIp] : [] });
  await receiver.start();
  try {
    const reading = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no pushed reading in 30 s (writes ${receiver.counters.writes}, rejected ${receiver.counters.rejected}, refused ${receiver.counters.refused} last from ${receiver.lastRefused})`)), 30000);
      receiver.on('reading', (r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
    assert.equal(check(reading), null);
    console.log(JSON.stringify(reading));
  } finally {
    await receiver.stop();
  }
});
