'use strict';
// The P1 descriptor drives both the telegram writer (lib/sim/dsmr-writer.ts) and the parser's table:
// for every point, the writer encodes a value and the parser decodes the same value; every field of
// a normalized reading is listed in `outputs`; every output names existing points.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { p1Descriptor, P1_POINTS } = require('../../dist/lib/devices/p1/descriptor');
const { p1Device } = require('../../dist/lib/devices/p1/device');
const { checkDescriptor, getPath } = require('../../dist/lib/api/device');
const { findDevice, deviceForNode } = require('../../dist/lib/registry');
const { parseTelegram } = require('../../dist/lib/devices/p1/parser');
const { telegramToReading } = require('../../dist/lib/devices/p1/normalize');
const { encodeGroup, obisLine, pointLine, failureLogLine, historyLine, withCrc, DsmrMeter } = require('../../dist/lib/sim/dsmr-writer');
const { VirtualClock } = require('../../dist/lib/util/clock');

const HEADER = '/ISK5\\2M550T-1012\r\n\r\n';
const telegram = (...lines) => withCrc(HEADER + lines.map((l) => l + '\r\n').join(''));
const T0 = Date.UTC(2024, 5, 10, 10, 0, 0); // summer: the writer stamps S, the parser reads UTC+2
const iso = (ms) => new Date(ms).toISOString();

/**
 * Per point: the value to encode (in our unit), how the parser's result is read back, and what it
 * must equal. M-Bus points go on channel 2. A point missing here fails the coverage test below.
 */
const ROUND_TRIP = {
  version: { value: '5.0', read: 'version' },
  versionBE: { value: '50217', read: 'version' },
  timestamp: { value: T0, read: 'timestamp', want: iso(T0) },
  equipmentId: { value: 'E0044007118529318', read: 'equipmentId' },
  tariff: { value: 2, read: 'tariff' },
  importPower: { value: 1765, read: 'importPower' },
  exportPower: { value: 2345, read: 'exportPower' },
  'powerFailures.count': { value: 9, read: 'powerFailures.count' },
  'powerFailures.longCount': { value: 4, read: 'powerFailures.longCount' },
  'message.text': { value: 'Hello P1', read: 'message.text' },
  'message.code': { value: 'CODE', read: 'message.code' },
  breaker: { value: 1, read: 'breaker' },
  limiter: { value: 999_900, read: 'limiter', want: { value: 999_900, unit: 'W' } },
  fuse: { value: 25, read: 'fuseA' },
  'capacity.currentAverage': { value: 2222, read: 'capacity.currentAverageW' },
  'mbus.deviceType': { value: 7, read: 'mbus[0].deviceType' },
  'mbus.id': { value: 'G0012345678901234', read: 'mbus[0].id' },
  'mbus.idBE': { value: '37464C4F', read: 'mbus[0].id' },
  'mbus.valve': { value: 1, read: (t) => t.objects.find((o) => o.obis === '0-2:24.4.0').values[0], want: '1' },
  'luxembourg.deviceName': { value: 'SMARTY', read: (t) => t.objects.find((o) => o.obis === '0-0:42.0.0').values[0] },
};
for (let t = 1; t <= 4; t++) {
  ROUND_TRIP[`energy.import.t${t}`] = { value: 1_000_000 * t + 647, read: `energy.importTariffWh[${t - 1}]` };
  ROUND_TRIP[`energy.export.t${t}`] = { value: 2_000_000 * t + 12, read: `energy.exportTariffWh[${t - 1}]` };
}
ROUND_TRIP['energy.import'] = { value: 6_545_766, read: 'energy.importWh' };
ROUND_TRIP['energy.export'] = { value: 12_345, read: 'energy.exportWh' };
for (let p = 0; p < 3; p++) {
  const L = `L${p + 1}`;
  ROUND_TRIP[`${L}.importPower`] = { value: 132 + p, read: `phases[${p}].importPower` };
  ROUND_TRIP[`${L}.exportPower`] = { value: 1000 + p, read: `phases[${p}].exportPower` };
  ROUND_TRIP[`${L}.voltage`] = { value: 230.5 + p, read: `phases[${p}].voltage` };
  ROUND_TRIP[`${L}.current`] = { value: 6 + p, read: `phases[${p}].current` };
  ROUND_TRIP[`${L}.sags`] = { value: 3 + p, read: `voltageSags[${p}]` };
  ROUND_TRIP[`${L}.swells`] = { value: 5 + p, read: `voltageSwells[${p}]` };
}

/** Points that are groups of a multi-group object: encoded together with their siblings. */
const GROUPED = {
  'capacity.monthPeakAt': () => obisLine('capacity.monthPeak', [encodeGroup('capacity.monthPeakAt', T0), encodeGroup('capacity.monthPeak', 3064)]),
  'capacity.monthPeak': null, // same line
  'capacity.history': () => historyLine([{ month: T0, at: T0 - 86_400_000, peakW: 4927 }, { month: T0 + 1000, at: null, peakW: 123 }]),
  'powerFailures.log': () => failureLogLine([{ end: T0, durationS: 240 }]),
  'mbus.readingAt': () => obisLine('mbus.reading', [encodeGroup('mbus.readingAt', T0), encodeGroup('mbus.reading', 485.627)], 2),
  'mbus.reading': null,
  'mbus.uncorrectedAt': () => obisLine('mbus.uncorrected', [encodeGroup('mbus.uncorrectedAt', T0), encodeGroup('mbus.uncorrected', 481.628)], 2),
  'mbus.uncorrected': null,
  // DSMR 2.2/3.0 profile (value on the next line): the writer's meters are DSMR 5 / e-MUCS and never emit it
  'mbus.profile': undefined,
};

const GROUPED_CHECK = {
  'capacity.monthPeakAt': (t) => {
    assert.equal(t.capacity.monthPeakAt, iso(T0));
    assert.equal(t.capacity.monthPeakW, 3064);
  },
  'capacity.history': (t) => assert.deepEqual(t.capacity.history, [{ month: iso(T0), at: iso(T0 - 86_400_000), peakW: 4927 }, { month: iso(T0 + 1000), at: null, peakW: 123 }]),
  'powerFailures.log': (t) => assert.deepEqual(t.powerFailures.log, [{ end: iso(T0), durationS: 240 }]),
  'mbus.readingAt': (t) => assert.deepEqual([t.mbus[0].channel, t.mbus[0].value, t.mbus[0].at], [2, 485.627, iso(T0)]),
  'mbus.uncorrectedAt': (t) => assert.deepEqual([t.mbus[0].channel, t.mbus[0].value, t.mbus[0].at], [2, 481.628, iso(T0)]),
};

test('the descriptor is sound and registered for the p1-meter node', () => {
  assert.deepEqual(checkDescriptor(p1Descriptor), []);
  assert.equal(findDevice('p1'), p1Device);
  assert.equal(deviceForNode('p1-meter'), p1Device);
  for (const p of P1_POINTS) {
    assert.equal(p.source.kind, 'obis', p.name);
    assert.match(p.source.code, /^\d-(\d|n):\d+\.\d+\.\d+$/, p.name);
    assert.match(p.src, /p1-dsmr\.md §2\.\d/, `${p.name} cites its section`);
  }
});

test('every point is covered by the round trip (a new point needs an entry here)', () => {
  for (const p of P1_POINTS) assert.ok(p.name in ROUND_TRIP || p.name in GROUPED, `no round trip for ${p.name}`);
});

for (const [name, rt] of Object.entries(ROUND_TRIP)) {
  test(`round trip ${name}: writer encodes ${JSON.stringify(rt.value)}, parser decodes the same`, () => {
    const line = pointLine(name, rt.value, { channel: name.startsWith('mbus.') ? 2 : undefined, profile: 'BE' });
    const t = parseTelegram(telegram(line));
    assert.equal(t.crc, 'ok');
    assert.deepEqual(t.warnings, []);
    const got = typeof rt.read === 'function' ? rt.read(t) : getPath(t, rt.read);
    assert.deepEqual(got, rt.want ?? rt.value, `${line} → ${JSON.stringify(got)}`);
  });
}

for (const [name, make] of Object.entries(GROUPED)) {
  if (!make) continue;
  test(`round trip ${name} (multi-group object)`, () => {
    const line = make();
    const t = parseTelegram(telegram(line));
    assert.equal(t.crc, 'ok');
    assert.deepEqual(t.warnings, []);
    GROUPED_CHECK[name](t);
  });
}

test('NL currents are whole amps, BE currents have two decimals, both decode to the value', () => {
  assert.equal(pointLine('L1.current', 7, { profile: 'NL' }), '1-0:31.7.0(007*A)');
  assert.equal(pointLine('L1.current', 1.87, { profile: 'BE' }), '1-0:31.7.0(001.87*A)');
  assert.equal(parseTelegram(telegram(pointLine('L1.current', 1.87, { profile: 'BE' }))).phases[0].current, 1.87);
});

/** Every leaf path of an object, arrays as `[]`: "phases[].voltage", "capacity.history[].peakW". */
function leafPaths(v, prefix = '', out = new Set()) {
  if (Array.isArray(v)) {
    if (v.length && v.every((x) => typeof x !== 'object' || x === null)) out.add(prefix + '[]');
    for (const x of v) leafPaths(x, prefix + '[]', out);
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) leafPaths(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.add(prefix);
  return out;
}

test('every field of a normalized reading (NL and BE meters, computed capacity, all M-Bus kinds) is in outputs', () => {
  const fields = new Set(p1Descriptor.outputs.map((o) => o.field));
  const seen = new Set();
  for (const profile of ['NL', 'BE']) {
    const clock = new VirtualClock(T0);
    const meter = new DsmrMeter({ profile, clock, household: { state: () => ({ gridW: 800, phases: [0, 1, 2].map(() => ({ powerW: 266, voltage: 230, current: 1.2 })) }), gridW: () => 800 }, history: { syntheticMonths: 3 } });
    clock.advance(20 * 60_000);
    const r = telegramToReading(parseTelegram(meter.telegram()), clock.now(), profile === 'NL' ? new (require('../../dist/lib/devices/p1/quarter-hour').QuarterHourTracker)() : undefined);
    for (const f of leafPaths(r)) seen.add(f);
  }
  // heat meter on M-Bus (device type 4), and a computed, partial capacity average
  const heat = parseTelegram(telegram(pointLine('importPower', 1), pointLine('mbus.deviceType', 4, { channel: 3 }), obisLine('mbus.reading', ['(230101000000W)', '(00012.345*GJ)'], 3)));
  for (const f of leafPaths(telegramToReading(heat, T0))) seen.add(f);
  for (const f of seen) assert.ok(fields.has(f), `reading field ${f} is not listed in outputs`);
  for (const want of ['power', 'phases[].voltage', 'energy.importTariffWh[]', 'capacity.history[].peakW', 'gas.m3', 'water.at', 'heat.GJ', 'capacity.computed']) assert.ok(seen.has(want), `the walk should have seen ${want}`);
});

test("each output's `from` names existing points, and the help table comes from it", () => {
  const names = new Set(P1_POINTS.map((p) => p.name));
  for (const o of p1Descriptor.outputs) {
    for (const n of o.from) assert.ok(names.has(n), `${o.field}: unknown point ${n}`);
    if (!o.from.length) assert.ok(o.note, `${o.field} says how it is made`);
  }
  const help = fs.readFileSync(path.join(__dirname, '../../dist/nodes/p1-meter/locales/en-US/p1-meter.html'), 'utf8');
  assert.ok(help.includes('| `capacity.monthPeakW` | W |'), 'generated output table in the help');
  assert.ok(!help.includes('<!-- outputs -->'));
  assert.ok(!/\.\.\/shared|p1-dsmr\.md/.test(help), 'the help cites nothing users do not have');
});

test('neither the parser nor the writer names an OBIS code outside comments: both take them from the descriptor', () => {
  const OBIS = /['"`][^'"`\n]*\b\d-[\dn]:\d+\.\d+\.\d+/;
  for (const file of ['lib/devices/p1/parser.ts', 'lib/devices/p1/obis-table.ts', 'lib/devices/p1/values.ts', 'lib/devices/p1/timestamp.ts', 'lib/sim/dsmr-writer.ts']) {
    const code = fs
      .readFileSync(path.join(__dirname, '../..', file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    const hit = code.split('\n').find((l) => OBIS.test(l));
    assert.equal(hit, undefined, `${file}: ${hit}`);
  }
});
