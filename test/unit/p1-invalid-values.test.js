'use strict';
// Issue 11 defect 4: in an accepted telegram (DSMR 2.2/3.0 carry no CRC) an unusable 1-0:1.7.0 must
// not become a plausible power: not a number gave 0 W, 400 digits gave Infinity, a negative value a
// reading that fails the package's own schema. The value is rejected, listed in telegram.invalid and
// counted by the source; without a usable power the telegram gives no reading.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { parseTelegram } = require('../../dist/lib/devices/p1/parser');
const { telegramToReading } = require('../../dist/lib/devices/p1/normalize');
const { P1Source } = require('../../dist/lib/devices/p1/source');
const { VirtualClock } = require('../../dist/lib/util/clock');
const { validator } = require('../../dist/lib/api/validate');
const { meterReadingSchema } = require('../../dist/lib/api/schemas');
const { dsmr22, V1, crlf } = require('../fixtures/telegrams');

const checkReading = validator(meterReadingSchema, 'payload');
const BAD = { 'not a number': 'XY.Z*kW', '400 digits': '9'.repeat(400) + '*kW', negative: '-0001.50*kW', 'empty unit': '0001.5*' };

test('the fixture itself parses as an accepted DSMR 2.2/3.0 telegram with 890 W', () => {
  const t = parseTelegram(dsmr22());
  assert.equal(t.crc, 'none');
  assert.equal(t.crcValid, true);
  assert.equal(t.power, 890);
  assert.equal(t.invalid, undefined);
  assert.equal(checkReading(telegramToReading(t, Date.now())), null);
});

for (const [what, value] of Object.entries(BAD)) {
  test(`1-0:1.7.0 ${what}: power is null, the field is listed as invalid, no reading`, () => {
    const t = parseTelegram(dsmr22(value));
    assert.equal(t.crcValid, true, 'the frame itself is fine');
    assert.equal(t.power, null);
    assert.equal(t.importPower, null);
    assert.deepEqual(t.invalid, ['1-0:1.7.0']);
    assert.ok(t.warnings.some((w) => w.startsWith('1-0:1.7.0: bad power value')), t.warnings.join('; '));
    assert.equal(telegramToReading(t, Date.now()), null);
  });
}

test('the source counts a telegram with unusable power as rejected and emits no reading', () => {
  const source = new P1Source({ type: 'input' }, new VirtualClock());
  const readings = [];
  const invalid = [];
  source.on('reading', (ev) => readings.push(ev.reading));
  source.on('invalid', (ev) => invalid.push(ev.reason));
  source.onBytes(dsmr22(BAD['400 digits']) + dsmr22(BAD.negative) + dsmr22());
  assert.equal(readings.length, 1);
  assert.equal(readings[0].power, 890);
  assert.equal(source.counters.rejected, 2);
  assert.equal(source.counters.badValues, 2);
  assert.equal(source.counters.crcErrors, 0);
  assert.deepEqual(invalid, ['unusable power value (1-0:1.7.0)', 'unusable power value (1-0:1.7.0)']);
});

test('an unusable phase power or energy register is left out, the rest of the reading stays (and passes the schema)', () => {
  const t = parseTelegram(dsmr22().replace('1-0:1.8.2(19403.220*kWh)', '1-0:1.8.2(-19403.220*kWh)'));
  assert.deepEqual(t.invalid, ['1-0:1.8.2']);
  assert.equal(t.energy, null, 'a total from a partial sum would jump');
  assert.equal(t.power, 890);
  const r = telegramToReading(t, Date.now());
  assert.equal(checkReading(r), null);
  const v1 = parseTelegram(V1.replace('1-0:21.7.0(00.132*kW)', '1-0:21.7.0(' + '1'.repeat(300) + '*kW)'));
  assert.equal(v1.crc, 'bad', 'V1 has a CRC, so the edit is caught there too');
  const edited = parseTelegram(crlf(V1.replace(/!.*$/s, '!')).replace('1-0:21.7.0(00.132*kW)', '1-0:21.7.0(' + '1'.repeat(300) + '*kW)'));
  assert.deepEqual(edited.invalid, ['1-0:21.7.0']);
  assert.equal(edited.phases[0].importPower, undefined);
  assert.equal(edited.phases[0].power, undefined, 'no net power from the export part alone');
  assert.equal(edited.phases[1].power, 37);
});

test('a reading built from a JS object with NaN or Infinity fails the meter schema with a clear message', () => {
  const r = telegramToReading(parseTelegram(V1), Date.now());
  assert.equal(checkReading(r), null);
  assert.equal(checkReading({ ...r, power: Infinity }), 'payload.power: must be a finite number');
  assert.equal(checkReading({ ...r, capacity: { ...r.capacity, currentAverageW: NaN } }), 'payload.capacity.currentAverageW: must be a finite number');
  assert.match(checkReading({ ...r, importPower: -1 }), /payload\.importPower: must be >= 0/);
});
