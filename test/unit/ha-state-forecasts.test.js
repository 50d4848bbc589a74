'use strict';
// HA sensor attributes → tariff prices and planner PV forecasts (lib/ha/forecasts.ts): one fixture
// per integration, written here (own numbers) in the shape each integration's source gives its
// attributes; the outputs are checked through the tariff's and the planner's own input parsers, and
// seeded random attribute shapes never throw.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const dist = path.join(__dirname, '../../dist');
const { pricesFromAttributes, pvForecastFromAttributes, priceFactor } = require(path.join(dist, 'lib/ha/forecasts'));
const { stateToMessage } = require(path.join(dist, 'lib/ha/state'));
const { tariffInput } = require(path.join(dist, 'lib/tariff/messages'));
const { plannerInput } = require(path.join(dist, 'lib/control/planner/inputs'));
const { mulberry32 } = require('../helpers');

const H = 3_600_000;
const Q = 15 * 60_000;
const day = Date.parse('2026-01-05T00:00:00+01:00');
const iso = (ms, off = '+01:00') => {
  const h = off === 'Z' ? 0 : Number(off.slice(0, 3));
  return new Date(ms + h * H).toISOString().replace('.000Z', off === 'Z' ? 'Z' : off);
};

// custom-components/nordpool sensor.py: raw_today / raw_tomorrow = [{start, end, value}] in the
// sensor's unit "<currency>/<price_type>" (here EUR cents per kWh, price_in_cents true); 24 hours.
const nordpoolCents = {
  unit_of_measurement: 'c/kWh', unit: 'kWh', currency: 'EUR', price_in_cents: true, region: 'NL',
  raw_today: Array.from({ length: 24 }, (_, h) => ({ start: iso(day + h * H), end: iso(day + (h + 1) * H), value: 8 + h / 4 })),
  raw_tomorrow: [],
  tomorrow_valid: false,
};
// The same integration after 2025-10-01 with 15-minute slots, in EUR/MWh (price_type MWh); one null.
const nordpoolQuarter = {
  unit_of_measurement: 'EUR/MWh', unit: 'MWh', currency: 'EUR', price_in_cents: false,
  raw_today: Array.from({ length: 96 }, (_, i) => ({ start: iso(day + i * Q), end: iso(day + (i + 1) * Q), value: i === 5 ? null : 90 + i })),
  raw_tomorrow: Array.from({ length: 4 }, (_, i) => ({ start: iso(day + 24 * H + i * Q), end: iso(day + 24 * H + (i + 1) * Q), value: -12.5 })),
};
// JaccoR/hass-entso-e sensor.py: prices_today / prices_tomorrow / prices = [{time, price}] in EUR/kWh, strings allowed.
const entsoe = {
  unit_of_measurement: 'EUR/kWh', device_class: 'monetary',
  prices_today: [{ time: '2026-01-05 00:00:00+01:00', price: '0.0875' }, { time: '2026-01-05 01:00:00+01:00', price: 0.0821 }],
  prices_tomorrow: [],
  prices: [{ time: '2026-01-05 00:00:00+01:00', price: 0.0875 }, { time: '2026-01-05 01:00:00+01:00', price: 0.0821 }, { time: '2026-01-05 02:00:00+01:00', price: 0.079 }],
};
// bajansen/home-assistant-frank_energie sensor.py attr_fn: prices = PriceData.asdict() = [{from, till, price}], €/kWh.
const frank = {
  unit_of_measurement: '€/kWh',
  prices: [{ from: '2026-01-04T23:00:00Z', till: '2026-01-05T00:00:00Z', price: 0.1012 }, { from: '2026-01-05T00:00:00Z', till: '2026-01-05T01:00:00Z', price: 0.0954 }],
};
// BJReplay/ha-solcast-solar: detailedForecast = [{period_start, pv_estimate, pv_estimate10, pv_estimate90}], kW per 30 min.
const solcast = {
  unit_of_measurement: 'kWh',
  detailedForecast: Array.from({ length: 6 }, (_, i) => ({ period_start: iso(day + 11 * H + i * 1800_000), pv_estimate: [0.4, 1.2, 2.05, 2.5, 1.8, 0][i], pv_estimate10: 0.1, pv_estimate90: 3 })),
};
// HA core forecast_solar sensor.py _today_attributes (and rany2/ha-open-meteo-solar-forecast): watts = {ISO: W}, wh_period = {ISO: Wh}.
const forecastSolar = {
  unit_of_measurement: 'kWh',
  watts: { '2026-06-01T06:00:00+02:00': 120, '2026-06-01T07:00:00+02:00': 850, '2026-06-01T08:00:00+02:00': 1900 },
  wh_period: { '2026-06-01T06:00:00+02:00': 480, '2026-06-01T07:00:00+02:00': 1370, '2026-06-01T08:00:00+02:00': 2100 },
};
const openMeteoQuarter = {
  unit_of_measurement: 'kWh',
  wh_period: { '2026-06-01T12:00:00+02:00': 500, '2026-06-01T12:15:00+02:00': 510.5, '2026-06-01T12:30:00+02:00': 0 },
};

test('price units → EUR/MWh factor', () => {
  assert.equal(priceFactor({ unit_of_measurement: 'EUR/kWh' }), 1000);
  assert.equal(priceFactor({ unit_of_measurement: '€/kWh' }), 1000);
  assert.equal(priceFactor({ unit_of_measurement: 'c/kWh' }), 10);
  assert.equal(priceFactor({ unit_of_measurement: 'ct/kWh' }), 10);
  assert.equal(priceFactor({ unit_of_measurement: 'EUR/MWh' }), 1);
  assert.equal(priceFactor({ unit_of_measurement: 'EUR/Wh' }), 1e6);
  assert.equal(priceFactor({ currency: 'EUR', unit: 'kWh', price_in_cents: true }), 10, 'Nord Pool without a unit_of_measurement');
  assert.match(priceFactor({ unit_of_measurement: 'SEK/kWh' }).error, /SEK prices are not converted/);
  assert.match(priceFactor({ unit_of_measurement: 'Öre/kWh' }).error, /EUR/);
  assert.match(priceFactor({ unit_of_measurement: 'EUR' }).error, /not a price per energy/);
  assert.match(priceFactor({}).error, /no unit_of_measurement/);
});

test('Nord Pool hourly in c/kWh → EUR/MWh; the tariff takes it and prices the slot at 10:30', () => {
  const r = pricesFromAttributes(nordpoolCents);
  assert.equal(r.format, 'nordpool');
  assert.equal(r.payload.kind, 'prices');
  assert.equal(r.payload.unit, 'EUR/MWh');
  assert.equal(r.payload.slots.length, 24);
  assert.deepEqual(r.payload.slots[10], { start: day + 10 * H, end: day + 11 * H, price: 105 }, '10.5 c/kWh = 105 EUR/MWh');
  const t = tariffInput({ payload: r.payload }, 'EUR/kWh', day);
  assert.equal(t.what, 'prices');
  assert.equal(t.slots.length, 24);
  const at = t.slots.find((s) => day + 10.5 * H >= s.start && day + 10.5 * H < s.end);
  assert.equal(at.spot, 105, 'the node unit EUR/kWh is overridden by the message unit');
});

test('Nord Pool 15-minute slots in EUR/MWh, negative prices, a null value is skipped', () => {
  const r = pricesFromAttributes(nordpoolQuarter);
  assert.equal(r.payload.slots.length, 99);
  assert.equal(r.skipped, 1);
  assert.equal(r.payload.slots.find((s) => s.start === day + 4 * Q).price, 94);
  assert.equal(r.payload.slots.find((s) => s.start === day + 5 * Q), undefined, 'the null slot is a hole');
  assert.deepEqual(r.payload.slots.at(-1), { start: day + 24 * H + 3 * Q, end: day + 24 * H + 4 * Q, price: -12.5 });
  const t = tariffInput({ payload: r.payload }, 'EUR/MWh', day);
  assert.equal(t.slots.length, 99);
  assert.equal(t.slots[0].end - t.slots[0].start, Q);
});

test('ENTSO-e lists: today and all prices merged by start, strings read, EUR/kWh → EUR/MWh; ends left to the tariff', () => {
  const r = pricesFromAttributes(entsoe);
  assert.equal(r.format, 'entsoe');
  assert.deepEqual(r.payload.slots, [{ start: day, price: 87.5 }, { start: day + H, price: 82.1 }, { start: day + 2 * H, price: 79 }]);
  const t = tariffInput({ payload: r.payload }, 'EUR/kWh', day);
  assert.deepEqual(t.slots.map((s) => [s.start - day, s.end - s.start, s.spot]), [[0, H, 87.5], [H, H, 82.1], [2 * H, H, 79]]);
});

test('Frank Energie prices {from, till, price} in €/kWh', () => {
  const r = pricesFromAttributes(frank);
  assert.equal(r.format, 'prices');
  assert.deepEqual(r.payload.slots, [{ start: day, end: day + H, price: 101.2 }, { start: day + H, end: day + 2 * H, price: 95.4 }]);
  assert.equal(tariffInput({ payload: r.payload }, 'EUR/kWh', day).slots[1].spot, 95.4);
});

// A template sensor holding the response of HA core's energyzero.get_energy_prices action (docs:
// { prices: [{ timestamp, price }] }, EUR/kWh) in an attribute `prices`.
test('a template sensor with an EnergyZero action response: {timestamp, price} in EUR/kWh', () => {
  const r = pricesFromAttributes({ unit_of_measurement: 'EUR/kWh', prices: [{ timestamp: '2026-01-04 23:00:00+00:00', price: 0.1 }, { timestamp: '2026-01-05 00:00:00+00:00', price: 0.0925 }] });
  assert.deepEqual(r.payload.slots, [{ start: day, price: 100 }, { start: day + H, price: 92.5 }]);
});

test('prices that do not fit: clear errors', () => {
  assert.match(pricesFromAttributes({ unit_of_measurement: 'EUR/kWh' }).error, /no price list/);
  assert.match(pricesFromAttributes({ unit_of_measurement: 'EUR/kWh', raw_today: 'x' }).error, /raw_today: not a list/);
  assert.match(pricesFromAttributes({ unit_of_measurement: 'EUR/kWh', raw_today: [] }).error, /are empty/);
  assert.match(pricesFromAttributes({ unit_of_measurement: 'EUR/kWh', raw_today: [{ start: iso(day), value: null }] }).error, /only empty values/);
  assert.match(pricesFromAttributes({ unit_of_measurement: 'EUR/kWh', raw_today: [{ start: 'noon', value: 1 }] }).error, /raw_today\[0\]: start/);
  assert.match(pricesFromAttributes({ unit_of_measurement: 'EUR/kWh', raw_today: [{ start: iso(day), end: iso(day), value: 1 }] }).error, /end is not a time after start/);
  assert.match(pricesFromAttributes({ unit_of_measurement: 'EUR/kWh', prices: [{ time: iso(day), price: 'cheap' }] }).error, /not a number/);
  assert.match(pricesFromAttributes({ unit_of_measurement: 'EUR/kWh', prices: [{ time: iso(day), price: 25 }] }).error, /25000 EUR\/MWh is outside .* check the sensor's unit/, 'cents labelled as EUR');
  assert.match(pricesFromAttributes({ raw_today: [{ start: iso(day), value: 1 }] }).error, /no price unit/);
  assert.match(pricesFromAttributes(null).error, /no attributes/);
});

test('Solcast detailedForecast kW per 30 min → W slots of 30 min; the planner takes them', () => {
  const r = pvForecastFromAttributes(solcast);
  assert.equal(r.format, 'solcast');
  assert.equal(r.payload.kind, 'pv-forecast');
  assert.deepEqual(r.payload.slots.map((s) => [s.start - day - 11 * H, s.end - s.start, s.w]), [[0, 1800_000, 400], [1800_000, 1800_000, 1200], [H, 1800_000, 2050], [1.5 * H, 1800_000, 2500], [2 * H, 1800_000, 1800], [2.5 * H, 1800_000, 0]]);
  const p = plannerInput({ topic: 'pv-forecast', payload: r.payload });
  assert.equal(p.what, 'pv');
  assert.equal(p.slots.length, 6);
  assert.deepEqual(p.slots[2], { start: day + 12 * H, end: day + 12.5 * H, w: 2050 });
});

test('Forecast.Solar: watts (W at each time) preferred; wh_period alone → mean W per period (15-minute Open-Meteo)', () => {
  const r = pvForecastFromAttributes(forecastSolar);
  assert.equal(r.format, 'forecast.solar');
  const t6 = Date.parse('2026-06-01T06:00:00+02:00');
  assert.deepEqual(r.payload.slots, [{ start: t6, end: t6 + H, w: 120 }, { start: t6 + H, end: t6 + 2 * H, w: 850 }, { start: t6 + 2 * H, end: t6 + 3 * H, w: 1900 }]);
  const o = pvForecastFromAttributes(openMeteoQuarter);
  const t12 = Date.parse('2026-06-01T12:00:00+02:00');
  assert.deepEqual(o.payload.slots, [{ start: t12, end: t12 + Q, w: 2000 }, { start: t12 + Q, end: t12 + 2 * Q, w: 2042 }, { start: t12 + 2 * Q, end: t12 + 3 * Q, w: 0 }], '500 Wh in 15 min = 2000 W');
  assert.equal(plannerInput({ payload: o.payload }).what, 'pv');
});

test('forecasts that do not fit: clear errors', () => {
  assert.match(pvForecastFromAttributes({ unit_of_measurement: 'kWh' }).error, /no forecast in the attributes/);
  assert.match(pvForecastFromAttributes({ detailedForecast: {} }).error, /detailedForecast: not a list/);
  assert.match(pvForecastFromAttributes({ detailedForecast: [] }).error, /empty/);
  assert.match(pvForecastFromAttributes({ detailedForecast: [{ period_start: iso(day), pv_estimate: 'x' }] }).error, /pv_estimate: not a number/);
  assert.match(pvForecastFromAttributes({ detailedForecast: [{ period_start: 5, pv_estimate: 1 }] }).error, /period_start/);
  assert.match(pvForecastFromAttributes({ detailedForecast: [{ period_start: iso(day), pv_estimate: -1 }] }).error, /outside 0/);
  assert.match(pvForecastFromAttributes({ watts: [1, 2] }).error, /watts: not a map/);
  assert.match(pvForecastFromAttributes({ watts: { later: 5 } }).error, /not a time/);
  assert.match(pvForecastFromAttributes({ watts: { '2026-06-01T06:00:00Z': 1, '2026-06-01T08:00:00+02:00': 2 } }).error, /two forecast values/);
});

test('ha-state kinds prices and pv-forecast: topic, unit, format and the raw attributes; unknown state still reads the lists', () => {
  const s = (state, attributes) => ({ entity_id: 'sensor.x', state, attributes, last_updated: day });
  const p = stateToMessage(s('unknown', nordpoolCents), { as: 'prices' }).message;
  assert.deepEqual([p.topic, p.unit, p.format, p.payload.slots.length], ['prices', 'EUR/MWh', 'nordpool', 24]);
  assert.equal(p.attributes, nordpoolCents);
  const v = stateToMessage(s('12.3', solcast), { as: 'pv-forecast' }).message;
  assert.deepEqual([v.topic, v.unit, v.format], ['pv-forecast', 'W', 'solcast']);
  assert.deepEqual(stateToMessage(s('unavailable', {}), { as: 'prices' }), { skip: 'unavailable' });
  assert.match(stateToMessage(s('1', { unit_of_measurement: 'kWh' }), { as: 'pv-forecast' }).error, /^sensor\.x: no forecast/);
  assert.equal(stateToMessage(s('1.5', { unit_of_measurement: 'kW' }), { as: 'grid' }).message.attributes.unit_of_measurement, 'kW', 'every kind carries the attributes');
});

// Seeded random attribute shapes and mutated fixtures: never a throw, always { payload } or
// { error: string }; a payload always passes the target node's own parser.
test('fuzz: 3000 random attribute objects and 3000 mutated fixtures never throw', () => {
  const rnd = mulberry32(20261208);
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const atoms = [null, undefined, 0, -1, 1e12, 1.5, NaN, Infinity, '', 'x', '0.1', '2026-01-05T00:00:00+01:00', '2026-13-45T99:99', true, [], {}, { start: 1 }];
  const value = (d) => {
    const r = rnd();
    if (d > 2 || r < 0.5) return pick(atoms);
    if (r < 0.75) return Array.from({ length: Math.floor(rnd() * 4) }, () => record(d + 1));
    return record(d + 1);
  };
  const keys = ['start', 'end', 'value', 'time', 'price', 'from', 'till', 'period_start', 'pv_estimate', '2026-06-01T06:00:00Z', 'x'];
  const record = (d) => Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [pick(keys), value(d)]));
  const top = ['raw_today', 'raw_tomorrow', 'prices_today', 'prices', 'detailedForecast', 'detailedHourly', 'watts', 'wh_period', 'unit_of_measurement', 'currency', 'unit', 'price_in_cents'];
  const units = ['EUR/kWh', 'c/kWh', 'EUR/MWh', 'SEK/kWh', 'kWh', 5, null];
  const fixtures = [nordpoolCents, nordpoolQuarter, entsoe, frank, solcast, forecastSolar, openMeteoQuarter];
  /** A fixture with 1–3 random changes: a value replaced by an atom, a key deleted, a list cut short. */
  const mutate = (f) => {
    const o = structuredClone(f);
    for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
      let node = o;
      for (let d = 0; d < 3 && node && typeof node === 'object'; d++) {
        const ks = Object.keys(node);
        if (!ks.length) break;
        const k = pick(ks);
        const r = rnd();
        if (d === 2 || r < 0.3) {
          if (r < 0.15) delete node[k];
          else if (Array.isArray(node[k]) && r < 0.2) node[k].length = Math.floor(node[k].length / 2);
          else node[k] = pick(atoms);
          break;
        }
        node = node[k];
      }
    }
    return o;
  };
  let payloads = 0;
  for (let i = 0; i < 6000; i++) {
    const attrs = i % 2 ? mutate(pick(fixtures)) : rnd() < 0.05 ? pick(atoms) : Object.fromEntries(Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => { const k = pick(top); return [k, k === 'unit_of_measurement' ? pick(units) : value(0)]; }));
    for (const f of [pricesFromAttributes, pvForecastFromAttributes]) {
      const r = f(attrs);
      if ('error' in r) assert.equal(typeof r.error, 'string');
      else {
        payloads++;
        const back = f === pricesFromAttributes ? tariffInput({ payload: r.payload }, 'EUR/MWh', 0) : plannerInput({ payload: r.payload });
        assert.ok(!('error' in back), `a converted payload is accepted: ${JSON.stringify(back)}`);
      }
    }
  }
  assert.ok(payloads > 500, `mutated fixtures still convert often (${payloads})`);
});
