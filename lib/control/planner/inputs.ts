/**
 * The battery-planner node's inputs, parsed purely: prices from a `tariff` output, PV and load
 * forecasts, meter, battery and PV readings; and the planning slots built from them (15 minutes
 * each), with the clear-sky PV forecast (clear-sky.ts) and the load history (load-history.ts) where
 * no forecast message covers a slot.
 */
import { bool, configReader, int, num, oneOf, text, type ConfigSchema, type FieldSchema } from '../../api/config';
import { validTimeZone } from '../../util/local-time';
import { CONSTRAINT_MAX_W, readingTime } from '../../api/control-schemas';
import { MAX_SPOT } from '../../tariff/prices';
import type { PlannerParams } from './planner';
import type { PlanSlot } from './dp';
import { clearSkyForecast, type PanelGroup, type PvSite } from './clear-sky';

/** Most panel groups one node takes. */
export const MAX_PANEL_GROUPS = 12;

/** One group of identical panels on one plane (the editor's list rows). */
export const panelGroupSchema: ConfigSchema = {
  type: 'object',
  properties: {
    count: int(1, 1000, { description: 'number of panels' }),
    panelWp: num(1, 2000, { unit: 'Wp', description: 'peak power of one panel' }),
    azimuth: num(0, 360, { unit: '°', description: 'clockwise from north: 90 east, 180 south, 270 west' }),
    tilt: num(0, 90, { unit: '°', description: '0 flat, 90 vertical' }),
  },
  required: ['count', 'panelWp', 'azimuth', 'tilt'],
};
const panelGroupsField = { type: 'array', maxItems: MAX_PANEL_GROUPS, items: panelGroupSchema } as unknown as FieldSchema;

export const plannerConfigSchema: ConfigSchema = {
  type: 'object',
  properties: {
    capacityWh: num(100, 1_000_000, { default: 10_000, unit: 'Wh' }),
    chargeW: num(0, 100_000, { default: 2200, unit: 'W' }),
    dischargeW: num(0, 100_000, { default: 1700, unit: 'W' }),
    efficiency: num(50, 100, { default: 95, unit: '%' }),
    minSoc: num(0, 100, { default: 5, unit: '%' }),
    maxSoc: num(0, 100, { default: 100, unit: '%' }),
    wear: num(0, 10, { empty: true, unit: 'EUR/kWh' }),
    purchase: num(0, 1_000_000, { empty: true, unit: 'EUR' }),
    cycles: int(1, 100_000, { default: 6000 }),
    dod: num(1, 100, { default: 90, unit: '%' }),
    horizon: int(1, 48, { default: 48, unit: 'h' }),
    loadW: num(0, 100_000, { default: 400, unit: 'W' }),
    minImprovement: num(0, 100, { default: 0.01, unit: 'EUR' }),
    capacityRate: num(0, 1000, { default: 0, unit: 'EUR/kW/year', description: 'capacity tariff per kW of the billed mean peak and year (Fluvius 2026: Antwerpen 49.40); 0 = none unless a peak-shaving state reports one' }),
    holdBandW: num(0, 100_000, { empty: true, unit: 'W', description: 'blank = the grid floats while holding (the battery stays idle)' }),
    pvForecast: oneOf(['auto', 'message', 'clear-sky', 'none'], 'auto'),
    panelGroups: panelGroupsField,
    latitude: num(-90, 90, { empty: true, unit: '°', description: 'blank = homeEnergy.latitude in settings.js' }),
    longitude: num(-180, 180, { empty: true, unit: '°', description: 'blank = homeEnergy.longitude in settings.js' }),
    systemLoss: num(0, 90, { default: 14, unit: '%' }),
    loadForecast: oneOf(['history', 'constant'], 'history'),
    loadWeeks: int(1, 12, { default: 4, unit: 'weeks' }),
    timeZone: text({ default: 'Europe/Amsterdam' }),
    store: text({ empty: true }),
    dryRun: bool(false),
    topic: text({ empty: true }),
  },
};

export interface PlannerNodeConfig {
  capacityWh: number;
  chargeW: number;
  dischargeW: number;
  efficiency: number;
  minSoc: number;
  maxSoc: number;
  wear?: number;
  purchase?: number;
  cycles: number;
  dod: number;
  horizon: number;
  loadW: number;
  minImprovement: number;
  /** EUR per kW per year. */
  capacityRate: number;
  /** Blank: the grid floats while holding. */
  holdBandW?: number;
  /** auto: forecast messages where they cover a slot, else clear sky (with panel groups), else 0. */
  pvForecast: 'auto' | 'message' | 'clear-sky' | 'none';
  panelGroups: PanelGroup[];
  latitude?: number;
  longitude?: number;
  systemLoss: number;
  /** history: load-forecast messages, else the own history, else loadW; constant: messages, else loadW. */
  loadForecast: 'history' | 'constant';
  loadWeeks: number;
  timeZone: string;
  store?: string;
  dryRun: boolean;
  topic?: string;
}

const readTop = configReader<PlannerNodeConfig>({ ...plannerConfigSchema, properties: { ...plannerConfigSchema.properties, panelGroups: { 'x-empty': true } as FieldSchema } });
const readGroup = configReader<PanelGroup>(panelGroupSchema, 'group');

/**
 * Reads the saved config; `location` is the fallback for a blank latitude / longitude (Node-RED's
 * settings.js `homeEnergy: { latitude, longitude }`). Errors name the field.
 */
export function readPlannerConfig(raw: unknown, location?: { latitude?: unknown; longitude?: unknown }): { ok: true; config: PlannerNodeConfig } | { ok: false; error: string } {
  const r = readTop(raw);
  if (!r.ok) return r;
  const c = r.config;
  const list = (c as { panelGroups?: unknown }).panelGroups ?? [];
  if (!Array.isArray(list)) return { ok: false, error: 'config.panelGroups: must be a list of {count, panelWp, azimuth, tilt}' };
  if (list.length > MAX_PANEL_GROUPS) return { ok: false, error: `config.panelGroups: at most ${MAX_PANEL_GROUPS} groups (got ${list.length})` };
  const groups: PanelGroup[] = [];
  for (let i = 0; i < list.length; i++) {
    const g = readGroup(list[i]);
    if (!g.ok) return { ok: false, error: g.error.replace(/^group/, `config.panelGroups[${i}]`) };
    groups.push({ count: g.config.count, panelWp: g.config.panelWp, azimuth: g.config.azimuth, tilt: g.config.tilt });
  }
  const fromSettings = (v: unknown, lim: number) => (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= lim ? v : undefined);
  const latitude = c.latitude ?? fromSettings(location?.latitude, 90);
  const longitude = c.longitude ?? fromSettings(location?.longitude, 180);
  if (!validTimeZone(c.timeZone)) return { ok: false, error: `config.timeZone: "${c.timeZone}" is not a known time zone` };
  if (c.pvForecast === 'clear-sky' && !groups.length) return { ok: false, error: 'config.panelGroups: the clear-sky PV forecast needs at least one panel group' };
  if (groups.length && c.pvForecast !== 'message' && c.pvForecast !== 'none' && (latitude === undefined || longitude === undefined))
    return { ok: false, error: 'config.latitude: the clear-sky PV forecast needs the location (here, or homeEnergy.latitude / longitude in settings.js)' };
  return { ok: true, config: { ...c, panelGroups: groups, latitude, longitude } };
}

/** The clear-sky site of a config, or undefined when it does not use one. */
export function pvSiteOf(c: PlannerNodeConfig): PvSite | undefined {
  if (c.pvForecast === 'message' || c.pvForecast === 'none' || !c.panelGroups.length || c.latitude === undefined || c.longitude === undefined) return undefined;
  return { latitude: c.latitude, longitude: c.longitude, groups: c.panelGroups, systemLoss: c.systemLoss / 100 };
}

/** Battery cost per kWh: the given wear, else purchase ÷ (cycles × capacity kWh × DoD), else 0. */
export function wearOf(c: Pick<PlannerNodeConfig, 'wear' | 'purchase' | 'cycles' | 'capacityWh' | 'dod'>): number {
  if (c.wear !== undefined) return c.wear;
  if (c.purchase !== undefined) return c.purchase / (c.cycles * (c.capacityWh / 1000) * (c.dod / 100));
  return 0;
}

/** Each month peak counts at least this in the Flemish capacity tariff (W); a peak-shaving state's `account.floorW` replaces it. */
export const CAPACITY_FLOOR_W = 2500;

/**
 * The planner's cost of raising this month's peak by 1 kW (EUR) at a yearly rate: the bill is the
 * mean of 12 month peaks × the yearly rate ÷ 12 a month, so one month's peak 1 kW higher adds
 * 1/12 kW to the mean for the 12 months it stays in it: 12 × (1/12) × rate/12 = rate/12.
 */
export const capacityRatePerKW = (eurPerKWYear: number): number => eurPerKWYear / 12;

/** The planner's parameters; `source` names the node in its grid-targets. */
export function plannerParams(c: PlannerNodeConfig, source?: string): PlannerParams {
  if (c.minSoc >= c.maxSoc) throw new Error('config.minSoc: must be below maxSoc');
  const eta = c.efficiency / 100;
  return {
    capacityWh: c.capacityWh,
    chargeW: c.chargeW,
    dischargeW: c.dischargeW,
    etaCharge: eta,
    etaDischarge: eta,
    minSocPct: c.minSoc,
    maxSocPct: c.maxSoc,
    wearEurPerKWh: wearOf(c),
    capacityRateEurPerKW: capacityRatePerKW(c.capacityRate),
    monthPeakW: CAPACITY_FLOOR_W,
    minImprovementEur: c.minImprovement,
    holdBandW: c.holdBandW ?? Infinity,
    ...(source ? { source } : {}),
  };
}

/** One battery's last SoC reading, and its capacity when it reports one. */
export interface SocReading {
  soc: number;
  capacityWh?: number;
}

/**
 * The SoC of several batteries planned as one: weighted by capacity when every reading has one,
 * else their plain mean; undefined without readings.
 */
export function combinedSoc(readings: SocReading[]): number | undefined {
  if (!readings.length) return undefined;
  if (readings.every((r) => r.capacityWh !== undefined && r.capacityWh > 0)) {
    const cap = readings.reduce((a, r) => a + (r.capacityWh as number), 0);
    return readings.reduce((a, r) => a + r.soc * (r.capacityWh as number), 0) / cap;
  }
  return readings.reduce((a, r) => a + r.soc, 0) / readings.length;
}

export interface PriceSlot {
  start: number;
  end: number;
  importPrice: number;
  exportPrice: number;
}
export interface ValueSlot {
  start: number;
  end: number;
  w: number;
}

export type PlannerInput =
  | { what: 'prices'; slots: PriceSlot[] }
  | { what: 'pv' | 'load'; slots: ValueSlot[] }
  | { what: 'soc'; soc: number }
  /** A battery reading: its SoC (null when it reports none), AC power (W, + discharge) and capacity (Wh) when it reports one. */
  | { what: 'battery'; source: string; soc: number | null; w: number; at: number; capacityWh?: number }
  /** A grid reading (W, + import) or a PV production reading (W). */
  | { what: 'grid' | 'pv-power'; w: number; at: number }
  /** The month's capacity peak so far (W), from `peak-shaving`, with its account's rate (EUR/kW/year) and floor (W) when it has them. */
  | { what: 'peak'; peakW: number; rateEurPerKWYear?: number; floorW?: number }
  | { what: 'refresh' }
  | { error: string };

const fin = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** A power in W within ±CONSTRAINT_MAX_W (a larger one is a broken sensor and would stay in the plan). */
const watts = (v: unknown): v is number => fin(v) && Math.abs(v) <= CONSTRAINT_MAX_W;
/** A consumer price in EUR/kWh within ±MAX_SPOT / 1000 (100 EUR/kWh), the tariff's own bound. */
const price = (v: unknown): v is number => fin(v) && Math.abs(v) <= MAX_SPOT / 1000;
/** Text of a value for an error or a key; never throws (a value without toString, a symbol). */
const textOf = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v);
const ms = (v: unknown): number | undefined => (fin(v) ? v : typeof v === 'string' ? (Number.isFinite(Date.parse(v)) ? Date.parse(v) : undefined) : undefined);

function forecast(list: unknown, name: string): ValueSlot[] | { error: string } {
  if (!Array.isArray(list)) return { error: `payload.slots: the ${name} forecast must be a list of {start, end?, w}` };
  const out: ValueSlot[] = [];
  for (let i = 0; i < list.length; i++) {
    const o = list[i] as Record<string, unknown>;
    const start = ms(o?.start);
    const w = o?.w ?? o?.watts ?? o?.value ?? o?.pvW ?? o?.loadW;
    if (start === undefined) return { error: `payload.slots[${i}].start: not a time` };
    if (!watts(w)) return { error: `payload.slots[${i}].w: must be a number (W, within ±${CONSTRAINT_MAX_W})` };
    const end = ms(o.end) ?? start + 15 * 60_000;
    if (!(end > start)) return { error: `payload.slots[${i}].end: must be after its start` };
    out.push({ start, end, w });
  }
  return out;
}

/**
 * A new forecast message merged into the one held: the new slots replace whatever the old ones
 * said from the new message's first start to its last end; old slots outside that span stay (a
 * today and a tomorrow sensor add up), old slots that ended before `now` go. Sorted by start. An
 * empty message clears the forecast.
 */
export function mergeForecast(held: ValueSlot[], fresh: ValueSlot[], now: number): ValueSlot[] {
  if (!fresh.length) return [];
  const from = Math.min(...fresh.map((s) => s.start));
  const to = Math.max(...fresh.map((s) => s.end));
  const kept = held.filter((s) => s.end > now && (s.end <= from || s.start >= to));
  return [...kept, ...fresh].sort((a, b) => a.start - b.start);
}

/**
 * `kind: "tariff"` (the tariff node's output 1: `slots` with importPrice / exportPrice),
 * `kind: "pv-forecast"` / `"load-forecast"` with `slots: [{start, end?, w}]`, `kind: "battery"`
 * readings (their `soc` and `power`), `kind: "meter"` readings (their `power`), a
 * `peak-shaving-state` (its `monthPeakW`, and its `account`'s `rateEurPerKWYear` and `floorW`), topic `soc` + %, topic `grid`, `battery`, `pv` or `peak` + W, or "refresh". `now` stamps readings without a timestamp.
 */
export function plannerInput(msg: { topic?: unknown; payload?: unknown }, now = 0): PlannerInput {
  const p = msg.payload;
  if (p === 'refresh' || msg.topic === 'refresh') return { what: 'refresh' };
  if (msg.topic === 'soc') return fin(p) && p >= 0 && p <= 100 ? { what: 'soc', soc: p } : { error: 'payload: topic "soc" needs a number 0–100' };
  if (msg.topic === 'peak') return watts(p) && p >= 0 ? { what: 'peak', peakW: p } : { error: `payload: topic "peak" needs the month peak in W (a number 0–${CONSTRAINT_MAX_W})` };
  if (msg.topic === 'battery') return watts(p) ? { what: 'battery', source: 'topic battery', soc: null, w: p, at: now } : { error: 'payload: topic "battery" needs the battery power in W (+ discharge)' };
  if (msg.topic === 'grid' || msg.topic === 'pv') {
    if (!watts(p)) return { error: `payload: topic "${msg.topic}" needs a number (W, within ±${CONSTRAINT_MAX_W})` };
    return { what: msg.topic === 'grid' ? 'grid' : 'pv-power', w: p, at: now };
  }
  if (!p || typeof p !== 'object') return { error: 'payload: send a tariff output, a pv-forecast or load-forecast, a battery reading, or "refresh"' };
  const o = p as Record<string, unknown>;
  if (o.kind === 'tariff') {
    if (!Array.isArray(o.slots)) return { error: 'payload.slots: the tariff message has no slots' };
    const slots: PriceSlot[] = [];
    for (let i = 0; i < o.slots.length; i++) {
      const s = o.slots[i] as Record<string, unknown>;
      if (!fin(s?.start) || !fin(s?.end) || !fin(s?.importPrice) || !fin(s?.exportPrice)) return { error: `payload.slots[${i}]: needs start, end, importPrice, exportPrice as numbers` };
      if (!(s.end > s.start)) return { error: `payload.slots[${i}].end: must be after its start` };
      if (!price(s.importPrice) || !price(s.exportPrice)) return { error: `payload.slots[${i}].importPrice / exportPrice: must be within ±${MAX_SPOT / 1000} EUR/kWh` };
      slots.push({ start: s.start, end: s.end, importPrice: s.importPrice, exportPrice: s.exportPrice });
    }
    return { what: 'prices', slots };
  }
  if (o.kind === 'pv-forecast' || o.kind === 'load-forecast') {
    const f = forecast(o.slots, o.kind === 'pv-forecast' ? 'PV' : 'load');
    return 'error' in f ? f : { what: o.kind === 'pv-forecast' ? 'pv' : 'load', slots: f };
  }
  const at = readingTime(o.timestamp, now);
  if (o.kind === 'battery') {
    if (o.soc !== null && o.soc !== undefined && !(fin(o.soc) && o.soc >= 0 && o.soc <= 100)) return { error: 'payload.soc: must be a number 0–100 (or null)' };
    if (o.power !== undefined && !watts(o.power)) return { error: `payload.power: must be a number (W, + discharge, within ±${CONSTRAINT_MAX_W})` };
    const source = typeof o.serial === 'string' && o.serial ? o.serial : typeof o.source === 'string' ? o.source : msg.topic === undefined ? '' : textOf(msg.topic);
    const cap = fin(o.capacityWh) && o.capacityWh > 0 ? { capacityWh: o.capacityWh } : {};
    return { what: 'battery', source, soc: fin(o.soc) ? o.soc : null, w: fin(o.power) ? o.power : 0, at, ...cap };
  }
  if (o.kind === 'peak-shaving-state') {
    if (!watts(o.monthPeakW) || o.monthPeakW < 0) return { error: `payload.monthPeakW: must be a number 0–${CONSTRAINT_MAX_W} (W)` };
    const a = o.account && typeof o.account === 'object' ? (o.account as Record<string, unknown>) : {};
    const rate = fin(a.rateEurPerKWYear) && a.rateEurPerKWYear >= 0 && a.rateEurPerKWYear <= 1000 ? { rateEurPerKWYear: a.rateEurPerKWYear } : {};
    const floor = watts(a.floorW) && a.floorW >= 0 ? { floorW: a.floorW } : {};
    return { what: 'peak', peakW: o.monthPeakW, ...rate, ...floor };
  }
  if (o.kind === 'meter') return watts(o.power) ? { what: 'grid', w: o.power, at } : { error: `payload.power: a meter reading needs the grid power (W, + import, within ±${CONSTRAINT_MAX_W})` };
  return { error: `payload.kind: "${textOf(o.kind)}" is not tariff, pv-forecast, load-forecast, battery, meter or peak-shaving-state` };
}

function valueAt(slots: ValueSlot[], t: number): number | undefined {
  return slots.find((s) => t >= s.start && t < s.end)?.w;
}

/** Where a slot's PV and load come from when no forecast message covers it. */
export interface SlotFallbacks {
  /** The clear-sky site (PV), if used. */
  pvSite?: PvSite;
  /** The load forecast for the slot starting at t (the history), if used; undefined = none for that slot. */
  loadAt?: (t: number) => number | undefined;
  /** Use forecast messages for PV (false in "clear-sky" and "none"). */
  pvMessages?: boolean;
}

const Q = 15 * 60_000;

/**
 * 15-minute planning slots from `now`'s quarter for `horizonH`, as far as prices reach. PV: a
 * forecast message where it covers the slot, else the clear-sky value, else 0. Load: a forecast
 * message, else the history, else the constant `loadW`.
 */
export function buildSlots(prices: PriceSlot[], pv: ValueSlot[], load: ValueSlot[], loadW: number, now: number, horizonH: number, fb: SlotFallbacks = {}): PlanSlot[] {
  const out: PlanSlot[] = [];
  const end = now + horizonH * 3_600_000;
  const pvMessages = fb.pvMessages ?? true;
  for (let t = Math.floor(now / Q) * Q; t < end; t += Q) {
    const p = prices.find((s) => t >= s.start && t < s.end);
    if (!p) break;
    const pvW = (pvMessages ? valueAt(pv, t) : undefined) ?? (fb.pvSite ? clearSkyForecast(fb.pvSite, t, t + Q, Q)[0].w : 0);
    const lw = valueAt(load, t) ?? fb.loadAt?.(t) ?? loadW;
    out.push({ start: t, end: t + Q, importPrice: p.importPrice, exportPrice: p.exportPrice, pvW, loadW: Math.round(lw) });
  }
  return out;
}
