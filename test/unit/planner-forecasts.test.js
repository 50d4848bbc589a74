'use strict';
// The battery planner's own forecasts: the clear-sky PV model (lib/control/planner/clear-sky.ts:
// NOAA / Meeus sun position checked against published worked examples and the suncalc library,
// Meinel clear-sky beam, isotropic transposition) and the load history
// (lib/control/planner/load-history.ts: same weekday and local time over the last weeks, through
// a restart and both DST changes), and how the node's inputs and slots use them (inputs.ts).
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const SunCalc = require('suncalc');
const dist = path.join(__dirname, '../../dist');
const C = require(path.join(dist, 'lib/control/planner/clear-sky'));
const L = require(path.join(dist, 'lib/control/planner/load-history'));
const I = require(path.join(dist, 'lib/control/planner/inputs'));

const Q = 15 * 60_000;
const H = 3_600_000;
const DAY = 24 * H;
const WEEK = 7 * DAY;
const near = (a, b, eps, what = '') => assert.ok(Math.abs(a - b) <= eps, `${what} ${a} is not within ${eps} of ${b}`);
const angle = (a, b) => Math.min(Math.abs(a - b), 360 - Math.abs(a - b));

describe('sun position (NOAA / Meeus)', () => {
  it('Meeus, Astronomical Algorithms, example 25.a and 28.b: 1992-10-13 0h, declination −7.78507°, equation of time +13 min 42.7 s', () => {
    const p = C.sunPosition(Date.UTC(1992, 9, 13), 0, 0);
    near(p.declinationDeg, -7.78507, 0.0002, 'declination');
    near(p.equationOfTimeMin, 13 + 42.7 / 60, 0.01, 'equation of time');
  });
  it('NREL SPA report (Reda & Andreas 2004), its example: 2003-10-17 12:30:30 −07:00 at 39.742476 N 105.1786 W → zenith 50.11162°, azimuth 194.34024°', () => {
    const p = C.sunPosition(Date.parse('2003-10-17T12:30:30-07:00'), 39.742476, -105.1786);
    near(90 - p.elevationDeg, 50.11162, 0.02, 'zenith');
    near(p.azimuthDeg, 194.34024, 0.02, 'azimuth');
  });
  it('agrees with the suncalc library within 0.05° elevation and 0.1° azimuth (sun above 5°, six sites, a year in 15-minute steps, weekly)', () => {
    let n = 0;
    let maxEl = 0;
    let maxAz = 0;
    for (const [lat, lon] of [[52.37, 4.9], [50.85, 4.35], [39.74, -105.18], [-33.9, 18.4], [64.1, -21.9], [1.3, 103.8]]) {
      for (let d = 0; d < 365; d += 7) {
        for (let q = 0; q < 96; q++) {
          const t = Date.UTC(2026, 0, 1) + d * DAY + q * Q;
          const ours = C.sunPosition(t, lat, lon);
          const ref = SunCalc.getPosition(new Date(t), lat, lon);
          if (ref.altitude < 5) continue;
          n++;
          maxEl = Math.max(maxEl, Math.abs(ours.elevationDeg - ref.altitude));
          if (ours.elevationDeg < 85) maxAz = Math.max(maxAz, angle(ours.azimuthDeg, ref.azimuth));
        }
      }
    }
    assert.ok(n > 10_000, `${n} samples`);
    assert.ok(maxEl < 0.05, `max elevation difference ${maxEl}°`);
    assert.ok(maxAz < 0.1, `max azimuth difference ${maxAz}°`);
  });
  it('the sun is south at local solar noon in Amsterdam, north in Cape Town, and below the horizon at midnight', () => {
    // solar noon ≈ 12:00 UTC − 4 min × longitude − equation of time
    const noon = (lon, t) => t + (12 * 60 - 4 * lon - C.sunPosition(t + 12 * H, 0, lon).equationOfTimeMin) * 60_000;
    const ams = C.sunPosition(noon(4.9, Date.UTC(2026, 5, 21)), 52.37, 4.9);
    near(ams.azimuthDeg, 180, 0.1, 'azimuth');
    near(ams.elevationDeg, 90 - 52.37 + 23.43, 0.1, 'elevation at the June solstice');
    near(angle(C.sunPosition(noon(18.4, Date.UTC(2026, 5, 21)), -33.9, 18.4).azimuthDeg, 0), 0, 0.1);
    assert.ok(C.sunPosition(Date.UTC(2026, 5, 21, 23, 40), 52.37, 4.9).elevationDeg < 0);
  });
});

describe('clear-sky irradiance and panel planes', () => {
  it('Meinel: sun overhead 1353 × 0.7 = 947 W/m² direct, 10 % of it diffuse; nothing below the horizon', () => {
    const z = C.clearSkyIrradiance(90);
    near(z.dni, 947.1, 0.5, 'DNI');
    near(z.dhi, 94.7, 0.1, 'DHI');
    near(z.ghi, 1041.8, 0.6, 'GHI');
    near(C.airMass(60), 1.994, 0.002, 'Kasten–Young air mass at 60°');
    assert.deepEqual(C.clearSkyIrradiance(-1), { dni: 0, dhi: 0, ghi: 0 });
  });
  it('isotropic transposition: a flat plane sees the global value, a plane facing the sun all the beam, a wall facing away none of it', () => {
    const sun = { elevationDeg: 40, azimuthDeg: 180 };
    const irr = C.clearSkyIrradiance(40);
    near(C.planeIrradiance(sun, irr, 0, 0), irr.ghi, 1e-9);
    const facing = C.planeIrradiance(sun, irr, 50, 180);
    near(facing, irr.dni + (irr.dhi * (1 + Math.cos((50 * Math.PI) / 180))) / 2 + (irr.ghi * 0.2 * (1 - Math.cos((50 * Math.PI) / 180))) / 2, 1e-9);
    const north = C.planeIrradiance(sun, irr, 90, 0);
    near(north, irr.dhi / 2 + (irr.ghi * 0.2) / 2, 1e-9, 'diffuse and ground only');
  });
  it('10 × 400 Wp south at 35° in Amsterdam: 0 at night, the peak at solar noon, 25–32 kWh on a clear June day; east before west; the loss scales it', () => {
    const site = { latitude: 52.37, longitude: 4.9, groups: [{ count: 10, panelWp: 400, azimuth: 180, tilt: 35 }] };
    const day = C.clearSkyForecast(site, Date.UTC(2026, 5, 21), Date.UTC(2026, 5, 22));
    assert.equal(day.length, 96);
    assert.ok(day.every((s) => s.end - s.start === Q && s.w >= 0));
    assert.equal(day[0].w, 0, 'midnight');
    const kWh = day.reduce((a, s) => a + s.w, 0) / 4000;
    assert.ok(kWh > 25 && kWh < 32, `${kWh} kWh`);
    const peak = day.reduce((a, s) => (s.w > a.w ? s : a));
    near(peak.start, Date.UTC(2026, 5, 21, 11, 30), 30 * 60_000, 'peak slot near 11:40 UTC');
    assert.ok(peak.w < 4000 * 0.86 * 1.05 && peak.w > 4000 * 0.86 * 0.9, `peak ${peak.w} W (about 1000 W/m² on the plane)`);
    const east = C.clearSkyForecast({ ...site, groups: [{ count: 10, panelWp: 400, azimuth: 90, tilt: 35 }] }, Date.UTC(2026, 5, 21), Date.UTC(2026, 5, 22));
    const west = C.clearSkyForecast({ ...site, groups: [{ count: 10, panelWp: 400, azimuth: 270, tilt: 35 }] }, Date.UTC(2026, 5, 21), Date.UTC(2026, 5, 22));
    const peakAt = (f) => f.reduce((a, s) => (s.w > a.w ? s : a)).start;
    assert.ok(peakAt(east) < peak.start && peakAt(west) > peak.start);
    const both = C.clearSkyForecast({ ...site, groups: [site.groups[0], site.groups[0]], systemLoss: 0.28 }, Date.UTC(2026, 5, 21, 12), Date.UTC(2026, 5, 21, 13));
    const one = C.clearSkyForecast({ ...site, systemLoss: 0 }, Date.UTC(2026, 5, 21, 12), Date.UTC(2026, 5, 21, 13));
    both.forEach((s, i) => near(s.w, one[i].w * 2 * 0.72, 1.5));
  });
});

describe('load history: same weekday and time over the last weeks', () => {
  const TZ = 'Europe/Amsterdam';
  /** Readings every minute from `from` to `to` with the load given by f(t). */
  function feed(h, from, to, f, every = 60_000) {
    for (let t = from; t <= to; t += every) L.addLoad(h, t, f(t), TZ, 4);
  }
  const local = (iso) => Date.parse(iso); // ISO with offset

  it('the mean over the last 4 weeks (of 5 recorded) of the same weekday and time; nothing → undefined', () => {
    const h = L.emptyHistory();
    const start = local('2026-01-05T00:00:00+01:00'); // a Monday
    // week k has load 100 × (k + 1) W plus 1 W per hour of the day
    feed(h, start, start + 5 * WEEK, (t) => 100 * (Math.floor((t - start) / WEEK) + 1) + Math.floor(((t - start) % DAY) / H));
    const next = start + 5 * WEEK + 10 * H; // Monday 10:00 of week 6
    near(L.historyLoadW(h, next, TZ, 4), (200 + 300 + 400 + 500) / 4 + 10, 1e-9);
    near(L.historyLoadW(h, next, TZ, 1), 510, 1e-9);
    assert.equal(L.historyLoadW(L.emptyHistory(), next, TZ, 4), undefined);
    assert.ok(L.historySize(h) <= 4 * 7 * 96 + 96 + 1, 'older weeks pruned');
  });
  it('a restart in the middle (state through JSON, as context stores it) gives the same forecast as no restart', () => {
    const start = local('2026-02-02T00:00:00+01:00');
    const f = (t) => 300 + 200 * Math.sin(t / 7e6);
    const a = L.emptyHistory();
    feed(a, start, start + 2 * WEEK, f);
    const b1 = L.emptyHistory();
    feed(b1, start, start + WEEK + 3 * H + 7 * 60_000, f);
    const b = L.restoreHistory(JSON.parse(JSON.stringify(b1)));
    feed(b, start + WEEK + 3 * H + 8 * 60_000, start + 2 * WEEK, f);
    for (let t = start + 2 * WEEK; t < start + 3 * WEEK; t += 37 * Q) assert.equal(L.historyLoadW(b, t, TZ, 4), L.historyLoadW(a, t, TZ, 4));
    assert.deepEqual(L.restoreHistory({ version: 2 }), L.emptyHistory(), 'an unknown saved state starts empty');
    assert.deepEqual(L.restoreHistory('junk'), L.emptyHistory());
  });
  it('spring DST (2026-03-29): Sunday 10:00 local is forecast from Sunday 10:00 local a week before, not the same UTC hour', () => {
    const h = L.emptyHistory();
    const from = local('2026-03-22T00:00:00+01:00');
    // the load is the local hour × 100 W
    feed(h, from, local('2026-03-29T00:00:00+01:00'), (t) => 100 * new Date(t + H).getUTCHours());
    near(L.historyLoadW(h, local('2026-03-29T10:00:00+02:00'), TZ, 4), 1000, 1e-9);
    near(L.historyLoadW(h, local('2026-03-29T03:00:00+02:00'), TZ, 4), 300, 1e-9, 'the first hour after the skipped one');
  });
  it('autumn DST (2026-10-25): the repeated 02:00 hour books both passes into one slot, weighted; a week later 02:00 gets their mean', () => {
    const h = L.emptyHistory();
    const from = local('2026-10-25T00:00:00+02:00');
    const firstPass = local('2026-10-25T02:00:00+02:00');
    const secondPass = local('2026-10-25T02:00:00+01:00');
    feed(h, from, local('2026-10-25T06:00:00+01:00'), (t) => (t >= secondPass && t < secondPass + H ? 900 : t >= firstPass && t < firstPass + H ? 300 : 100));
    near(L.historyLoadW(h, local('2026-11-01T02:15:00+01:00'), TZ, 4), 600, 1e-9);
    near(L.historyLoadW(h, local('2026-11-01T04:00:00+01:00'), TZ, 4), 100, 1e-9);
  });
  it('gaps over 5 minutes book nothing; a slot needs readings over half of it; old and repeated readings are ignored', () => {
    const h = L.emptyHistory();
    const t0 = local('2026-01-05T00:00:00+01:00');
    L.addLoad(h, t0, 500, TZ, 4);
    L.addLoad(h, t0 + 10 * 60_000, 500, TZ, 4); // a 10-minute gap: nothing
    L.addLoad(h, t0 + 9 * 60_000, 9999, TZ, 4); // older than the last: ignored
    L.addLoad(h, t0 + 14 * 60_000, 500, TZ, 4);
    L.addLoad(h, t0 + 16 * 60_000, 500, TZ, 4); // the next slot: the first one closes with 5 of 15 minutes covered
    L.addLoad(h, t0 + 20 * 60_000, 700, TZ, 4);
    assert.equal(L.historyLoadW(h, t0 + WEEK, TZ, 4), undefined, 'only 5 minutes covered');
    for (let t = t0 + 21 * 60_000; t <= t0 + 31 * 60_000; t += 60_000) L.addLoad(h, t, 700, TZ, 4);
    near(L.historyLoadW(h, t0 + WEEK + Q, TZ, 4), (500 * 5 + 700 * 10) / 15, 1e-9);
  });
  it('household load = grid + battery (+ discharge) + PV, readings older than a minute left out', () => {
    const at = 1_000_000;
    assert.equal(L.householdLoadW(-200, at, { a: { w: 500, at }, b: { w: -100, at: at - 30_000 } }, { w: 1200, at }), 1400);
    assert.equal(L.householdLoadW(300, at, { a: { w: 500, at: at - 61_000 } }, { w: 1200, at: at - 120_000 }), 300);
  });
});

describe('planner inputs, config and slots with the forecasts', () => {
  const T0 = Date.parse('2026-06-21T10:00:00Z');
  const prices = [{ start: T0, end: T0 + 4 * H, importPrice: 0.3, exportPrice: 0.1 }];
  const site = { latitude: 52.37, longitude: 4.9, groups: [{ count: 10, panelWp: 400, azimuth: 180, tilt: 35 }], systemLoss: 0.14 };

  it('PV: a message where it covers a slot, clear sky for the rest; "clear-sky" ignores messages; without a site 0', () => {
    const pv = [{ start: T0, end: T0 + H, w: 111 }];
    const auto = I.buildSlots(prices, pv, [], 400, T0, 2, { pvSite: site });
    assert.deepEqual(auto.slice(0, 4).map((s) => s.pvW), [111, 111, 111, 111]);
    assert.equal(auto[4].pvW, C.clearSkyForecast(site, T0 + H, T0 + H + Q)[0].w);
    assert.ok(auto[4].pvW > 2000);
    const cs = I.buildSlots(prices, pv, [], 400, T0, 2, { pvSite: site, pvMessages: false });
    assert.equal(cs[0].pvW, C.clearSkyForecast(site, T0, T0 + Q)[0].w);
    assert.ok(I.buildSlots(prices, [], [], 400, T0, 1).every((s) => s.pvW === 0));
  });
  it('load: a message, else the history, else the constant', () => {
    const load = [{ start: T0, end: T0 + Q, w: 900 }];
    const s = I.buildSlots(prices, [], load, 400, T0, 1, { loadAt: (t) => (t === T0 + Q ? 650.4 : undefined) });
    assert.deepEqual(s.map((x) => x.loadW), [900, 650, 400, 400]);
  });
  it('config: panel groups and the location (from settings when blank), errors naming the field', () => {
    const ok = I.readPlannerConfig({ pvForecast: 'auto', panelGroups: [{ count: '10', panelWp: 400, azimuth: '180', tilt: 35 }], latitude: '', longitude: '' }, { latitude: 52.1, longitude: 5.1 });
    assert.equal(ok.ok, true);
    assert.deepEqual(ok.config.panelGroups, [{ count: 10, panelWp: 400, azimuth: 180, tilt: 35 }]);
    assert.deepEqual([ok.config.latitude, ok.config.longitude, ok.config.loadWeeks, ok.config.loadForecast, ok.config.systemLoss], [52.1, 5.1, 4, 'history', 14]);
    assert.deepEqual(I.pvSiteOf(ok.config), { latitude: 52.1, longitude: 5.1, groups: ok.config.panelGroups, systemLoss: 0.14 });
    const bad = I.readPlannerConfig({ panelGroups: [{ count: 1, panelWp: 400, azimuth: 180, tilt: 35 }, { count: 1, panelWp: 400, azimuth: 180, tilt: 95 }], latitude: 52, longitude: 5 });
    assert.match(bad.error, /^config\.panelGroups\[1\]\.tilt/);
    assert.match(I.readPlannerConfig({ panelGroups: [{ count: 1, panelWp: 400, azimuth: 180, tilt: 35 }] }).error, /^config\.latitude: .*location/);
    assert.match(I.readPlannerConfig({ pvForecast: 'clear-sky' }).error, /^config\.panelGroups/);
    assert.match(I.readPlannerConfig({ latitude: '52,1' }).error, /^config\.latitude/);
    assert.match(I.readPlannerConfig({ timeZone: 'Mars/Olympus' }).error, /^config\.timeZone/);
    assert.match(I.readPlannerConfig({ loadWeeks: 0 }).error, /^config\.loadWeeks/);
    assert.equal(I.readPlannerConfig({ pvForecast: 'message', panelGroups: [{ count: 1, panelWp: 400, azimuth: 180, tilt: 35 }] }).ok, true, 'no location needed without clear sky');
  });
  it('readings: meter, battery (SoC may be null), topic grid / pv / soc; errors name the field', () => {
    assert.deepEqual(I.plannerInput({ payload: { kind: 'meter', timestamp: 5, power: -300 } }, 9), { what: 'grid', w: -300, at: 5 });
    assert.deepEqual(I.plannerInput({ payload: { kind: 'battery', source: 'sessy', serial: 'AB12', soc: null, power: 700 } }, 9), { what: 'battery', source: 'AB12', soc: null, w: 700, at: 9 });
    assert.deepEqual(I.plannerInput({ topic: 'grid', payload: 250 }, 9), { what: 'grid', w: 250, at: 9 });
    assert.deepEqual(I.plannerInput({ topic: 'pv', payload: 1800 }, 9), { what: 'pv-power', w: 1800, at: 9 });
    assert.deepEqual(I.plannerInput({ topic: 'battery', payload: -500 }, 9), { what: 'battery', source: 'topic battery', soc: null, w: -500, at: 9 });
    assert.deepEqual(I.plannerInput({ payload: { kind: 'peak-shaving-state', monthPeakW: 2600 } }), { what: 'peak', peakW: 2600 });
    assert.deepEqual(I.plannerInput({ topic: 'peak', payload: 3100 }), { what: 'peak', peakW: 3100 });
    assert.match(I.plannerInput({ payload: { kind: 'meter' } }).error, /^payload\.power/);
    assert.match(I.plannerInput({ payload: { kind: 'battery', soc: 120, power: 0 } }).error, /^payload\.soc/);
    assert.match(I.plannerInput({ topic: 'pv', payload: 'lots' }).error, /topic "pv"/);
  });
});

describe('forecast messages combine by time', () => {
  const Q = 15 * 60_000;
  const T = Date.parse('2026-06-01T00:00:00Z');
  const slots = (from, n, w) => Array.from({ length: n }, (_, i) => ({ start: T + (from + i) * Q, end: T + (from + i + 1) * Q, w }));
  it('a tomorrow forecast adds to today, a new today replaces only what it spans, past slots go, an empty list clears', () => {
    const today = slots(0, 96, 500);
    const tomorrow = slots(96, 96, 800);
    let f = I.mergeForecast([], today, T);
    f = I.mergeForecast(f, tomorrow, T);
    assert.equal(f.length, 192);
    assert.deepEqual([f[0].w, f[95].w, f[96].w, f[191].w], [500, 500, 800, 800]);
    // An update of the afternoon (slots 48–71) at 10:00: the morning before 10:00 has ended and goes,
    // 10:00–12:00 stays as it was, the afternoon is new, tomorrow stays.
    f = I.mergeForecast(f, slots(48, 24, 1200), T + 40 * Q);
    assert.equal(f[0].start, T + 40 * Q);
    assert.deepEqual(f.map((s) => s.w).slice(0, 8), [500, 500, 500, 500, 500, 500, 500, 500]);
    assert.equal(f.find((s) => s.start === T + 48 * Q).w, 1200);
    assert.equal(f.find((s) => s.start === T + 72 * Q).w, 500);
    assert.equal(f.find((s) => s.start === T + 100 * Q).w, 800);
    assert.equal(f.length, 192 - 40);
    for (let i = 1; i < f.length; i++) assert.ok(f[i].start >= f[i - 1].end, 'sorted, no overlap');
    assert.deepEqual(I.mergeForecast(f, [], T), []);
  });
});
