'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { VirtualClock } = require('../../dist/lib/util/clock');
const { Backoff } = require('../../dist/lib/util/backoff');

test('VirtualClock runs timers in time order, intervals repeat, cancel works', () => {
  const c = new VirtualClock(1000);
  const log = [];
  c.setTimeout(() => log.push(['a', c.now()]), 50);
  const iv = c.setInterval(() => log.push(['i', c.now()]), 20);
  const cancelled = c.setTimeout(() => log.push(['x', c.now()]), 30);
  cancelled.cancel();
  c.advance(70);
  assert.deepEqual(log, [['i', 1020], ['i', 1040], ['a', 1050], ['i', 1060]]);
  assert.equal(c.now(), 1070);
  iv.cancel();
  c.advance(100);
  assert.equal(log.length, 4);
  assert.equal(c.pending, 0);
});

test('a timer scheduled from a timer fires in the same advance when due', () => {
  const c = new VirtualClock(0);
  const log = [];
  c.setTimeout(() => c.setTimeout(() => log.push(c.now()), 10), 10);
  c.advance(25);
  assert.deepEqual(log, [20]);
});

test('Backoff doubles up to its limit and resets', () => {
  const b = new Backoff(1000, 5000);
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next()], [1000, 2000, 4000, 5000, 5000]);
  b.reset();
  assert.equal(b.next(), 1000);
});
