/**
 * Home Assistant sensor attributes → the messages the tariff and battery-planner nodes take (pure).
 * Day-ahead prices become `{ kind: "prices", unit: "EUR/MWh", slots: [{ start, end?, price }] }`
 * (lib/tariff/messages.ts); a PV forecast becomes `{ kind: "pv-forecast", slots: [{ start, end, w }] }`
 * (lib/control/planner/inputs.ts). Attribute names and units, per integration (read in their source):
 *
 * - Nord Pool, HACS custom-components/nordpool (sensor.py `extra_state_attributes`): `raw_today`,
 *   `raw_tomorrow` = [{ start, end, value }], the unit in `unit_of_measurement` "<currency>/<kWh|MWh|Wh>",
 *   with "c" for EUR cents when `price_in_cents` is set; a value may be null (no price).
 * - ENTSO-e, HACS JaccoR/hass-entso-e (sensor.py, the average-price sensor carries the lists):
 *   `prices_today`, `prices_tomorrow`, `prices` = [{ time, price }], unit "EUR/kWh".
 * - Frank Energie, HACS bajansen/home-assistant-frank_energie (sensor.py `attr_fn`): `prices` =
 *   PriceData.asdict(...) = [{ from, till, price }], unit "€/kWh".
 * - HA core EnergyZero / Nord Pool give their lists only as action responses (docs: action
 *   energyzero.get_energy_prices → { prices: [{ timestamp, price }] } in EUR/kWh;
 *   nordpool.get_prices_for_date → { <area>: [{ start, end, price }] } per MWh); a template sensor
 *   that stores such a list in an attribute `prices`, with a unit_of_measurement, is read like the above.
 * - Solcast, HACS BJReplay/ha-solcast-solar (README "detailedForecast", the Solcast API's
 *   `pv_estimate` in kW): `detailedForecast` = [{ period_start, pv_estimate, pv_estimate10,
 *   pv_estimate90 }] per 30 min, `detailedHourly` the same per hour.
 * - Forecast.Solar, HA core forecast_solar (sensor.py `_today_attributes`, energy_production_today)
 *   and Open-Meteo Solar Forecast, HACS rany2/ha-open-meteo-solar-forecast (sensor.py, the
 *   energy_production_* sensors): `watts` = { ISO time: W } (power at that time), `wh_period` =
 *   { ISO time: Wh of the interval starting then }.
 */
const MIN = 60_000;
/** Times before 2000 are no forecast (a small number is a mistake, not 1970). */
const Y2000 = Date.UTC(2000, 0, 1);

export interface PricesPayload {
  kind: 'prices';
  unit: 'EUR/MWh';
  slots: Array<{ start: number; end?: number; price: number }>;
}
export interface PvForecastPayload {
  kind: 'pv-forecast';
  slots: Array<{ start: number; end: number; w: number }>;
}
export type Converted<P> = { payload: P; format: string; skipped: number } | { error: string };

type Attrs = Record<string, unknown>;
const isObj = (v: unknown): v is Attrs => !!v && typeof v === 'object' && !Array.isArray(v);

/** ISO 8601 with a date and time (with an offset; without one Date.parse takes local time), or s / ms since epoch → ms. */
export function timeMs(v: unknown): number | undefined {
  if (typeof v === 'number') {
    const ms = v < 1e11 ? v * 1000 : v; // seconds or ms
    return Number.isFinite(ms) && ms >= Y2000 && ms < 4e12 ? ms : undefined;
  }
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v)) return undefined;
  const ms = Date.parse(v.replace(' ', 'T'));
  return Number.isFinite(ms) && ms >= Y2000 ? ms : undefined;
}

/** A number, or a decimal string ("0.077"); null and anything else → undefined. */
function numberOf(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

const EURO = new Set(['EUR', '€', 'eur', 'Euro', 'euro']);
const CENT = new Set(['c', 'ct', 'cent', 'cents', 'Cent', 'EURc', 'c€']);
const PER: Record<string, number> = { Wh: 1e6, kWh: 1000, MWh: 1 };

/**
 * The factor from a price unit to EUR/MWh: "EUR/kWh" 1000, "c/kWh" 10, "EUR/MWh" 1, "€/kWh"…; the
 * Nord Pool sensor's `currency` / `unit` / `price_in_cents` when there is no unit_of_measurement.
 */
export function priceFactor(attrs: Attrs): number | { error: string } {
  let uom = typeof attrs.unit_of_measurement === 'string' ? attrs.unit_of_measurement.trim() : undefined;
  if (!uom && typeof attrs.currency === 'string' && typeof attrs.unit === 'string') uom = `${attrs.price_in_cents === true ? 'c' : attrs.currency}/${attrs.unit}`;
  if (!uom) return { error: 'no price unit: the sensor has no unit_of_measurement (e.g. EUR/kWh, c/kWh, EUR/MWh)' };
  const m = /^(.+?)\s*\/\s*(Wh|kWh|MWh)$/.exec(uom);
  if (!m) return { error: `unit ${JSON.stringify(uom)} is not a price per energy (EUR/kWh, c/kWh, EUR/MWh)` };
  const per = PER[m[2]];
  if (EURO.has(m[1])) return per;
  if (CENT.has(m[1])) return per / 100;
  return { error: `unit ${JSON.stringify(uom)}: the tariff computes in EUR (or EUR cents); ${m[1]} prices are not converted` };
}

/** Price lists in the order they are read; a later list's slot replaces an earlier one with the same start. */
const PRICE_LISTS = ['raw_today', 'raw_tomorrow', 'prices_today', 'prices_tomorrow', 'prices'];
const FORMAT: Record<string, string> = { raw_today: 'nordpool', raw_tomorrow: 'nordpool', prices_today: 'entsoe', prices_tomorrow: 'entsoe', prices: 'prices' };
/** A sane day-ahead range in EUR/MWh (the market's own limits are about −500…+4000): outside → a wrong unit. */
const PRICE_RANGE = [-5000, 20000];

/** Day-ahead prices from a price sensor's attributes (Nord Pool, ENTSO-e, Frank Energie shapes). */
export function pricesFromAttributes(attrs: unknown): Converted<PricesPayload> {
  if (!isObj(attrs)) return { error: 'the entity has no attributes' };
  const lists = PRICE_LISTS.filter((k) => Array.isArray(attrs[k]));
  if (!lists.length) {
    const bad = PRICE_LISTS.find((k) => attrs[k] !== undefined && attrs[k] !== null);
    return { error: bad ? `attribute ${bad}: not a list` : `no price list in the attributes (expected ${PRICE_LISTS.join(', ')})` };
  }
  const f = priceFactor(attrs);
  if (typeof f !== 'number') return f;
  const byStart = new Map<number, { start: number; end?: number; price: number }>();
  let skipped = 0;
  for (const k of lists) {
    const list = attrs[k] as unknown[];
    for (let i = 0; i < list.length; i++) {
      const r = list[i];
      if (!isObj(r)) return { error: `${k}[${i}]: not an object` };
      const start = timeMs(r.start ?? r.time ?? r.from ?? r.timestamp);
      if (start === undefined) return { error: `${k}[${i}]: start (start, time, from or timestamp) missing or not a time` };
      const endRaw = r.end ?? r.till;
      const end = endRaw === undefined || endRaw === null ? undefined : timeMs(endRaw);
      if (endRaw !== undefined && endRaw !== null && (end === undefined || end <= start || end - start > 24 * 60 * MIN)) return { error: `${k}[${i}]: end is not a time after start` };
      const rawPrice = r.value !== undefined ? r.value : r.price;
      if (rawPrice === null || rawPrice === undefined) {
        skipped++; // Nord Pool gives null where it has no price
        continue;
      }
      const p = numberOf(rawPrice);
      if (p === undefined) return { error: `${k}[${i}]: price (value or price) is not a number` };
      const price = Math.round(p * f * 1e6) / 1e6;
      if (price < PRICE_RANGE[0] || price > PRICE_RANGE[1]) return { error: `${k}[${i}]: ${price} EUR/MWh is outside ${PRICE_RANGE[0]}…${PRICE_RANGE[1]}; check the sensor's unit (${String(attrs.unit_of_measurement ?? '?')})` };
      byStart.set(start, { start, ...(end !== undefined ? { end } : {}), price: price === 0 ? 0 : price });
    }
  }
  if (!byStart.size) return { error: `no prices: ${lists.join(', ')} ${skipped ? 'hold only empty values' : 'are empty'}` };
  const slots = [...byStart.values()].sort((a, b) => a.start - b.start);
  return { payload: { kind: 'prices', unit: 'EUR/MWh', slots }, format: FORMAT[lists[0]], skipped };
}

/** Ends for points that only have a start: the gap to the next one, at most 60 min; the last one as long as the one before. */
function withEnds(points: Array<{ start: number; w: number }>): Array<{ start: number; end: number; w: number }> {
  return points.map((p, i) => {
    const next = points[i + 1]?.start;
    const gap = next !== undefined ? next - p.start : i > 0 ? p.start - points[i - 1].start : 60 * MIN;
    return { start: p.start, end: p.start + Math.min(gap, 60 * MIN), w: p.w };
  });
}

function sorted(points: Array<{ start: number; w: number }>): Array<{ start: number; w: number }> | { error: string } {
  points.sort((a, b) => a.start - b.start);
  for (let i = 1; i < points.length; i++) if (points[i].start === points[i - 1].start) return { error: `two forecast values for ${new Date(points[i].start).toISOString()}` };
  return points;
}

const MAX_W = 10_000_000; // 10 MW: beyond any home; a larger value is a unit mistake

/** A PV forecast from a forecast sensor's attributes (Solcast, Forecast.Solar, Open-Meteo Solar Forecast shapes). */
export function pvForecastFromAttributes(attrs: unknown): Converted<PvForecastPayload> {
  if (!isObj(attrs)) return { error: 'the entity has no attributes' };
  let points: Array<{ start: number; w: number }> = [];
  let format: string;
  const solcast = ['detailedForecast', 'detailedHourly'].find((k) => attrs[k] !== undefined && attrs[k] !== null);
  if (solcast) {
    const list = attrs[solcast];
    if (!Array.isArray(list)) return { error: `attribute ${solcast}: not a list` };
    for (let i = 0; i < list.length; i++) {
      const r = list[i];
      if (!isObj(r)) return { error: `${solcast}[${i}]: not an object` };
      const start = timeMs(r.period_start);
      if (start === undefined) return { error: `${solcast}[${i}].period_start: missing or not a time` };
      const kw = numberOf(r.pv_estimate);
      if (kw === undefined) return { error: `${solcast}[${i}].pv_estimate: not a number (kW)` };
      points.push({ start, w: kw * 1000 });
    }
    format = 'solcast';
  } else if (attrs.watts !== undefined || attrs.wh_period !== undefined) {
    const key = attrs.watts !== undefined ? 'watts' : 'wh_period';
    const map = attrs[key];
    if (!isObj(map)) return { error: `attribute ${key}: not a map of time → ${key === 'watts' ? 'W' : 'Wh'}` };
    for (const [t, v] of Object.entries(map)) {
      const start = timeMs(t);
      if (start === undefined) return { error: `${key}: key ${JSON.stringify(t.slice(0, 40))} is not a time` };
      const n = numberOf(v);
      if (n === undefined) return { error: `${key}[${t}]: not a number` };
      points.push({ start, w: n });
    }
    format = 'forecast.solar';
    const s = sorted(points);
    if ('error' in s) return s;
    if (key === 'wh_period') points = withEnds(s).map((p) => ({ start: p.start, w: (p.w * 60 * MIN) / (p.end - p.start) })); // Wh of the period → its mean W
  } else return { error: 'no forecast in the attributes (expected detailedForecast or detailedHourly (Solcast), or watts / wh_period (Forecast.Solar, Open-Meteo))' };
  const s = sorted(points);
  if ('error' in s) return s;
  if (!s.length) return { error: 'the forecast is empty' };
  const slots = withEnds(s).map((p) => ({ ...p, w: Math.round(p.w * 1000) / 1000 }));
  const bad = slots.find((p) => p.w < 0 || p.w > MAX_W);
  if (bad) return { error: `forecast ${bad.w} W at ${new Date(bad.start).toISOString()} is outside 0…${MAX_W} W` };
  return { payload: { kind: 'pv-forecast', slots: slots.map((p) => (p.w === 0 ? { ...p, w: 0 } : p)) }, format, skipped: 0 };
}
