'use strict';
// The capacity-tariff account of the peak-shaving node: month peaks from the meter's 0-0:98.1.0
// history (stamped with the start of the month after the peak) and from the node itself, the mean
// of the last 12 with the 2.5 kW floor, its cost at the rate, kept in context across a restart.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { CapacityAccount } = require(path.join(__dirname, '../../dist/lib/control/peak-shaving/account'));
const peakNode = require(path.join(__dirname, '../../dist/nodes/peak-shaving/peak-shaving.js'));
const { collect, waitFor } = require('../helpers');
helper.init(require.resolve('node-red'));

const TZ = 'Europe/Brussels';
const NOW = Date.parse('2026-12-10T12:00:00Z');

describe('CapacityAccount', () => {
  it('a meter entry stamped 1 September 00:00 local is the August peak; the mean floors each month at 2.5 kW; cost at the rate', () => {
    const a = new CapacityAccount(TZ, 54.2);
    // 1 Sep 2026 00:00 in Brussels (CEST) is 31 Aug 22:00 UTC
    assert.equal(a.fromMeter([{ month: '2026-08-31T22:00:00.000Z', peakW: 4200, at: '2026-08-12T18:15:00.000Z' }, { month: '2026-11-30T23:00:00.000Z', peakW: 1800, at: null }]), true);
    assert.equal(a.fromMeter([{ month: '2026-08-31T22:00:00.000Z', peakW: 4200, at: null }]), false, 'the same history again changes nothing');
    a.current('2026-12', 3100);
    const s = a.summary(NOW);
    assert.deepEqual(s.months.map((m) => [m.month, m.peakW, m.source]), [['2026-08', 4200, 'meter'], ['2026-11', 1800, 'meter'], ['2026-12', 3100, 'node']]);
    // (4200 + max(2500, 1800) + 3100) / 3
    assert.equal(s.billedMeanW, 3267);
    assert.equal(s.floorW, 2500);
    assert.equal(s.costPerYearEur, Math.round(3.267 * 54.2 * 100) / 100);
    assert.equal(s.costPerMonthEur, Math.round((s.costPerYearEur / 12) * 100) / 100);
  });

  it('keeps 12 months in the mean and 13 in the snapshot; the running month never goes down; no rate → no cost', () => {
    const a = new CapacityAccount(TZ, null);
    for (let m = 1; m <= 12; m++) a.current(`2026-${String(m).padStart(2, '0')}`, 3000 + m * 100);
    a.current('2025-12', 9000);
    a.current('2025-11', 9900);
    assert.equal(a.current('2026-12', 100), false, 'a lower value does not replace the month peak');
    const s = a.summary(NOW);
    assert.equal(s.months.length, 12);
    assert.equal(s.months[0].month, '2026-01');
    assert.equal(s.billedMeanW, Math.round((Array.from({ length: 12 }, (_, k) => 3100 + k * 100).reduce((x, y) => x + y, 0)) / 12));
    assert.equal(s.costPerYearEur, null);
    assert.equal(a.snapshot().months.length, 13, 'the oldest month beyond 13 is dropped');
    assert.equal(a.snapshot().months[0].month, '2025-12');
  });

  it('restore skips malformed rows; a month with nothing yet counts at the floor', () => {
    const a = new CapacityAccount(TZ, 49.4);
    a.restore({ version: 1, months: [{ month: '2026-11', peakW: 5000, source: 'node' }, { month: '2026-13', peakW: 1, source: 'node' }, { month: '2026-10', peakW: -5, source: 'meter' }, null, 'x'] });
    a.restore('garbage');
    const s = a.summary(NOW);
    assert.deepEqual(s.months.map((m) => [m.month, m.peakW]), [['2026-11', 5000], ['2026-12', 0]]);
    assert.equal(s.billedMeanW, 3750);
    assert.equal(a.fromMeter([{ month: 'not a date', peakW: 1 }, { month: null, peakW: 1 }, 7]), false);
    // A month peak beyond any house (1e21 W, a meter's garbage) is skipped, also from a saved store.
    assert.equal(a.fromMeter([{ month: '2026-09-30T22:00:00.000Z', peakW: 1e21 }]), false);
    assert.equal(a.current('2026-12', 1e21), false);
    const b = new CapacityAccount(TZ, 49.4);
    b.restore({ version: 1, months: [{ month: '2026-11', peakW: 9.6e12, source: 'node' }, { month: '2026-10', peakW: 4100, source: 'meter' }] });
    assert.deepEqual(b.snapshot().months.map((m) => [m.month, m.peakW]), [['2026-10', 4100]]);
  });
});

describe('peak-shaving node: the account in the state and in context', () => {
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));
  afterEach(() => helper.unload());

  it('takes the meter history, reports the billed mean and cost, and keeps the months in context', async () => {
    await helper.load([peakNode], [{ id: 'peak', type: 'peak-shaving', desiredPeak: 2500, rate: '57.10', wires: [[], [], ['state']] }, { id: 'state', type: 'helper' }]);
    const peak = helper.getNode('peak');
    const states = collect(helper.getNode('state'));
    const stamp = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1) - 3 * 3600_000).toISOString();
    peak.receive({ payload: { kind: 'meter', power: 1200, capacity: { currentAverageW: 1100, monthPeakW: 2000, history: [{ month: stamp, peakW: 6000, at: null }] } } });
    await waitFor(() => states.some((m) => m.payload.account && m.payload.account.months.some((x) => x.source === 'meter')), 5000, 'an account with the meter month');
    const acc = states.at(-1).payload.account;
    assert.equal(acc.rateEurPerKWYear, 57.1);
    const meter = acc.months.find((x) => x.source === 'meter');
    assert.equal(meter.peakW, 6000);
    assert.ok(acc.billedMeanW >= 2500);
    assert.equal(acc.costPerYearEur, Math.round((acc.billedMeanW / 1000) * 57.1 * 100) / 100);
    const saved = peak.context().get('capacityAccount');
    assert.ok(saved.months.some((x) => x.peakW === 6000 && x.source === 'meter'), JSON.stringify(saved));
  });
});
