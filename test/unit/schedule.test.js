'use strict';
// The schedule library: boundaries across midnight and DST (a 23-hour and a 25-hour day in
// Europe/Amsterdam), 15-minute cells, exceptions, overrides and the config parser.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const dist = path.join(__dirname, '../../dist');
const S = require(path.join(dist, 'lib/control/schedule/schedule'));
const C = require(path.join(dist, 'lib/control/schedule/config'));
const M = require(path.join(dist, 'lib/control/schedule/messages'));

const H = 3_600_000;
const TZ = 'Europe/Amsterdam';
function spec(fill, extra = {}) {
  const table = S.emptyTable(extra.cellMinutes ?? 60);
  fill(table);
  return { timeZone: TZ, cellMinutes: 60, table, default: 'balance', exceptions: [], ...extra };
}
const iso = (s) => Date.parse(s);

describe('schedule boundaries', () => {
  it('a cell across midnight: Mon 22:00–Tue 06:00 charge, boundary at 06:00 local', () => {
    const s = spec((t) => {
      t[0][22] = t[0][23] = 'charge';
      for (let h = 0; h < 6; h++) t[1][h] = 'charge';
    });
    // Monday 2026-01-05 23:30 CET = 22:30 UTC
    const e = S.current(s, iso('2026-01-05T22:30:00Z'));
    assert.equal(e.value, 'charge');
    assert.equal(e.source, 'table');
    assert.equal(e.until, iso('2026-01-06T05:00:00Z')); // Tue 06:00 CET
    const next = S.current(s, e.until);
    assert.equal(next.value, 'balance');
    assert.equal(next.source, 'default');
    assert.equal(next.until, iso('2026-01-12T21:00:00Z')); // next Monday 22:00 CET
  });

  it('the 23-hour day (2026-03-29): the skipped 02:00 cell never plays, 03:00 starts at 01:00 UTC', () => {
    const s = spec((t) => {
      t[6][1] = 'hold';
      t[6][2] = 'charge'; // does not exist that day
      t[6][3] = 'peak-shaving';
    });
    const at0100 = S.current(s, iso('2026-03-29T00:00:00Z')); // 01:00 CET
    assert.equal(at0100.value, 'hold');
    assert.equal(at0100.until, iso('2026-03-29T01:00:00Z')); // 03:00 CEST
    const at0300 = S.current(s, at0100.until);
    assert.equal(at0300.value, 'peak-shaving');
    assert.equal(at0300.until, iso('2026-03-29T02:00:00Z')); // 04:00 CEST, one hour later
    const runs = S.upcoming(s, iso('2026-03-28T23:00:00Z'), undefined, 24 * H).map((r) => r.value);
    assert.ok(!runs.includes('charge'), 'the skipped hour never plays');
  });

  it('the 25-hour day (2026-10-25): the repeated 02:00 cell lasts two hours', () => {
    const s = spec((t) => {
      t[6][2] = 'charge';
    });
    const e = S.current(s, iso('2026-10-25T00:00:00Z')); // 02:00 CEST (first)
    assert.equal(e.value, 'charge');
    assert.equal(e.until, iso('2026-10-25T02:00:00Z')); // 03:00 CET, two hours later
    const before = S.current(s, iso('2026-10-24T23:30:00Z'));
    assert.equal(before.value, 'balance');
    assert.equal(before.until, iso('2026-10-25T00:00:00Z'));
  });

  it('15-minute cells: boundaries on the quarter, across the DST change too', () => {
    const s = spec((t) => {
      t[0][4 * 7 + 1] = 'charge'; // Mon 07:15–07:30
    }, { cellMinutes: 15 });
    const e = S.current(s, iso('2026-01-05T06:16:00Z')); // 07:16 CET
    assert.equal(e.value, 'charge');
    assert.equal(e.until, iso('2026-01-05T06:30:00Z'));
    assert.equal(S.current(s, e.until).until, iso('2026-01-12T06:15:00Z'));
    assert.equal(S.current(s, iso('2026-04-06T05:20:00Z')).value, 'charge'); // Mon 07:20 CEST
  });

  it('a constant schedule holds for the scan horizon', () => {
    const s = spec(() => {});
    const t = iso('2026-01-05T10:07:00Z');
    assert.equal(S.current(s, t).until, t + S.SCAN_MS);
  });
});

describe('schedule exceptions and overrides', () => {
  const s = spec((t) => {
    for (let d = 0; d < 5; d++) for (let h = 7; h < 9; h++) t[d][h] = 'charge';
    t[6][10] = 'hold';
  }, { exceptions: [{ from: '2026-12-25', to: '2026-12-26', asDay: 6, label: 'Christmas' }, { from: '2027-01-04', value: 'lock', label: 'away' }] });

  it('a holiday plays Sunday, an away day one value, and the boundary is the date change', () => {
    const fri = S.current(s, iso('2026-12-25T06:30:00Z')); // Friday 07:30, but Christmas
    assert.equal(fri.value, 'balance');
    assert.equal(fri.source, 'default');
    assert.equal(S.current(s, iso('2026-12-25T09:30:00Z')).value, 'hold'); // Sunday's 10:00
    const away = S.current(s, iso('2027-01-04T06:30:00Z'));
    assert.deepEqual([away.value, away.source, away.reason], ['lock', 'exception', 'exception away']);
    assert.equal(away.until, iso('2027-01-04T23:00:00Z')); // local midnight
  });

  it('an override holds until its time, "next" until the next boundary, then the table again', () => {
    const t = iso('2026-01-05T05:00:00Z'); // Mon 06:00
    const u = S.overrideUntil(s, t, 'next');
    assert.equal(u, iso('2026-01-05T06:00:00Z'));
    const o = { value: 'hold', until: u };
    const e = S.current(s, t, o);
    assert.deepEqual([e.value, e.source, e.until], ['hold', 'override', u]);
    assert.equal(S.current(s, u, o).value, 'charge');
    assert.deepEqual(S.overrideUntil(s, t, t - 1), { error: 'until: lies in the past' });
    assert.equal(S.overrideUntil(s, t, '2026-01-05T08:00:00+01:00'), iso('2026-01-05T07:00:00Z'));
    assert.ok('error' in S.overrideUntil(s, t, 'tomorrow'));
  });

  it('messages: override, mode, clear, refresh and errors', () => {
    const t = iso('2026-01-05T05:00:00Z');
    assert.deepEqual(M.scheduleInput({ payload: { kind: 'override', value: 'hold', until: t + H } }, s, 'text', t), { what: 'override', override: { value: 'hold', until: t + H } });
    assert.deepEqual(M.scheduleInput({ payload: { kind: 'mode', mode: 'charge' } }, s, 'text', t).override, { value: 'charge', until: iso('2026-01-05T06:00:00Z') });
    assert.deepEqual(M.scheduleInput({ payload: { kind: 'override', clear: true } }, s, 'text', t), { what: 'clear' });
    assert.deepEqual(M.scheduleInput({ payload: 'refresh' }, s, 'text', t), { what: 'refresh' });
    assert.match(M.scheduleInput({ payload: 42 }, s, 'text', t).error, /override/);
    assert.match(M.scheduleInput({ topic: 'override', payload: 'x' }, s, 'number', t).error, /^payload\.value: "x" is not a number$/);
    const m = M.valueMessage(S.current(s, t), 'mode', 'sch');
    assert.deepEqual(m, { topic: 'sch', payload: { kind: 'mode', mode: 'balance', until: iso('2026-01-05T06:00:00Z'), reason: 'schedule Mon 06:00 (default)', source: 'schedule' } });
  });

  it('the week payload lists runs over 7 days that tile the span', () => {
    const t = iso('2026-01-05T00:00:00Z');
    const w = M.weekPayload(s, t, undefined);
    assert.equal(w.kind, 'schedule-week');
    assert.equal(w.intervals[0].from, t);
    assert.equal(w.intervals.at(-1).to, t + 7 * 24 * H);
    for (let i = 1; i < w.intervals.length; i++) assert.equal(w.intervals[i].from, w.intervals[i - 1].to);
    assert.equal(w.intervals.filter((r) => r.value === 'charge').length, 5);
  });
});

describe('schedule config', () => {
  const base = { output: 'mode', valueType: 'text', cellMinutes: '60', default: 'balance', timeZone: TZ };
  it('parses table, exceptions and typed values', () => {
    const table = JSON.stringify(Array.from({ length: 7 }, () => Array.from({ length: 24 }, (_, h) => (h === 3 ? '1500' : ''))));
    const s = C.scheduleSpec({ ...base, valueType: 'number', default: '0', table, exceptions: '2026-12-25 Sun # Xmas\n\n2026-07-01..2026-07-14 -500' });
    assert.equal(s.table[2][3], 1500);
    assert.equal(s.table[2][4], null);
    assert.equal(s.default, 0);
    assert.deepEqual(s.exceptions, [{ from: '2026-12-25', asDay: 6, label: 'Xmas' }, { from: '2026-07-01', to: '2026-07-14', value: -500 }]);
  });
  it('rejects bad input naming the field', () => {
    assert.throws(() => C.scheduleSpec({ ...base, table: '[[1],[],[],[],[],[],[]]' }), /config\.table\[0\]: must have 24 cells/);
    assert.throws(() => C.scheduleSpec({ ...base, table: '{' }), /config\.table: not valid JSON/);
    assert.throws(() => C.scheduleSpec({ ...base, timeZone: 'Mars/Base' }), /config\.timeZone/);
    assert.throws(() => C.scheduleSpec({ ...base, exceptions: '25-12-2026 Sun' }), /exceptions line 1/);
    assert.throws(() => C.scheduleSpec({ ...base, exceptions: '2026-12-26..2026-12-25 Sun' }), /exceptions\[0\]\.to/);
    assert.throws(() => C.scheduleSpec({ ...base, valueType: 'number', default: 'x' }), /config\.default/);
  });
  it('a painted cell that does not fit the value type is an error naming the cell, not silently the default', () => {
    const table = JSON.stringify(Array.from({ length: 7 }, (_, d) => Array.from({ length: 24 }, (_, h) => (d === 1 && h === 7 ? 'charge' : h === 3 ? '1500' : ''))));
    assert.throws(() => C.scheduleSpec({ ...base, valueType: 'number', default: '0', table }), /^Error: config\.table\[1\]\[7\] \(Tue 07:00\): "charge" is not a number; repaint it or change Values$/);
    const q = JSON.stringify(Array.from({ length: 7 }, (_, d) => Array.from({ length: 96 }, (_, i) => (d === 6 && i === 41 ? 'maybe' : ''))));
    assert.throws(() => C.scheduleSpec({ ...base, cellMinutes: '15', valueType: 'boolean', default: 'false', table: q }), /config\.table\[6\]\[41\] \(Sun 10:15\): "maybe" is not true or false/);
    assert.throws(() => C.scheduleSpec({ ...base, valueType: 'number', default: 'balance' }), /^Error: config\.default: "balance" is not a number$/);
    assert.throws(() => C.scheduleSpec({ ...base, valueType: 'number', default: '0', exceptions: '2026-12-25 hold' }), /config\.exceptions line 1: "hold" is neither a number nor a weekday/);
  });
});

describe('schedule grid-target and grid-limit outputs', () => {
  const t = iso('2026-01-05T05:30:00Z'); // Mon 06:30 CET
  const base = { valueType: 'text', cellMinutes: '60', timeZone: TZ };
  const table = JSON.stringify(Array.from({ length: 7 }, () => Array.from({ length: 24 }, (_, h) => (h >= 6 && h < 8 ? '0..2500' : h === 8 ? '-300' : ''))));
  it('grid-target: a number is a point target, "min..max" a band; until = the next boundary; source names the schedule', () => {
    const s = C.scheduleSpec({ ...base, output: 'grid-target', default: '0', table });
    const m = M.valueMessage(S.current(s, t), 'grid-target', 'sch', 'schedule:s1');
    assert.deepEqual(m, { topic: 'sch', payload: { kind: 'grid-target', minW: 0, maxW: 2500, until: iso('2026-01-05T07:00:00Z'), reason: 'schedule Mon 06:00', source: 'schedule:s1' } });
    const p = M.valueMessage(S.current(s, iso('2026-01-05T07:10:00Z')), 'grid-target', 'sch', 'schedule:s1').payload;
    assert.deepEqual([p.minW, p.maxW, p.until], [-300, -300, iso('2026-01-05T08:00:00Z')]);
    const d = M.valueMessage(S.current(s, iso('2026-01-05T08:10:00Z')), 'grid-target', 'sch').payload;
    assert.deepEqual([d.minW, d.maxW], [0, 0], 'the default 0 W');
    // Numbers as values: points only.
    const n = C.scheduleSpec({ ...base, valueType: 'number', output: 'grid-target', default: '-50' });
    assert.deepEqual(M.valueMessage(S.current(n, t), 'grid-target', 'sch').payload.minW, -50);
  });
  it('grid-limit: a number is the import limit in W', () => {
    const lim = JSON.stringify(Array.from({ length: 7 }, () => Array.from({ length: 24 }, (_, h) => (h >= 17 && h < 21 ? '2500' : ''))));
    const s = C.scheduleSpec({ ...base, valueType: 'number', output: 'grid-limit', default: '10000', table: lim });
    const m = M.valueMessage(S.current(s, iso('2026-01-05T16:30:00Z')), 'grid-limit', 'sch', 'schedule:s1');
    assert.deepEqual(m.payload, { kind: 'grid-limit', maxImportW: 2500, until: iso('2026-01-05T20:00:00Z'), reason: 'schedule Mon 17:00', source: 'schedule:s1' });
  });
  it('cells, default, exceptions and overrides that are no constraint are errors naming the field', () => {
    assert.throws(() => C.scheduleSpec({ ...base, output: 'grid-target', default: 'balance' }), /^Error: config\.default: "balance" is not a grid target in W \(−100000 … 100000\) or a band "min\.\.max" in W$/);
    assert.throws(() => C.scheduleSpec({ ...base, output: 'grid-target', default: '0', table: table.replace('"-300"', '"2500..0"') }), /config\.table\[0\]\[8\] \(Mon 08:00\): "2500\.\.0" is not a grid target/);
    assert.throws(() => C.scheduleSpec({ ...base, output: 'grid-limit', default: '-5' }), /config\.default: "-5" is not an import limit in W/);
    assert.throws(() => C.scheduleSpec({ ...base, output: 'grid-limit', default: '5000', exceptions: '2026-12-25 lots' }), /exceptions line 1: "lots" is neither an import limit/);
    const s = C.scheduleSpec({ ...base, output: 'grid-target', default: '0' });
    assert.match(M.scheduleInput({ payload: { kind: 'override', value: 'hold' } }, s, 'text', t, 'grid-target').error, /^payload\.value: "hold" is not a grid target/);
    assert.deepEqual(M.scheduleInput({ payload: { kind: 'override', value: '-500..0' } }, s, 'text', t, 'grid-target').override.value, '-500..0');
  });
});
