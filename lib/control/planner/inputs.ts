/**
 * The battery-planner node's inputs, parsed purely: prices from a `tariff` output, PV and load
 * forecasts, battery readings; and the planning slots built from them (15 minutes each).
 */
import { bool, int, num, text, type ConfigSchema } from '../../api/config';
import type { PlannerParams } from './planner';
import type { PlanSlot } from './dp';

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
    holdBandW: num(0, 100_000, { default: 0, unit: 'W' }),
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
  holdBandW: number;
  dryRun: boolean;
  topic?: string;
}

/** Battery cost per kWh: the given wear, else purchase ÷ (cycles × capacity kWh × DoD), else 0. */
export function wearOf(c: Pick<PlannerNodeConfig, 'wear' | 'purchase' | 'cycles' | 'capacityWh' | 'dod'>): number {
  if (c.wear !== undefined) return c.wear;
  if (c.purchase !== undefined) return c.purchase / (c.cycles * (c.capacityWh / 1000) * (c.dod / 100));
  return 0;
}

export function plannerParams(c: PlannerNodeConfig): PlannerParams {
  if (c.minSoc >= c.maxSoc) throw new Error('config.minSoc: must be below maxSoc');
  const eta = c.efficiency / 100;
  return { capacityWh: c.capacityWh, chargeW: c.chargeW, dischargeW: c.dischargeW, etaCharge: eta, etaDischarge: eta, minSocPct: c.minSoc, maxSocPct: c.maxSoc, wearEurPerKWh: wearOf(c), minImprovementEur: c.minImprovement, holdBandW: c.holdBandW };
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

export type PlannerInput = { what: 'prices'; slots: PriceSlot[] } | { what: 'pv' | 'load'; slots: ValueSlot[] } | { what: 'soc'; soc: number } | { what: 'refresh' } | { error: string };

const fin = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const ms = (v: unknown): number | undefined => (fin(v) ? v : typeof v === 'string' ? (Number.isFinite(Date.parse(v)) ? Date.parse(v) : undefined) : undefined);

function forecast(list: unknown, name: string): ValueSlot[] | { error: string } {
  if (!Array.isArray(list)) return { error: `payload.slots: the ${name} forecast must be a list of {start, end?, w}` };
  const out: ValueSlot[] = [];
  for (let i = 0; i < list.length; i++) {
    const o = list[i] as Record<string, unknown>;
    const start = ms(o?.start);
    const w = o?.w ?? o?.watts ?? o?.value ?? o?.pvW ?? o?.loadW;
    if (start === undefined) return { error: `payload.slots[${i}].start: not a time` };
    if (typeof w !== 'number') return { error: `payload.slots[${i}].w: must be a number (W)` };
    const end = ms(o.end) ?? start + 15 * 60_000;
    out.push({ start, end, w });
  }
  return out;
}

/**
 * `kind: "tariff"` (the tariff node's output 1: `slots` with importPrice / exportPrice),
 * `kind: "pv-forecast"` / `"load-forecast"` with `slots: [{start, end?, w}]`, `kind: "battery"`
 * readings (their `soc`), topic `soc` + %, or "refresh".
 */
export function plannerInput(msg: { topic?: unknown; payload?: unknown }): PlannerInput {
  const p = msg.payload;
  if (p === 'refresh' || msg.topic === 'refresh') return { what: 'refresh' };
  if (msg.topic === 'soc') return fin(p) && p >= 0 && p <= 100 ? { what: 'soc', soc: p } : { error: 'payload: topic "soc" needs a number 0–100' };
  if (!p || typeof p !== 'object') return { error: 'payload: send a tariff output, a pv-forecast or load-forecast, a battery reading, or "refresh"' };
  const o = p as Record<string, unknown>;
  if (o.kind === 'tariff') {
    if (!Array.isArray(o.slots)) return { error: 'payload.slots: the tariff message has no slots' };
    const slots: PriceSlot[] = [];
    for (let i = 0; i < o.slots.length; i++) {
      const s = o.slots[i] as Record<string, unknown>;
      if (!fin(s?.start) || !fin(s?.end) || !fin(s?.importPrice) || !fin(s?.exportPrice)) return { error: `payload.slots[${i}]: needs start, end, importPrice, exportPrice as numbers` };
      slots.push({ start: s.start, end: s.end, importPrice: s.importPrice, exportPrice: s.exportPrice });
    }
    return { what: 'prices', slots };
  }
  if (o.kind === 'pv-forecast' || o.kind === 'load-forecast') {
    const f = forecast(o.slots, o.kind === 'pv-forecast' ? 'PV' : 'load');
    return 'error' in f ? f : { what: o.kind === 'pv-forecast' ? 'pv' : 'load', slots: f };
  }
  if (o.kind === 'battery') return fin(o.soc) && o.soc >= 0 && o.soc <= 100 ? { what: 'soc', soc: o.soc } : { error: 'payload.soc: must be a number 0–100' };
  return { error: `payload.kind: "${String(o.kind)}" is not tariff, pv-forecast, load-forecast or battery` };
}

function valueAt(slots: ValueSlot[], t: number): number | undefined {
  return slots.find((s) => t >= s.start && t < s.end)?.w;
}

/** 15-minute planning slots from `now`'s quarter for `horizonH`, as far as prices reach. */
export function buildSlots(prices: PriceSlot[], pv: ValueSlot[], load: ValueSlot[], loadW: number, now: number, horizonH: number): PlanSlot[] {
  const Q = 15 * 60_000;
  const out: PlanSlot[] = [];
  const end = now + horizonH * 3_600_000;
  for (let t = Math.floor(now / Q) * Q; t < end; t += Q) {
    const p = prices.find((s) => t >= s.start && t < s.end);
    if (!p) break;
    out.push({ start: t, end: t + Q, importPrice: p.importPrice, exportPrice: p.exportPrice, pvW: valueAt(pv, t) ?? 0, loadW: valueAt(load, t) ?? loadW });
  }
  return out;
}
