'use strict';
// Issue 11 defect 1: the KSEM push receiver listened on 0.0.0.0 and took a write of 99,999.9 W from
// any client as a meter reading (which can steer zero export). Now it listens on loopback by
// default, and accepts connections only from the allowed addresses (the KSEM's); the unit-id filter
// stays. All clients here are on the loopback range (127.0.0.0/8 is this machine on Linux), bound to
// different source addresses.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { KsemPushReceiver, PUSH_DEFAULTS, isLoopback } = require('../../dist/lib/devices/ksem/push-receiver');
const { readKsemConfig, receiverOptions } = require('../../dist/lib/devices/ksem/config');
const f = require('../../dist/lib/transport/modbus/frame');
const { VirtualClock } = require('../../dist/lib/util/clock');

const u32 = (v) => [Math.floor(v / 0x10000) & 0xffff, v & 0xffff];

/** Writes registers 0–3 (active power + and −, 0.1 W) as FC 16 from `localAddress`; resolves to the reply bytes, or 'closed'. */
function push(port, localAddress, plusW, { unit = 1, host = '127.0.0.1' } = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, localAddress });
    let got = Buffer.alloc(0);
    s.on('connect', () => s.write(f.encodeTcpAdu(1, unit, f.encodeRequestPdu({ kind: 'write-multiple', fc: 16, address: 0, values: [...u32(Math.round(plusW * 10)), 0, 0] }))));
    s.on('data', (b) => {
      got = Buffer.concat([got, b]);
      if (got.length >= 12) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', (e) => (e.code === 'ECONNRESET' ? resolve('closed') : reject(e)));
    s.on('close', () => resolve(got.length ? got : 'closed'));
  });
}

test('default: listens on 127.0.0.1 only (not reachable on another address), from the config too', async () => {
  assert.equal(PUSH_DEFAULTS.host, '127.0.0.1');
  const r = readKsemConfig({ mode: 'push' });
  assert.equal(r.ok, true, r.error);
  assert.equal(receiverOptions(r.config).host, '127.0.0.1');
  assert.deepEqual(receiverOptions(r.config).allowFrom, []);
  const receiver = new KsemPushReceiver({ port: 0 });
  const port = await receiver.start();
  try {
    assert.equal(receiver.host, '127.0.0.1');
    // A socket bound to 0.0.0.0 would answer on 127.0.0.2 as well; one bound to 127.0.0.1 does not.
    await assert.rejects(
      new Promise((resolve, reject) => net.connect({ host: '127.0.0.2', port }).on('connect', resolve).on('error', reject)),
      (e) => e.code === 'ECONNREFUSED',
    );
    assert.ok(Buffer.isBuffer(await push(port, '127.0.0.1', 100)), 'this machine may push');
  } finally {
    await receiver.stop();
  }
});

test('a client from an address not in the allow-list is disconnected before it can write, counted and reported', async () => {
  const clock = new VirtualClock(Date.UTC(2024, 5, 3, 12));
  // The "KSEM" pushes from 127.0.0.5; anyone else on the machine (127.0.0.1) is not it.
  const receiver = new KsemPushReceiver({ host: '127.0.0.1', port: 0, allowFrom: ['127.0.0.5'], clock });
  const port = await receiver.start();
  const readings = [];
  const refused = [];
  receiver.on('reading', (r) => readings.push(r));
  receiver.on('refused', (a) => refused.push(a));
  try {
    assert.equal(await push(port, '127.0.0.1', 99999.9), 'closed');
    clock.advance(1000);
    assert.deepEqual(readings, [], 'the forged 99,999.9 W never becomes a reading');
    assert.equal(receiver.counters.refused, 1);
    assert.equal(receiver.counters.writes, 0);
    assert.deepEqual(refused, ['127.0.0.1']);
    assert.equal(receiver.lastRefused, '127.0.0.1');
    // The KSEM itself is accepted.
    const reply = await push(port, '127.0.0.5', 1234.5);
    assert.ok(Buffer.isBuffer(reply) && reply[7] === 16, 'FC 16 acknowledged');
    clock.advance(250);
    assert.equal(readings.length, 1);
    assert.equal(readings[0].power, 1234.5);
    assert.equal(receiver.counters.refused, 1);
  } finally {
    await receiver.stop();
  }
});

test('empty allow-list: only this machine; the unit-id filter still applies; bad addresses are config errors', async () => {
  assert.equal(isLoopback('127.0.0.1'), true);
  assert.equal(isLoopback('::1'), true);
  assert.equal(isLoopback('192.168.1.30'), false);
  const receiver = new KsemPushReceiver({ host: '127.0.0.1', port: 0, unitId: 7 });
  const port = await receiver.start();
  try {
    assert.equal(receiver.allows('192.168.1.30'), false);
    assert.equal(receiver.allows('127.0.0.9'), true);
    // Unit 1 is not answered (the connection stays open without a reply): nothing is written.
    const noReply = await Promise.race([push(port, '127.0.0.1', 500, { unit: 1 }), new Promise((r) => setTimeout(() => r('no reply'), 300))]);
    assert.equal(noReply, 'no reply');
    assert.equal(receiver.counters.writes, 0);
    assert.ok(Buffer.isBuffer(await push(port, '127.0.0.1', 500, { unit: 7 })));
    assert.equal(receiver.counters.writes, 1);
  } finally {
    await receiver.stop();
  }
  assert.throws(() => new KsemPushReceiver({ allowFrom: ['ksem.local'] }), /not an IP address/);
  assert.match(readKsemConfig({ mode: 'push', allowFrom: '192.168.1.30, 10.0.0.999' }).error, /config\.allowFrom: "10\.0\.0\.999" is not an IP address/);
  assert.match(readKsemConfig({ mode: 'push', allowFrom: 'ksem.local' }).error, /config\.allowFrom/);
  assert.deepEqual(receiverOptions(readKsemConfig({ mode: 'push', allowFrom: ' 192.168.1.30,192.168.1.31 ' }).config).allowFrom, ['192.168.1.30', '192.168.1.31']);
  assert.match(readKsemConfig({ mode: 'push', listenHost: 'eth0' }).error, /config\.listenHost/);
});
