'use strict';
// P1Source without a transport: bytes fed directly on a virtual clock.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { P1Source, MAX_FRAME_MS, validateSourceConfig } = require('../../dist/lib/devices/p1/source');
const { VirtualClock } = require('../../dist/lib/util/clock');
const { V1, V1_BAD_CRC } = require('../fixtures/telegrams');

function fedSource() {
  const clock = new VirtualClock(Date.UTC(2024, 0, 1));
  const source = new P1Source({ type: 'input' }, clock);
  const readings = [];
  const invalid = [];
  source.on('reading', (ev) => readings.push(ev));
  source.on('invalid', (ev) => invalid.push(ev));
  return { clock, source, readings, invalid };
}

test('a telegram split over a pause shorter than the frame limit still counts', () => {
  const { clock, source, readings } = fedSource();
  source.onBytes(V1.slice(0, 300));
  clock.advance(MAX_FRAME_MS - 1000);
  source.onBytes(V1.slice(300));
  assert.equal(readings.length, 1);
  assert.equal(source.counters.incomplete, 0);
});

test('a frame left open longer than the limit is dropped as incomplete; the next telegram counts', () => {
  const { clock, source, readings, invalid } = fedSource();
  source.onBytes(V1.slice(0, 300));
  clock.advance(MAX_FRAME_MS + 1000);
  source.onBytes(V1.slice(300)); // the tail of the stale frame is garbage now
  assert.equal(readings.length, 0);
  assert.equal(invalid.length, 0);
  assert.equal(source.counters.incomplete, 1);
  source.onBytes(V1);
  assert.equal(readings.length, 1);
});

test('CRC errors are counted and reported with the sent and computed CRC', () => {
  const { source, readings, invalid } = fedSource();
  source.onBytes(V1_BAD_CRC + V1);
  assert.equal(readings.length, 1);
  assert.equal(source.counters.crcErrors, 1);
  assert.match(invalid[0].reason, /CRC mismatch \(sent 58E5, computed [0-9A-F]{4}\)/);
  assert.equal(source.counters.telegrams, 1);
  assert.equal(typeof source.counters.lastReadingAt, 'number');
});

test('configuration is checked with readable messages', () => {
  assert.equal(validateSourceConfig({ type: 'tcp', host: 'h', port: 23 }), null);
  assert.match(validateSourceConfig({ type: 'tcp', host: 'h', port: 70000 }), /invalid TCP port/);
  assert.match(validateSourceConfig({ type: 'serial', path: '' }), /serial port path is empty/);
  assert.match(validateSourceConfig({ type: 'serial', path: '/dev/x', baudRate: -1 }), /invalid baud rate/);
  assert.match(validateSourceConfig({ type: 'sessy', url: 'x', pollMs: 10 }), /at least 200 ms/);
  assert.match(validateSourceConfig({ type: 'nope' }), /unknown source type/);
  assert.throws(() => new P1Source({ type: 'tcp', host: '', port: 1 }), /TCP host is empty/);
});
