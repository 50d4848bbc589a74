'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { BatteryPlant } = require('../../dist/lib/sim/battery');

test('battery plant: efficiency peaks at 94.5 % at 800 W and falls off on both sides', () => {
  const b = new BatteryPlant();
  assert.ok(Math.abs(b.efficiency(800) - 0.945) < 1e-9);
  assert.ok(b.efficiency(100) < 0.9);
  assert.ok(b.efficiency(2200) < 0.945 && b.efficiency(2200) > 0.9);
  assert.equal(b.efficiency(0), 0);
});

test('battery plant: command latency, ramp and clamping', () => {
  const b = new BatteryPlant({ latencyMs: 2000, rampWPerS: 500, t0: 0 });
  b.command(-5000, 0); // beyond the 2200 W charge limit
  assert.equal(b.advance(1999), 0);
  assert.equal(b.advance(3000), -500);
  assert.equal(b.advance(10000), -2200);
  b.command(3000, 10000);
  b.advance(30000);
  assert.equal(b.powerW, 1700);
});

test('battery plant: one hour at 1 kW charge stores 1 kW minus losses; discharge stops at min SoC', () => {
  const b = new BatteryPlant({ socPct: 50, rampWPerS: 1e9, t0: 0 });
  b.command(-1000, 0);
  b.advance(3600e3);
  const eta = b.efficiency(1000);
  assert.ok(Math.abs(b.socPct - (50 + (100 * 1000 * (2 - 1 / eta)) / 5200)) < 0.01, String(b.socPct));
  assert.ok(Math.abs(b.chargedWh - 1000) < 0.5);
  b.minSocPct = 40;
  b.command(1700, 3600e3);
  b.advance(3600e3 * 3);
  assert.equal(b.powerW, 0);
  assert.ok(Math.abs(b.socPct - 40) < 1e-6);
  assert.ok(b.empty);
});

test('battery plant: charge stops at max SoC, energy is conserved', () => {
  const b = new BatteryPlant({ socPct: 99, rampWPerS: 1e9, t0: 0 });
  b.command(-2200, 0);
  b.advance(600e3);
  assert.equal(b.powerW, 0);
  assert.ok(b.full);
  assert.ok(b.chargedWh > 52 && b.chargedWh < 60, String(b.chargedWh)); // 52 Wh stored + losses
});
