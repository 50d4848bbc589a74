'use strict';
// The tariff library: the consumer-price formula against hand-computed NL and BE prices, price
// parsing (messages, CSV), the 60 → 15 minute slot change of 2025-10-01 on the real NL prices,
// DST days, and the cost account over a month with a restart.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const dist = path.join(__dirname, '../../dist');
const F = require(path.join(dist, 'lib/tariff/formula'));
const P = require(path.join(dist, 'lib/tariff/prices'));
const T = require(path.join(dist, 'lib/tariff/tariff'));
const A = require(path.join(dist, 'lib/tariff/account'));
const M = require(path.join(dist, 'lib/tariff/messages'));
const C = require(path.join(dist, 'lib/tariff/config'));

const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);
const iso = (s) => Date.parse(s);
const MIN = 60_000;
const H = 3_600_000;
const NL_CSV = path.join(__dirname, '../../../shared/data/dayahead_prices/nl_dayahead_2023-01-01_2025-10-20.csv');

describe('consumer-price formula', () => {
  it('NL: (0.100 + 0.02 + 0.0916) × 1.21 import, 0.100 − 0.02 feed-in', () => {
    const p = F.consumerPrices(100, F.PRESETS.NL);
    close(p.importPrice, 0.256036);
    close(p.exportPrice, 0.08);
  });
  it('BE: (0.100 + 0.015 + 0.05 + 0.07) × 1.06 import, 0.085 feed-in', () => {
    const p = F.consumerPrices(100, F.PRESETS.BE);
    close(p.importPrice, 0.2491);
    close(p.exportPrice, 0.085);
  });
  it('a negative spot price, net metering, VAT on feed-in', () => {
    const p = F.consumerPrices(-50, F.PRESETS.NL);
    close(p.importPrice, (-0.05 + 0.02 + 0.0916) * 1.21);
    close(p.exportPrice, -0.07);
    const net = F.consumerPrices(80, { ...F.PRESETS.NL, netMetering: true });
    close(net.exportPrice, net.importPrice);
    close(F.consumerPrices(200, { ...F.PRESETS.spot, exportFactor: 0.9, exportMarkup: 0.01, exportVatPct: 21 }).exportPrice, (0.18 - 0.01) * 1.21);
  });
  it('the editor offers the same presets as the library', () => {
    const html = fs.readFileSync(path.join(__dirname, '../../nodes/tariff/editor.html'), 'utf8');
    const json = /\/\*presets\*\/(.*?)\/\*presets\*\//.exec(html)[1];
    assert.deepEqual(JSON.parse(json), F.PRESETS);
  });
});

describe('price slots', () => {
  it('parses a message list: ISO and ms times, missing ends from the next start, EUR/kWh', () => {
    const s = P.parsePriceMessage({ kind: 'prices', unit: 'EUR/kWh', slots: [{ start: '2026-01-05T01:00:00+01:00', price: 0.1 }, { start: iso('2026-01-05T01:00:00Z'), price: '0.12' }] }, 'EUR/MWh');
    assert.deepEqual(s, [
      { start: iso('2026-01-05T00:00:00Z'), end: iso('2026-01-05T01:00:00Z'), spot: 100 },
      { start: iso('2026-01-05T01:00:00Z'), end: iso('2026-01-05T02:00:00Z'), spot: 120 },
    ]);
  });
  it('parses Home Assistant attributes (raw_today + raw_tomorrow with start and end)', () => {
    const s = P.parsePriceMessage({ raw_today: [{ start: '2026-01-05T00:00:00+01:00', end: '2026-01-05T00:15:00+01:00', value: 80 }], raw_tomorrow: [{ start: '2026-01-06T00:00:00+01:00', end: '2026-01-06T00:15:00+01:00', value: 90 }] }, 'EUR/MWh');
    assert.equal(s.length, 2);
    assert.equal(s[0].end - s[0].start, 15 * MIN);
    assert.equal(s[1].spot, 90);
  });
  it('rejects malformed prices naming the field', () => {
    assert.match(P.parsePriceMessage([{ start: 'x', price: 1 }], 'EUR/MWh').error, /payload\[0\]\.start/);
    assert.match(P.parsePriceMessage([{ start: 0, price: 'NaN' }], 'EUR/MWh').error, /payload\[0\]\.price/);
    assert.match(P.parsePriceMessage([{ start: 1000, end: 10, price: 1 }], 'EUR/MWh').error, /payload\[0\]\.end/);
    assert.match(P.parsePriceMessage(42, 'EUR/MWh').error, /not a price list/);
    assert.match(M.tariffInput({ payload: { kind: 'meter', energy: { importWh: -1, exportWh: 0 } } }, 'EUR/MWh', 0).error, /importWh/);
  });
  it('the real NL prices: 60-minute slots until 2025-09-30, 15-minute from 2025-10-01 00:00 local', () => {
    const slots = P.parsePriceCsv(fs.readFileSync(NL_CSV, 'utf8'), 'EUR/MWh');
    const book = new P.PriceBook();
    book.load(slots);
    const spec = { source: 'dynamic', timeZone: 'Europe/Amsterdam', importPrice: 0.3, exportPrice: 0.05, formula: F.PRESETS.spot };
    const before = T.priceAt(spec, book, iso('2025-09-30T21:30:00Z'));
    assert.deepEqual([before.start, before.end, before.spot], [iso('2025-09-30T21:00:00Z'), iso('2025-09-30T22:00:00Z'), 90]);
    const after = T.priceAt(spec, book, iso('2025-09-30T22:20:00Z'));
    assert.deepEqual([after.start, after.end, after.spot], [iso('2025-09-30T22:15:00Z'), iso('2025-09-30T22:30:00Z'), 92.2]);
    const coming = T.comingSlots(spec, book, iso('2025-09-30T21:30:00Z'), H);
    assert.deepEqual(coming.map((s) => (s.end - s.start) / MIN), [60, 15, 15]);
    // the hour missing in the data (second 02:00 on 2024-10-27): the fixed fallback, flagged
    const hole = T.priceAt(spec, book, iso('2024-10-27T01:30:00Z'));
    assert.deepEqual([hole.source, hole.importPrice], ['fallback', 0.3]);
    assert.equal(P.toQuarters([before]).length, 4);
  });
  it('a book replaces overlapping slots and prunes old ones', () => {
    const b = new P.PriceBook(H);
    const t = iso('2026-01-05T00:00:00Z');
    b.add([{ start: t, end: t + H, spot: 1 }, { start: t + H, end: t + 2 * H, spot: 2 }], t);
    b.add([{ start: t + H, end: t + H + 15 * MIN, spot: 3 }], t);
    assert.equal(b.at(t + H + MIN).spot, 3);
    assert.equal(b.at(t + H + 20 * MIN), undefined);
    b.add([{ start: t + 5 * H, end: t + 6 * H, spot: 4 }], t + 3 * H);
    assert.equal(b.at(t + 10), undefined);
  });
});

describe('table tariff across DST', () => {
  const imp = Array.from({ length: 7 }, (_, d) => Array.from({ length: 24 }, (_, h) => d * 100 + h));
  const spec = { source: 'table', timeZone: 'Europe/Amsterdam', importPrice: 0, exportPrice: 0, importTable: imp, exportTable: imp, formula: F.PRESETS.spot };
  it('23-hour day: 01:00 UTC is 03:00 local, hour slots stay one hour', () => {
    const p = T.priceAt(spec, undefined, iso('2026-03-29T01:10:00Z'));
    assert.deepEqual([p.importPrice, p.start, p.end], [603, iso('2026-03-29T01:00:00Z'), iso('2026-03-29T02:00:00Z')]);
    const day = T.comingSlots(spec, undefined, iso('2026-03-28T23:00:00Z'), 23 * H);
    assert.equal(day.length, 23);
    assert.ok(!day.some((s) => s.importPrice === 602));
  });
  it('25-hour day: both 02:00 hours take the 02:00 price', () => {
    const day = T.comingSlots(spec, undefined, iso('2026-10-24T22:00:00Z'), 25 * H);
    assert.equal(day.length, 25);
    assert.deepEqual(day.filter((s) => s.importPrice === 602).map((s) => s.start), [iso('2026-10-25T00:00:00Z'), iso('2026-10-25T01:00:00Z')]);
    assert.match(T.checkTable([[1]], 't'), /must be 7 days/);
  });
  it('config: a table that is not 7 × 24 numbers is rejected', () => {
    const base = { source: 'table', timeZone: 'Europe/Amsterdam', importPrice: 0.3, exportPrice: 0.05, ...F.PRESETS.NL, importTable: JSON.stringify(imp), exportTable: '[]' };
    assert.throws(() => C.tariffSpec(base), /config\.exportTable: must be 7 days/);
    assert.equal(C.tariffSpec({ ...base, exportTable: JSON.stringify(imp) }).importTable[6][23], 623);
    assert.equal(C.tariffSpec({ ...base, exportTable: '' }).exportTable[3][7], 0.05, 'an empty table is the fixed price every hour');
  });
  it('config: unpainted (null) cells take the fixed price of the config, so a later change of it reaches them', () => {
    const painted = Array.from({ length: 7 }, () => Array(24).fill(null));
    painted[2][18] = 0.45;
    const base = { source: 'table', timeZone: 'Europe/Amsterdam', importPrice: 0.3, exportPrice: 0.05, ...F.PRESETS.NL, importTable: JSON.stringify(painted), exportTable: '' };
    const t = C.tariffSpec(base).importTable;
    assert.deepEqual([t[2][18], t[2][17], t[0][0]], [0.45, 0.3, 0.3]);
    const later = C.tariffSpec({ ...base, importPrice: 0.25 }).importTable;
    assert.deepEqual([later[2][18], later[2][17], later[6][23]], [0.45, 0.25, 0.25]);
    painted[1][3] = 'x';
    assert.throws(() => C.tariffSpec({ ...base, importTable: JSON.stringify(painted) }), /config\.importTable\[1\]\[3\]: must be a number \(EUR\/kWh\) or null/);
    assert.match(T.checkTable(JSON.parse(JSON.stringify(Array.from({ length: 7 }, () => Array(24).fill(null)))), 't'), /t\[0\]\[0\]: must be a number/, 'the library check without nulls still wants numbers');
  });
});

describe('cost account', () => {
  // 48 EUR per kW per year = 4 EUR per kW and month
  const params = { timeZone: 'Europe/Amsterdam', basicChargePerMonth: 31, capacityRate: 48, capacityMinKW: 2.5 };
  const price = (t) => ({ importPrice: new Date(t).getUTCHours() < 6 ? 0.1 : 0.3, exportPrice: 0.05 });
  /** March 2026 (with the 23-hour day) in 15-minute readings: 1 kW import always, 2 kW export 10–14 UTC. */
  function readings() {
    const out = [];
    let imp = 1_000_000;
    let exp = 50_000;
    for (let t = iso('2026-02-28T23:00:00Z'); t <= iso('2026-03-31T22:00:00Z'); t += 15 * MIN) {
      out.push({ importWh: imp, exportWh: exp, timestamp: t });
      imp += 250;
      const h = new Date(t).getUTCHours();
      if (h >= 10 && h < 14) exp += 500;
    }
    return out;
  }
  function run(rs, s) {
    for (const r of rs) A.addReading(s, r, price(s.last ? s.last.at : r.timestamp), params);
    return s;
  }
  it('a month: kWh, cost and revenue as hand-computed; the 23-hour day books 23 kWh', () => {
    const rs = readings();
    const s = run(rs.slice(0, -1), A.newAccount(rs[0].timestamp, params.timeZone));
    A.setPeak(s, 3200);
    const v = A.accountView(s, params);
    assert.equal(v.month.month, '2026-03');
    assert.equal(v.today.day, '2026-03-31');
    close(v.today.basicCharge, 1);
    close(v.month.capacityCost, (3.2 * 48) / 12);
    assert.deepEqual([v.month.billedMeanKW, v.month.capacityRate, v.month.capacityFrom], [3.2, 48, 'month peak']);
    run(rs.slice(-1), s); // 00:00 on 1 April: the last quarter is booked to March, then the month rolls over
    const m = s.lastMonth;
    assert.equal(m.month, '2026-03');
    close(m.importKWh, 743); // 744 h − the spring-forward hour
    close(m.exportKWh, 31 * 8);
    close(m.importCost, 31 * 6 * 0.1 + (743 - 31 * 6) * 0.3, 1e-6);
    close(m.exportRevenue, 31 * 8 * 0.05, 1e-6);
    assert.equal(m.peakKW, 3.2);
    assert.equal(s.month, '2026-04');
    const w = A.accountView(s, params);
    close(w.month.net, 31 + 10, 1e-9); // April: the monthly basic charge + the 2.5 kW minimum × 48 / 12, no energy yet
    const days = {};
    const t = A.newAccount(iso('2026-02-28T23:00:00Z'), params.timeZone);
    for (const r of readings()) {
      A.addReading(t, r, price(t.last ? t.last.at : r.timestamp), params);
      if (t.yesterday) days[t.yesterday.day] = t.yesterday.importKWh;
    }
    close(days['2026-03-29'], 23);
    close(days['2026-03-28'], 24);
  });
  it('a restart halfway (state through JSON, as context stores it) gives the same totals', () => {
    const rs = readings();
    const straight = run(rs, A.newAccount(rs[0].timestamp, params.timeZone));
    const first = run(rs.slice(0, 1000), A.newAccount(rs[0].timestamp, params.timeZone));
    const restored = A.restoreAccount(JSON.parse(JSON.stringify(first)), rs[1000].timestamp, params.timeZone);
    run(rs.slice(1000), restored);
    assert.deepEqual(A.accountView(restored, params), A.accountView(straight, params));
    assert.equal(A.restoreAccount({ version: 7 }, rs[0].timestamp, params.timeZone).thisMonth.importKWh, 0);
  });
  it('month rollover archives the month with its peak; jumps and old readings book nothing', () => {
    const s = A.newAccount(iso('2026-03-31T21:00:00Z'), params.timeZone);
    assert.equal(A.addReading(s, { importWh: 100, exportWh: 0, timestamp: iso('2026-03-31T21:00:00Z') }, price(0), params), 'baseline');
    A.setPeak(s, 5000);
    assert.equal(A.addReading(s, { importWh: 1100, exportWh: 0, timestamp: iso('2026-03-31T22:00:00Z') }, { importPrice: 0.3, exportPrice: 0 }, params), 'booked');
    assert.deepEqual([s.lastMonth.month, s.lastMonth.importKWh, s.lastMonth.peakKW, s.month, s.peakKW], ['2026-03', 1, 5, '2026-04', 0]);
    assert.equal(A.addReading(s, { importWh: 900, exportWh: 0, timestamp: iso('2026-03-31T22:15:00Z') }, price(0), params), 'jump');
    assert.equal(A.addReading(s, { importWh: 950, exportWh: 0, timestamp: iso('2026-03-31T22:10:00Z') }, price(0), params), 'ignored');
    assert.equal(A.addReading(s, { importWh: 1e9, exportWh: 0, timestamp: iso('2026-03-31T22:30:00Z') }, price(0), params), 'jump');
    assert.equal(s.thisMonth.importKWh, 0);
    assert.equal(A.accountView(s, params).month.capacityCost, 10); // minimum 2.5 kW × 48 / 12
  });
});

describe('capacity component from a peak-shaving state (the Belgian 12-month mean)', () => {
  const { CapacityAccount } = require(path.join(dist, 'lib/control/peak-shaving/account'));
  const params = { timeZone: 'Europe/Brussels', basicChargePerMonth: 0, capacityRate: 60, capacityMinKW: 2.5 };
  const now = iso('2026-03-15T12:00:00Z');
  /** Peak shaving's account with 11 past months and March: peaks 2.0 (floored to 2.5), 3, 4, … kW. */
  function peakShavingState(rate) {
    const acc = new CapacityAccount('Europe/Brussels', rate);
    const months = ['2025-04', '2025-05', '2025-06', '2025-07', '2025-08', '2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02', '2026-03'];
    months.forEach((m, i) => acc.current(m, i === 0 ? 2000 : 2000 + 500 * i));
    return { kind: 'peak-shaving-state', monthKey: '2026-03', monthPeakW: 7500, account: acc.summary(now) };
  }
  // billed mean: (2.5 + 2.5 + 3 + 3.5 + … + 7.5) / 12 = (2.5 + Σ_{i=1..11} (2 + 0.5 i)) / 12 = (2.5 + 22 + 33) / 12
  const meanKW = (2.5 + 22 + 33) / 12;

  it("with peak shaving's rate: its billed mean and its monthly cost (49.40 EUR/kW/year, Antwerpen 2026)", () => {
    const msg = peakShavingState(49.4);
    assert.equal(msg.account.billedMeanW, Math.round(meanKW * 1000));
    const r = M.tariffInput({ payload: msg }, 'EUR/MWh', now);
    assert.equal(r.what, 'peak');
    const s = A.newAccount(now, params.timeZone);
    A.setPeak(s, r.peakW, r.report);
    const v = A.accountView(s, params).month;
    assert.equal(v.capacityFrom, 'peak-shaving');
    assert.equal(v.peakKW, 7.5);
    close(v.billedMeanKW, Math.round(meanKW * 1000) / 1000);
    assert.equal(v.capacityRate, 49.4);
    assert.equal(v.capacityCost, msg.account.costPerMonthEur);
    close(v.capacityCost, Math.round(((Math.round(meanKW * 1000) / 1000) * 49.4 * 100) / 12) / 100, 0.006);
  });
  it("without a rate in peak shaving: its billed mean × this node's rate ÷ 12; a month rollover drops it", () => {
    const msg = peakShavingState(null);
    const r = M.tariffInput({ payload: msg }, 'EUR/MWh', now);
    assert.deepEqual(r.report, { billedMeanW: Math.round(meanKW * 1000) });
    const s = A.newAccount(now, params.timeZone);
    A.setPeak(s, r.peakW, r.report);
    const v = A.accountView(s, params).month;
    assert.equal(v.capacityFrom, 'peak-shaving');
    close(v.capacityCost, (Math.round(meanKW * 1000) / 1000) * 5, 1e-4); // 60 / 12 = 5 EUR per kW and month
    // only a month peak (topic "peak"): that month alone, at least the 2.5 kW floor
    const only = A.newAccount(now, params.timeZone);
    A.setPeak(only, M.tariffInput({ topic: 'peak', payload: 2000 }, 'EUR/MWh', now).peakW);
    assert.deepEqual([A.accountView(only, params).month.billedMeanKW, A.accountView(only, params).month.capacityCost, A.accountView(only, params).month.capacityFrom], [2.5, 12.5, 'month peak']);
    A.rollOver(s, iso('2026-04-01T00:00:00Z'), params.timeZone);
    const april = A.accountView(s, params).month;
    assert.deepEqual([april.month, april.capacityFrom, april.billedMeanKW, april.capacityCost], ['2026-04', 'month peak', 2.5, 12.5]);
  });
  it('a malformed account is an error naming the field; null or absent is a month peak alone', () => {
    const bad = [
      [{ billedMeanW: -1 }, /account\.billedMeanW/],
      [{ billedMeanW: 'x' }, /account\.billedMeanW/],
      [{ billedMeanW: 3000, rateEurPerKWYear: -5, costPerMonthEur: 1 }, /account\.rateEurPerKWYear/],
      [{ billedMeanW: 3000, rateEurPerKWYear: 50, costPerMonthEur: 'a' }, /account\.costPerMonthEur/],
      [[1, 2], /payload\.account/],
    ];
    for (const [account, re] of bad) assert.match(M.tariffInput({ payload: { kind: 'peak-shaving-state', monthPeakW: 3000, account } }, 'EUR/MWh', now).error, re);
    assert.deepEqual(M.tariffInput({ payload: { kind: 'peak-shaving-state', monthPeakW: 3000, account: null } }, 'EUR/MWh', now), { what: 'peak', peakW: 3000 });
    assert.deepEqual(M.tariffInput({ payload: { monthPeakW: 3000 } }, 'EUR/MWh', now), { what: 'peak', peakW: 3000 });
  });
});
