'use strict';
// SingleFlight (lib/util/single-flight.ts): the in-flight read sharing of the ENECTOR, KSEM
// wallbox, Sofar, Sessy and Sessy-P1 drivers.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { SingleFlight } = require('../../dist/lib/util/single-flight');

/** A promise with its resolve/reject, and a count of how often it was asked for. */
function calls() {
  const made = [];
  const fn = () => {
    let resolve, reject;
    const p = new Promise((res, rej) => ((resolve = res), (reject = rej)));
    made.push({ resolve, reject });
    return p;
  };
  return { fn, made };
}
/** Lets every pending promise job and immediate run. */
const settle = () => new Promise((r) => setImmediate(r));

const unhandled = [];
const onUnhandled = (e) => unhandled.push(e);
before(() => process.on('unhandledRejection', onUnhandled));
after(() => process.off('unhandledRejection', onUnhandled));

test('concurrent callers share one call; the next call after it settles starts fresh', async () => {
  const sf = new SingleFlight();
  const { fn, made } = calls();
  const a = sf.run(fn);
  const b = sf.run(fn);
  const c = sf.run(fn);
  assert.equal(made.length, 1);
  assert.equal(a, b);
  assert.equal(b, c);
  assert.equal(sf.busy, true);
  made[0].resolve(42);
  assert.deepEqual(await Promise.all([a, b, c]), [42, 42, 42]);
  assert.equal(sf.busy, false);
  const d = sf.run(fn);
  assert.equal(made.length, 2);
  assert.notEqual(d, a);
  made[1].resolve(7);
  assert.equal(await d, 7);
});

test('a rejection reaches every sharer, and the next call starts fresh', async () => {
  const sf = new SingleFlight();
  const { fn, made } = calls();
  const a = sf.run(fn);
  const b = sf.run(fn);
  const boom = new Error('timeout');
  made[0].reject(boom);
  await assert.rejects(a, (e) => e === boom);
  await assert.rejects(b, (e) => e === boom);
  assert.equal(sf.busy, false);
  const c = sf.run(fn);
  assert.equal(made.length, 2);
  made[1].resolve('ok');
  assert.equal(await c, 'ok');
  await settle();
  assert.deepEqual(unhandled, []);
});

test('busy is already false when a caller sees the outcome (a caller may run again at once)', async () => {
  const sf = new SingleFlight();
  const { fn, made } = calls();
  const seen = [];
  const a = sf.run(fn).then(
    () => seen.push(['ok', sf.busy]),
    () => seen.push(['err', sf.busy]),
  );
  made[0].reject(new Error('x'));
  await a;
  const b = sf.run(fn).then(() => seen.push(['ok', sf.busy]));
  assert.equal(made.length, 2, 'the second run started its own call');
  made[1].resolve(1);
  await b;
  assert.deepEqual(seen, [
    ['err', false],
    ['ok', false],
  ]);
});

test('a synchronous throw becomes a rejection and leaves the flight free', async () => {
  const sf = new SingleFlight();
  const boom = new Error('sync');
  const p = sf.run(() => {
    throw boom;
  });
  assert.ok(p instanceof Promise);
  await assert.rejects(p, (e) => e === boom);
  assert.equal(sf.busy, false);
  assert.equal(await sf.run(async () => 5), 5);
});

test('poke starts a call only when none is in flight and drops its outcome without an unhandled rejection', async () => {
  const sf = new SingleFlight();
  const { fn, made } = calls();
  sf.poke(fn);
  sf.poke(fn);
  assert.equal(made.length, 1);
  const shared = sf.run(fn);
  assert.equal(made.length, 1, 'run() shares the poked call');
  made[0].reject(new Error('device down'));
  await assert.rejects(shared, /device down/);
  sf.poke(fn);
  assert.equal(made.length, 2);
  made[1].reject(new Error('still down'));
  await settle();
  assert.equal(sf.busy, false);
  assert.deepEqual(unhandled, []);
});

test('next() starts at once when idle; while busy, one queued call runs after the one in flight (even a failed one), later callers share it', async () => {
  const sf = new SingleFlight();
  const { fn, made } = calls();
  const first = sf.next(fn);
  assert.equal(made.length, 1, 'idle: starts at once');
  const q1 = sf.next(fn);
  const q2 = sf.next(fn);
  assert.equal(q1, q2);
  assert.equal(made.length, 1, 'queued, not started');
  made[0].reject(new Error('first failed'));
  await assert.rejects(first, /first failed/);
  await settle();
  assert.equal(made.length, 2, 'the queued call started after the first settled');
  assert.equal(sf.run(fn), sf.run(fn), 'run() now shares the queued call');
  assert.equal(made.length, 2);
  made[1].resolve('fresh');
  assert.deepEqual(await Promise.all([q1, q2]), ['fresh', 'fresh']);
  assert.equal(sf.busy, false);
  const again = sf.next(fn);
  assert.equal(made.length, 3, 'the queue is empty again: next() starts at once');
  made[2].resolve('third');
  assert.equal(await again, 'third');
  await settle();
  assert.deepEqual(unhandled, []);
});
