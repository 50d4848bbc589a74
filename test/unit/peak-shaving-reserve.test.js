'use strict';
// The peak-shaving controller's memory (lib/control/peak-shaving/reserve.ts): the reserve the past
// days needed to hold a level (backward recursion over the replayed quarters), the lowest level the
// stored energy affords, and the replay of the last days from the same time of day.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { LoadHistory, reserveWh, rankedReserveWh, levelFor } = require(path.join(__dirname, '../../dist/lib/control/peak-shaving/reserve'));

const P = { maxChargeW: 2000, maxDischargeW: 2000, efficiency: 1, marginW: 0, horizon: 4, days: 7, rank: 0 };
const q = (w, surplusW = 0) => ({ importWh: w / 4, surplusWh: surplusW / 4 });

test('reserveWh: the excess over the level, less what the headroom and PV surplus recharge after it', () => {
  // Two quarters at 4 kW against a 3 kW level: 2 × 250 Wh.
  assert.equal(reserveWh([q(4000), q(4000), q(1000), q(1000)], 3000, P), 500);
  // A quarter of headroom (2 kW under the level = 500 Wh, charge limit 2 kW = 500 Wh) between the peaks refills the first one.
  assert.equal(reserveWh([q(4000), q(1000), q(4000), q(1000)], 3000, P), 250);
  // PV surplus after the peak does not help the peak before it; before it, it does.
  assert.equal(reserveWh([q(0, 2000), q(4000), q(1000), q(1000)], 3000, { ...P, maxChargeW: 0 }), 250, 'no charging at all (charge limit 0)');
  assert.equal(reserveWh([q(0, 2000), q(4000), q(1000), q(1000)], 3000, { ...P, maxChargeW: 2000 }), 0);
  // Losses: one-way 0.8 → 250 Wh out needs 312.5 Wh stored.
  assert.equal(reserveWh([q(4000), q(3000), q(3000), q(3000)], 3000, { ...P, efficiency: 0.8 }), 312.5);
  // More than the discharge power can cover: infeasible — or, for a reserve, the most the battery can give.
  assert.equal(reserveWh([q(6000)], 3000, P), Infinity);
  assert.equal(reserveWh([q(6000)], 3000, { ...P, capPower: true }), 500);
  // Grid top-ups counted only from the 3rd quarter on: the headroom right after the first peak does not refill it.
  assert.equal(reserveWh([q(4000), q(1000), q(4000), q(1000)], 3000, { ...P, gridChargeFrom: 2 }), 500);
  assert.equal(reserveWh([q(4000), q(1000), q(1000), q(4000)], 3000, { ...P, gridChargeFrom: 2 }), 250, 'the 3rd quarter refills before the last peak');
});

test('reserveWh across a month change: from the new month on its level (the desired peak) counts, at most the discharge power', () => {
  // The month's last quarter at its level (no headroom), then 3 kW quarters in the new month at 2.5 kW: 125 Wh each.
  const replay = [q(5000), q(3000), q(3000), q(1000)];
  assert.equal(reserveWh(replay, 5000, P), 0);
  assert.equal(reserveWh(replay, 5000, { ...P, nextMonth: { from: 1, levelW: 2500 } }), 250);
  // Headroom before the change recharges for the new month (2 kW under 5 kW: up to the 500 Wh charge limit).
  assert.equal(reserveWh([q(3000), q(3000), q(3000), q(1000)], 5000, { ...P, nextMonth: { from: 1, levelW: 2500 } }), 0);
  // A new-month quarter beyond the battery's power needs that power, it does not make the level infeasible.
  assert.equal(reserveWh([q(5000), q(6000)], 5000, { ...P, nextMonth: { from: 1, levelW: 2500 } }), 500);
  assert.equal(levelFor([[q(2000), q(6000)]], 500, 2500, 6000, { ...P, nextMonth: { from: 1, levelW: 2500 } }), 2500, 'the month\'s own level stays free');
  const same = levelFor([[q(2000), q(6000)]], 500, 2500, 6000, P);
  assert.ok(same >= 4000 && same <= 4010, `without the change the 6 kW quarter forces 6 − 2 kW: ${same}`);
});

test('levelFor: the lowest level the stored energy affords (rank over the days), never below the floor', () => {
  const days = [
    [q(4000), q(4000), q(1000), q(1000)],
    [q(5000), q(3000), q(1000), q(1000)],
  ];
  assert.equal(rankedReserveWh(days, 3000, P), 500, 'the worst day at rank 0');
  assert.equal(rankedReserveWh(days, 3500, P), 375, 'the 5 kW quarter decides');
  assert.equal(rankedReserveWh(days, 3500, { ...P, rank: 1 }), 250, 'rank 1: the second worst day');
  const l = levelFor(days, 250, 2500, 6000, P);
  assert.ok(l >= 4000 && l <= 4010, `with 250 Wh, the worst day: ${l}`);
  const l1 = levelFor(days, 250, 2500, 6000, { ...P, rank: 1 });
  assert.ok(l1 >= 3500 && l1 <= 3510, `with 250 Wh, the second worst day: ${l1}`);
  const plenty = levelFor(days, 10_000, 2500, 6000, P);
  assert.ok(plenty >= 3000 && plenty <= 3010, `plenty stored: the 2 kW discharge limit decides (5 kW − 2 kW), not the energy (${plenty})`);
  assert.equal(levelFor(days, 10_000, 3200, 6000, P), 3200, 'plenty stored: the floor');
  const r = levelFor(days, 0, 2500, 6000, P);
  assert.ok(r >= 5000 && r <= 5010, `nothing stored: the highest quarter (${r})`);
});

test('LoadHistory: replays of the past days from the same quarter of the day, only days seen (≥ 90 %)', () => {
  const h = new LoadHistory();
  const t0 = Date.UTC(2026, 0, 10);
  for (let i = 0; i < 2 * 96; i++) h.add(t0 + i * 900_000, q(i));
  const from = t0 + 2 * 96 * 900_000 + 10 * 900_000; // day 3, 02:30
  const r = h.replays(from, { horizon: 8, days: 7 });
  assert.equal(r.length, 2, 'yesterday and the day before');
  assert.equal(r[0][0].importWh, (96 + 10) / 4);
  assert.equal(r[1][0].importWh, 10 / 4);
  assert.equal(h.replays(from + 50 * 900_000, { horizon: 96, days: 7 }).length, 1, 'yesterday, of which only 36 of the 96 quarters were seen, does not count');
});
