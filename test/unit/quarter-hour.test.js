'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { QuarterHourTracker, projectFromMeterAverage, quarterStart, QUARTER_MS } = require('../../dist/lib/devices/p1/quarter-hour');

const Q = Date.UTC(2024, 5, 3, 10, 15); // a quarter-hour boundary

test('quarterStart snaps to :00/:15/:30/:45', () => {
  assert.equal(quarterStart(Q + 14 * 60_000 + 59_999), Q);
  assert.equal(quarterStart(Q + QUARTER_MS), Q + QUARTER_MS);
});

test('constant import for a whole quarter averages to that import', () => {
  const t = new QuarterHourTracker();
  // Start in the previous quarter so the new one is fully observed.
  t.update(Q - 1000, 2000);
  let v;
  for (let s = 0; s < 900; s++) v = t.update(Q + s * 1000, 2000);
  assert.equal(v.currentAverageW, 2000);
  assert.equal(v.projectedW, 2000);
  assert.equal(v.partial, false);
  assert.equal(v.quarterStart, Q);
});

test('a step mid-quarter: average and projection', () => {
  const t = new QuarterHourTracker();
  t.update(Q - 1000, 0);
  for (let s = 0; s < 300; s++) t.update(Q + s * 1000, 0); // 5 min at 0 W
  let v;
  for (let s = 300; s <= 600; s++) v = t.update(Q + s * 1000, 3000); // 5 min at 3 kW
  // 0 W over [0,300) s, 3000 W over [300,600) s → average 1500 W over 600 s.
  assert.equal(v.currentAverageW, 1500);
  // Projection: 600 s at 1500 W + 300 s more at 3000 W → (900000 + 900000) / 900 = 2000 W.
  assert.equal(v.projectedW, 2000);
});

test('resets at the boundary and carries the last power across it', () => {
  const t = new QuarterHourTracker();
  t.update(Q + QUARTER_MS - 2000, 1000);
  t.update(Q + QUARTER_MS - 1000, 1000);
  const v = t.update(Q + QUARTER_MS + 1000, 4000); // 1 s at 1000 W in the new quarter so far
  assert.equal(v.quarterStart, Q + QUARTER_MS);
  assert.equal(v.currentAverageW, 1000);
  assert.equal(v.partial, false);
});

test('export counts as zero import; started mid-quarter is partial', () => {
  const t = new QuarterHourTracker();
  const v1 = t.update(Q + 60_000, -2000);
  assert.equal(v1.partial, true);
  const v2 = t.update(Q + 61_000, -2000);
  assert.equal(v2.currentAverageW, 0);
});

test('a gap longer than the limit adds no invented energy', () => {
  const t = new QuarterHourTracker(10_000);
  t.update(Q - 1000, 1000);
  t.update(Q + 1000, 1000);
  const v = t.update(Q + 301_000, 1000); // 300 s silence
  assert.equal(v.currentAverageW, 1000);
});

test('projection from a meter-sent average (Belgian 1-0:1.4.0)', () => {
  // 10 minutes elapsed at an average of 900 W, 3000 W now → (900*600 + 3000*300)/900 = 1600 W
  assert.equal(projectFromMeterAverage(Q + 600_000, 900, 3000), 1600);
});
