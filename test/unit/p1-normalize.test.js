'use strict';
// Every telegram that parses (shared data set, test vectors, simulated NL/BE meters) normalizes into a
// reading that satisfies the meter-reading JSON Schema, with the sign convention of DESIGN.md §2.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { parseTelegram } = require('../../dist/lib/devices/p1/parser');
const { telegramToReading } = require('../../dist/lib/devices/p1/normalize');
const { QuarterHourTracker } = require('../../dist/lib/devices/p1/quarter-hour');
const { validator } = require('../../dist/lib/api/validate');
const { meterReadingSchema } = require('../../dist/lib/api/schemas');
const { DsmrMeter } = require('../../dist/lib/sim/dsmr-writer');
const { Household } = require('../../dist/lib/sim/household');
const { VirtualClock } = require('../../dist/lib/util/clock');
const { V1, V7 } = require('../fixtures/telegrams');

const check = validator(meterReadingSchema, 'payload');
const SHARED = path.resolve(__dirname, '../../../shared/data/p1_telegrams');

function* sharedTelegrams() {
  if (!fs.existsSync(SHARED)) return;
  for (const d of fs.readdirSync(SHARED, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of fs.readdirSync(path.join(SHARED, d.name))) if (f.endsWith('.txt')) yield [f, fs.readFileSync(path.join(SHARED, d.name, f), 'latin1')];
  }
}

test('shared telegrams and vectors normalize into schema-valid readings', () => {
  let n = 0;
  for (const [name, text] of [...sharedTelegrams(), ['V1', V1], ['V7', V7]]) {
    const t = parseTelegram(text);
    const r = telegramToReading(t, 1700000000000, new QuarterHourTracker());
    if (!r) continue; // no power values (heat-meter link)
    n++;
    assert.equal(check(r), null, name);
    assert.equal(r.power, (r.importPower ?? 0) - (r.exportPower ?? 0), `${name}: power = import − export`);
  }
  assert.ok(n >= 2);
});

test('simulated meters over a day: valid readings, monotonic counters, computed capacity only for NL', () => {
  for (const profile of ['NL', 'BE']) {
    const clock = new VirtualClock(Date.UTC(2024, 5, 3, 0, 0, 0));
    const meter = new DsmrMeter({ profile, clock, household: new Household({ clock }) });
    const tracker = new QuarterHourTracker();
    let prev;
    for (let i = 0; i < 24 * 60; i++) {
      const t = parseTelegram(meter.telegram());
      assert.equal(t.crc, 'ok');
      const r = telegramToReading(t, clock.now(), tracker);
      assert.equal(check(r), null);
      assert.equal(r.timestamp, clock.now() - (clock.now() % 1000));
      assert.equal(r.capacity.computed, profile === 'NL');
      if (prev) {
        assert.ok(r.energy.importWh >= prev.energy.importWh);
        assert.ok(r.energy.exportWh >= prev.energy.exportWh);
      }
      prev = r;
      clock.advance(60_000);
    }
  }
});
