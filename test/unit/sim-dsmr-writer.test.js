'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { DsmrMeter, dsmrTimestamp } = require('../../dist/lib/sim/dsmr-writer');
const { Household, wallToUtcMs } = require('../../dist/lib/sim/household');
const { VirtualClock } = require('../../dist/lib/util/clock');
const { crc16Arc } = require('../../dist/lib/devices/p1/crc');

let parseTelegram = null;
try {
  ({ parseTelegram } = require('../../dist/lib/devices/p1/parser'));
} catch {
  parseTelegram = null;
}

const H = 3_600_000;
const MIN = 60_000;
const AMS = 'Europe/Amsterdam';
const BRU = 'Europe/Brussels';
const local = (y, mo, d, h, mi = 0, s = 0, tz = AMS) => wallToUtcMs(Date.UTC(y, mo - 1, d, h, mi, s), tz);

function meter(profile, start, load, pv = null, extra = {}) {
  const clock = new VirtualClock(start);
  const household = new Household({ clock, load, pv, timeZone: profile === 'BE' ? BRU : AMS });
  const m = new DsmrMeter({
    profile,
    clock,
    household,
    startEnergyWh: { import1: 1000_000, import2: 2000_000, export1: 300_000, export2: 400_000 },
    ...extra,
  });
  return { clock, household, m };
}

/** OBIS → array of its value groups, from the telegram text. */
function objects(tg) {
  const out = {};
  for (const line of tg.split('\r\n')) {
    const m = /^(\d+-\d+:\d+\.\d+\.\d+)((?:\([^)]*\))+)$/.exec(line);
    if (m) out[m[1]] = [...m[2].matchAll(/\(([^)]*)\)/g)].map((x) => x[1]);
  }
  return out;
}

const kwh = (s) => Math.round(parseFloat(s) * 1000); // "001234.567*kWh" → Wh
const kw = (s) => Math.round(parseFloat(s) * 1000);

function checkFrame(tg) {
  assert.ok(tg.startsWith('/'), 'starts with /');
  assert.ok(/\r\n\r\n/.test(tg.slice(0, 60)), 'blank line after the header');
  assert.ok(!/[^\r]\n/.test(tg), 'every LF is preceded by CR');
  const m = /!([0-9A-F]{4})\r\n$/.exec(tg);
  assert.ok(m, 'ends with !CRC CRLF');
  const bang = tg.lastIndexOf('!');
  assert.equal(crc16Arc(Buffer.from(tg.slice(0, bang + 1), 'latin1')), parseInt(m[1], 16), 'CRC matches');
}

test('NL telegram: DSMR 5.0 layout, valid CRC, whole-amp currents, gas on channel 1', () => {
  const { clock, m } = meter('NL', local(2024, 6, 10, 12), 2300, 1000); // Monday noon
  clock.advance(1000);
  const tg = m.telegram();
  checkFrame(tg);
  assert.ok(tg.startsWith('/ISK5\\2M550T-1012\r\n\r\n1-3:0.2.8(50)\r\n'));
  const o = objects(tg);
  assert.deepEqual(o['0-0:1.0.0'], ['240610120001S']);
  assert.deepEqual(o['0-0:96.14.0'], ['0002']); // weekday daytime = normal tariff
  assert.deepEqual(o['1-0:1.7.0'], ['01.300*kW']);
  assert.deepEqual(o['1-0:2.7.0'], ['00.000*kW']);
  // load 40/30/30 minus PV evenly: 920−333.3, 690−333.3, 690−333.3
  assert.deepEqual([o['1-0:21.7.0'][0], o['1-0:41.7.0'][0], o['1-0:61.7.0'][0]], ['00.587*kW', '00.357*kW', '00.357*kW']);
  for (const id of ['1-0:31.7.0', '1-0:51.7.0', '1-0:71.7.0']) assert.match(o[id][0], /^\d{3}\*A$/);
  assert.equal(o['1-0:31.7.0'][0], '002*A'); // 586.7 W / (230.9 V · 0.95) = 2.67 A → truncated
  for (const id of ['1-0:32.7.0', '1-0:52.7.0', '1-0:72.7.0']) assert.match(o[id][0], /^2\d\d\.\d\*V$/);
  assert.deepEqual(o['0-1:24.1.0'], ['003']);
  assert.match(o['0-1:24.2.1'][0], /^\d{12}S$/);
  assert.match(o['0-1:24.2.1'][1], /^\d{5}\.\d{3}\*m3$/);
  assert.equal(Buffer.from(o['0-0:96.1.1'][0], 'hex').toString('latin1'), 'E0099000000000001');
  assert.equal(kwh(o['1-0:1.8.1'][0]), 1000_000);
  assert.equal(o['1-0:1.6.0'], undefined); // no BE registers
});

test('BE telegram: e-MUCS layout, valid CRC, 2-decimal currents, gas 24.2.3 and water 007', () => {
  const { clock, m } = meter('BE', local(2024, 6, 10, 12, 0, 0, BRU), 2300, 1000);
  clock.advance(1000);
  const tg = m.telegram();
  checkFrame(tg);
  assert.ok(tg.startsWith('/FLU5\\253769484_A\r\n\r\n0-0:96.1.4(50217)\r\n'));
  const o = objects(tg);
  assert.equal(o['1-3:0.2.8'], undefined);
  assert.deepEqual(o['0-0:96.14.0'], ['0001']); // BE tariff 1 = day
  for (const id of ['1-0:31.7.0', '1-0:51.7.0', '1-0:71.7.0']) assert.match(o[id][0], /^\d{3}\.\d{2}\*A$/);
  assert.equal(o['1-0:31.7.0'][0], '002.67*A'); // 586.7 W / (230.9 V · 0.95)
  assert.deepEqual(o['0-1:24.1.0'], ['003']);
  assert.ok(o['0-1:24.2.3'], 'gas on 24.2.3');
  assert.deepEqual(o['0-2:24.1.0'], ['007']);
  assert.ok(o['0-2:24.2.1'], 'water on 24.2.1');
  assert.ok(o['0-1:96.1.1'] && o['0-2:96.1.1'], 'BE M-Bus ids on 96.1.1');
  assert.deepEqual(o['1-0:1.4.0'], ['01.300*kW']);
  assert.deepEqual(o['1-0:1.6.0'], ['240601000000S', '00.000*kW']);
  assert.deepEqual(o['0-0:98.1.0'], ['0', '1-0:1.6.0', '1-0:1.6.0']);
  for (const line of ['0-0:96.3.10(1)', '0-0:17.0.0(999.9*kW)', '1-0:31.4.0(999*A)']) assert.ok(tg.includes(line + '\r\n'), line);
});

test('tariff schedule: NL 1 = night/weekend, BE 2 = night/weekend', () => {
  const nl = meter('NL', local(2024, 6, 10, 12), 500).m;
  const be = meter('BE', local(2024, 6, 10, 12, 0, 0, BRU), 500).m;
  const cases = [
    // [local time args, NL, BE]
    [[2024, 6, 10, 12], 2, 1], // Monday noon
    [[2024, 6, 10, 6, 59], 1, 2],
    [[2024, 6, 10, 7, 0], 2, 1],
    [[2024, 6, 10, 22, 30], 2, 2], // BE night starts at 22:00, NL at 23:00
    [[2024, 6, 10, 23, 0], 1, 2],
    [[2024, 6, 15, 12], 1, 2], // Saturday
    [[2024, 6, 16, 12], 1, 2], // Sunday
  ];
  for (const [[y, mo, d, h, mi = 0], n, b] of cases) {
    assert.equal(nl.tariffAt(local(y, mo, d, h, mi)), n, `NL ${mo}-${d} ${h}:${mi}`);
    assert.equal(be.tariffAt(local(y, mo, d, h, mi, 0, BRU)), b, `BE ${mo}-${d} ${h}:${mi}`);
  }
});

test('energy registers: 1 h at constant 1500 W adds exactly 1.500 kWh to the active tariff', () => {
  const { clock, m } = meter('NL', local(2024, 6, 10, 10), 1500);
  const o0 = objects(m.telegram());
  clock.advance(H);
  const o1 = objects(m.telegram());
  assert.equal(kwh(o1['1-0:1.8.2'][0]) - kwh(o0['1-0:1.8.2'][0]), 1500);
  assert.equal(kwh(o1['1-0:1.8.1'][0]), kwh(o0['1-0:1.8.1'][0]));
  assert.equal(kwh(o1['1-0:2.8.1'][0]) + kwh(o1['1-0:2.8.2'][0]), 700_000);
  // export: PV above load
  const e = meter('NL', local(2024, 6, 10, 10), 500, 2500);
  e.clock.advance(H);
  const oe = objects(e.m.telegram());
  assert.equal(kwh(oe['1-0:2.8.2'][0]), 400_000 + 2000);
  assert.equal(kwh(oe['1-0:1.8.2'][0]), 2000_000);
});

test('energy registers: an hour across 23:00 is split over the two NL tariffs', () => {
  const { clock, m } = meter('NL', local(2024, 6, 10, 22, 30), 1500);
  m.telegram();
  for (let i = 0; i < 60; i++) {
    clock.advance(MIN);
    m.telegram();
  }
  const o = objects(m.telegram());
  assert.equal(kwh(o['1-0:1.8.2'][0]), 2000_000 + 750);
  assert.equal(kwh(o['1-0:1.8.1'][0]), 1000_000 + 750);
  assert.deepEqual(o['0-0:96.14.0'], ['0001']);
});

test('energy registers are monotonic and equal the integral of grid power (recorded day, 1 telegram / 10 s)', () => {
  const start = local(2024, 6, 10, 0);
  const clock = new VirtualClock(start);
  const household = new Household({ clock }); // shipped sample: load and PV
  const m = new DsmrMeter({ profile: 'NL', clock, household, startEnergyWh: { import1: 0, import2: 0, export1: 0, export2: 0 } });
  let prev = [0, 0, 0, 0];
  let integralWs = 0;
  let importWs = 0;
  for (let t = start; t < start + 24 * H; t += 10_000) {
    // independent integral: midpoint rule at 1 s
    for (let s = 0; s < 10; s++) {
      const g = household.gridW(t + s * 1000 + 500);
      integralWs += g;
      if (g > 0) importWs += g;
    }
    clock.advance(10_000);
    const o = objects(m.telegram());
    const cur = ['1-0:1.8.1', '1-0:1.8.2', '1-0:2.8.1', '1-0:2.8.2'].map((k) => kwh(o[k][0]));
    for (let i = 0; i < 4; i++) assert.ok(cur[i] >= prev[i], `register ${i} decreased at ${new Date(t).toISOString()}`);
    prev = cur;
  }
  const netWh = prev[0] + prev[1] - prev[2] - prev[3];
  const expectWh = integralWs / 3600;
  assert.ok(Math.abs(netWh - expectWh) < 5, `net ${netWh} Wh vs integral ${expectWh.toFixed(1)} Wh`);
  assert.ok(Math.abs(prev[0] + prev[1] - importWs / 3600) < 5);
  assert.ok(prev[2] + prev[3] > 1000, 'the sunny sample day exports');
  assert.ok(prev[0] > 0 && prev[1] > 0, 'import in both tariffs on a weekday');
});

test('0-0:1.0.0 carries the right S/W flag around both DST changes', () => {
  const cases = [
    [Date.UTC(2024, 2, 31, 0, 59, 59), '240331015959W'],
    [Date.UTC(2024, 2, 31, 1, 0, 0), '240331030000S'],
    [Date.UTC(2024, 9, 27, 0, 30, 0), '241027023000S'],
    [Date.UTC(2024, 9, 27, 0, 59, 59), '241027025959S'],
    [Date.UTC(2024, 9, 27, 1, 0, 0), '241027020000W'],
    [Date.UTC(2024, 9, 27, 1, 30, 0), '241027023000W'],
    [Date.UTC(2024, 0, 1, 0, 0, 0), '240101010000W'],
  ];
  for (const [t, text] of cases) {
    assert.equal(dsmrTimestamp(t, AMS), text);
    const { m } = meter('NL', t, 300);
    assert.deepEqual(objects(m.telegram())['0-0:1.0.0'], [text]);
  }
});

test('gas: captured every 5 min at the boundary, integrated flow', () => {
  const start = local(2024, 1, 15, 10, 1);
  const { clock, m } = meter('NL', start, 300, null, { gas: { startM3: 100, m3PerHour: 0.6 } });
  clock.advance(MIN);
  let o = objects(m.telegram());
  assert.deepEqual(o['0-1:24.2.1'], ['240115100000W', '00100.000*m3']);
  clock.advance(3 * MIN); // 10:05:00 boundary crossed at 10:05
  o = objects(m.telegram());
  assert.deepEqual(o['0-1:24.2.1'], ['240115100500W', '00100.040*m3']); // 4 min × 0.6 m³/h
  clock.advance(H);
  o = objects(m.telegram());
  assert.deepEqual(o['0-1:24.2.1'], ['240115110500W', '00100.640*m3']);
});

test('BE 1-0:1.4.0: running average of the fixed quarter-hour, resets at each boundary', () => {
  const start = local(2024, 6, 10, 10, 0, 0, BRU);
  // 1000 W in the first 5 min of every quarter, 3000 W after
  const load = (t) => (((t / MIN) % 15) < 5 ? 1000 : 3000);
  const { clock, m } = meter('BE', start, load);
  const avg = () => kw(objects(m.telegram())['1-0:1.4.0'][0]);
  clock.advance(4 * MIN);
  assert.equal(avg(), 1000);
  clock.advance(6 * MIN); // 10:10
  assert.equal(avg(), 2000);
  clock.advance(5 * MIN - 1000); // 10:14:59
  const before = avg();
  assert.ok(before > 2300 && before < 2340, String(before)); // (5·1000 + 9:59·3000)/14:59
  clock.advance(1000); // 10:15:00 → new quarter
  assert.equal(avg(), 0);
  clock.advance(2 * MIN); // 10:17
  assert.equal(avg(), 1000);
  // the completed quarter became the month peak, stamped at its end boundary
  assert.deepEqual(objects(m.telegram())['1-0:1.6.0'], ['240610101500S', '02.333*kW']);
});

test('BE 1-0:1.6.0 tracks the month peak; a partly observed first quarter never counts', () => {
  const start = local(2024, 6, 10, 9, 50, 0, BRU);
  const T = (h, mi) => local(2024, 6, 10, h, mi, 0, BRU);
  const load = (t) => (t < T(10, 0) ? 9000 : t >= T(10, 30) && t < T(10, 45) ? 4000 : t >= T(11, 0) && t < T(11, 15) ? 3500 : 1000);
  const { clock, m } = meter('BE', start, load);
  m.telegram();
  clock.advanceTo(T(10, 20));
  assert.deepEqual(objects(m.telegram())['1-0:1.6.0'], ['240610101500S', '01.000*kW']);
  clock.advanceTo(T(10, 44));
  assert.deepEqual(objects(m.telegram())['1-0:1.6.0'], ['240610101500S', '01.000*kW']); // running quarter not yet counted
  assert.equal(kw(objects(m.telegram())['1-0:1.4.0'][0]), 4000);
  clock.advanceTo(T(10, 45));
  assert.deepEqual(objects(m.telegram())['1-0:1.6.0'], ['240610104500S', '04.000*kW']);
  clock.advanceTo(T(11, 30)); // a lower quarter (3.5 kW) does not replace it
  assert.deepEqual(objects(m.telegram())['1-0:1.6.0'], ['240610104500S', '04.000*kW']);
});

test('BE month change: peak moves into 0-0:98.1.0 stamped with the new month, 1.6.0 restarts', () => {
  const start = local(2024, 6, 30, 23, 0, 0, BRU);
  const { clock, m } = meter('BE', start, 2000);
  clock.advance(2 * H);
  const o = objects(m.telegram());
  assert.deepEqual(o['0-0:98.1.0'], ['1', '1-0:1.6.0', '1-0:1.6.0', '240701000000S', '240630231500S', '02.000*kW']);
  assert.deepEqual(o['1-0:1.6.0'], ['240701001500S', '02.000*kW']);
});

test('BE history: seeded synthetic months, at most 13 entries, oldest first', () => {
  const start = local(2024, 6, 10, 12, 0, 0, BRU);
  const a = meter('BE', start, 800, null, { history: { syntheticMonths: 13, seed: 42 } });
  const b = meter('BE', start, 800, null, { history: { syntheticMonths: 13, seed: 42 } });
  const c = meter('BE', start, 800, null, { history: { syntheticMonths: 13, seed: 43 } });
  const ha = objects(a.m.telegram())['0-0:98.1.0'];
  assert.deepEqual(ha, objects(b.m.telegram())['0-0:98.1.0']);
  assert.notDeepEqual(ha, objects(c.m.telegram())['0-0:98.1.0']);
  assert.equal(ha[0], '13');
  assert.equal(ha.length, 3 + 13 * 3);
  assert.equal(ha[3], '230601000000S'); // May 2023 peak, captured 1 June 2023
  assert.equal(ha[3 + 12 * 3], '240601000000S'); // May 2024
  for (let i = 0; i < 13; i++) {
    const [month, at, val] = ha.slice(3 + i * 3, 6 + i * 3);
    assert.ok(at < month, `peak ${at} before capture ${month}`);
    assert.match(at, /^\d{6}(0[7-9]|1\d|2[01])(00|15|30|45)00[SW]$/);
    const w = kw(val);
    assert.ok(w >= 2000 && w <= 6000, val);
  }
  // a month later the oldest entry drops out
  a.clock.advanceTo(local(2024, 7, 1, 0, 30, 0, BRU));
  const h2 = objects(a.m.telegram())['0-0:98.1.0'];
  assert.equal(h2[0], '13');
  assert.equal(h2[3], ha[6]);
  assert.deepEqual(h2.slice(-3, -1), ['240701000000S', '240610121500S']);
});

test('single-phase meter reports the whole net power on L1 only', () => {
  const { m } = meter('NL', local(2024, 6, 10, 12), 2000, 500, { phases: 1 });
  const o = objects(m.telegram());
  assert.deepEqual(o['1-0:21.7.0'], ['01.500*kW']);
  assert.equal(o['1-0:41.7.0'], undefined);
  assert.equal(o['1-0:52.7.0'], undefined);
  checkFrame(m.telegram());
});

test('round trip through parseTelegram (NL and BE)', { skip: parseTelegram ? false : 'lib/devices/p1/parser not built' }, () => {
  const nl = meter('NL', local(2024, 6, 10, 12), 2300, 4000);
  nl.clock.advance(1000);
  const snap = nl.m.snapshot();
  const p = parseTelegram(nl.m.telegram());
  assert.equal(p.crc, 'ok');
  assert.equal(p.profile, 'NL');
  assert.equal(p.timestamp, new Date(snap.t).toISOString());
  assert.equal(p.power, -1700);
  assert.equal(p.tariff, 2);
  assert.deepEqual(p.energy.importTariffWh, [snap.energyWh.import1, snap.energyWh.import2]);
  assert.equal(p.phases.length, 3);
  assert.equal(p.gas.m3, snap.gas.m3);

  const be = meter('BE', local(2024, 6, 10, 12, 0, 0, BRU), 2300, 1000);
  be.clock.advance(20 * MIN);
  const q = parseTelegram(be.m.telegram());
  assert.equal(q.crc, 'ok');
  assert.equal(q.profile, 'BE');
  assert.equal(q.capacity.currentAverageW, 1300);
  assert.equal(q.capacity.monthPeakW, 1300);
  assert.equal(q.capacity.monthPeakAt, new Date(local(2024, 6, 10, 12, 15, 0, BRU)).toISOString());
  assert.equal(q.water.m3 > 0, true);
  assert.equal(q.gas.m3 > 0, true);
});
