'use strict';
// SerialQueue (lib/util/serial-queue.ts): the one-at-a-time command queue of the ENECTOR driver,
// the Sessy battery (command sequences) and the Sessy HTTP client (requests).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { SerialQueue } = require('../../dist/lib/util/serial-queue');

const settle = () => new Promise((r) => setImmediate(r));

test('calls run one after the other in call order; a failure fails only its own promise', async () => {
  const q = new SerialQueue();
  const log = [];
  const gates = [];
  const step = (name, fail) => () =>
    new Promise((res, rej) => {
      log.push(`start ${name}`);
      gates.push(() => (log.push(`end ${name}`), fail ? rej(new Error(name)) : res(name)));
    });
  const a = q.run(step('a'));
  const b = q.run(step('b', true));
  const c = q.run(step('c'));
  assert.equal(q.pending, 3);
  await settle();
  assert.deepEqual(log, ['start a'], 'b waits for a');
  gates[0]();
  assert.equal(await a, 'a');
  await settle();
  assert.deepEqual(log, ['start a', 'end a', 'start b']);
  gates[1]();
  await assert.rejects(b, /^Error: b$/);
  await settle();
  assert.deepEqual(log.slice(3), ['end b', 'start c'], 'c runs after b failed');
  gates[2]();
  assert.equal(await c, 'c');
  assert.equal(q.pending, 0);
});

test('pending is already lower when a caller sees the outcome; a synchronous throw is a rejection', async () => {
  const q = new SerialQueue();
  const seen = [];
  const a = q.run(async () => 1).then(() => seen.push(q.pending));
  const b = q.run(() => {
    throw new Error('sync');
  });
  await a;
  await assert.rejects(b, /sync/);
  assert.deepEqual(seen, [1], 'a is counted out, b still queued or running');
  assert.equal(q.pending, 0);
  assert.equal(await q.run(async () => 'next'), 'next');
});
