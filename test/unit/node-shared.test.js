'use strict';
// The parts the device nodes share (nodes/_shared): the rate-limited warning, the battery output
// (command replies instead of a second message, the serial filter) and the close handler's order.
const test = require('node:test');
const assert = require('node:assert/strict');
const { rateLimitedWarn } = require('../../dist/nodes/_shared/log');
const { BatteryOutput, forAnotherBattery, batterySummary } = require('../../dist/nodes/_shared/battery-node');
const { closeInOrder } = require('../../dist/nodes/_shared/close');

test('rateLimitedWarn: once a minute per kind; kinds differing only in numbers count as one', () => {
  let now = 1_000_000;
  const logged = [];
  const warn = rateLimitedWarn({ warn: (t) => logged.push(t) }, 60_000, () => now);
  warn('poll:timeout after 1000 ms', 'a');
  warn('poll:timeout after 2000 ms', 'b');
  warn('crc', 'c');
  now += 59_999;
  warn('poll:timeout after 3000 ms', 'd');
  now += 1;
  warn('poll:timeout after 3000 ms', 'e');
  assert.deepEqual(logged, ['a', 'c', 'e']);
});

test('forAnotherBattery and batterySummary', () => {
  assert.equal(forAnotherBattery({ serial: 'dsim0001' }, 'DSIM0001'), false);
  assert.equal(forAnotherBattery({ serial: 'OTHER' }, 'DSIM0001'), true);
  assert.equal(forAnotherBattery({ serial: 'OTHER' }, undefined), false, 'own serial unknown: ours');
  assert.equal(forAnotherBattery({}, 'DSIM0001'), false);
  assert.equal(batterySummary({ power: -1234.4, soc: 63.6 }), '−1234 W · 64%');
  assert.equal(batterySummary({ power: 12000, soc: null }), '+12.0 kW · ?');
});

test('BatteryOutput: poll readings go out on their own; the read-back of a command goes out once, as the reply', async () => {
  const sent = [];
  const out = new BatteryOutput({ send: (m) => sent.push(m) }, 'bat', () => ({ x: 1 }));
  const reading = (power) => ({ kind: 'battery', power, soc: 50 });
  out.reading(reading(1));
  assert.deepEqual(sent, [{ topic: 'bat', payload: reading(1), raw: { x: 1 } }]);
  const replies = [];
  const msg = { _msgid: 'm1', payload: { kind: 'battery-setpoint', power: 5 } };
  await new Promise((resolve, reject) =>
    out.run(msg, (m) => replies.push(m), (e) => (e ? reject(e) : resolve()), {
      command: msg.payload,
      serial: 'S1',
      execute: async () => ({ sent: 5 }),
      read: async () => {
        out.reading(reading(5)); // the device emits its 'reading' event during the read
        return reading(5);
      },
    }),
  );
  assert.equal(sent.length, 1, 'no second message for the read-back');
  assert.equal(replies.length, 1);
  assert.equal(replies[0], msg, 'the input message itself is the reply');
  assert.deepEqual({ ...replies[0] }, { _msgid: 'm1', topic: 'bat', payload: reading(5), raw: { x: 1 }, command: { sent: 5 } });
  assert.equal(out.last.reading.power, 5);
  out.reading(reading(6));
  assert.equal(sent.length, 2, 'poll readings flow again after the reply');

  // For another serial: done at once, nothing executed. A failed command: onError, then done(err).
  let executed = false;
  const job = (extra) => ({ command: { serial: 'S2' }, serial: 'S1', execute: async () => (executed = true), read: async () => reading(0), ...extra });
  await new Promise((resolve) => out.run({}, () => assert.fail('no reply'), (e) => (assert.equal(e, undefined), resolve()), job()));
  assert.equal(executed, false);
  const seen = [];
  const err = await new Promise((resolve) =>
    out.run({}, () => assert.fail('no reply'), resolve, job({ command: {}, execute: async () => Promise.reject(new Error('rejected')), onError: (e) => seen.push(e.message) })),
  );
  assert.equal(err.message, 'rejected');
  assert.deepEqual(seen, ['rejected']);
  // A failed read-back: no reply, no error, unless the job asks for a reading.
  const noRead = job({ command: {}, read: async () => Promise.reject(new Error('timeout')) });
  assert.equal(await new Promise((resolve) => out.run({}, () => assert.fail('no reply'), resolve, noRead)), undefined);
  const e2 = await new Promise((resolve) => out.run({}, () => assert.fail('no reply'), resolve, { ...noRead, noReading: 'no reading' }));
  assert.equal(e2.message, 'no reading');
});

test('closeInOrder: steps run one after the other, a failing step does not stop the rest, then status cleared and done', async () => {
  const events = [];
  let close;
  const node = { on: (ev, cb) => ev === 'close' && (close = cb), status: (s) => events.push(['status', s]) };
  closeInOrder(
    node,
    () => events.push('ticker'),
    () => new Promise((r) => setTimeout(() => r(events.push('stopped')), 20)),
    () => {
      throw new Error('boom');
    },
    () => Promise.reject(new Error('release failed')),
    () => events.push('listeners'),
  );
  await new Promise((resolve) => close(false, resolve));
  assert.deepEqual(events, ['ticker', 'stopped', 'listeners', ['status', {}]]);
});
