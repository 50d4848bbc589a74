/** Messages into the tariff node, parsed purely: prices, meter counters, a reported peak, refresh. */
import { CONSTRAINT_MAX_W } from '../api/control-schemas';
import { parsePriceMessage, type PriceUnit, type SpotSlot } from './prices';
import type { CapacityReport } from './account';

export type TariffInput =
  | { what: 'prices'; slots: SpotSlot[] }
  | { what: 'meter'; importWh: number; exportWh: number; timestamp: number }
  | { what: 'peak'; peakW: number; report?: CapacityReport }
  | { what: 'refresh' }
  | { error: string };

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** A month peak in W, 0…CONSTRAINT_MAX_W: a larger one (1e21 W from a broken sensor) would stay in the month's account. */
const peakW = (v: unknown): v is number => num(v) && v >= 0 && v <= CONSTRAINT_MAX_W;

/**
 * `kind: "meter"` readings with `energy: { importWh, exportWh }` (or those two fields at the top),
 * a peak-shaving state with `monthPeakW` and, where it has one, its capacity `account`
 * (`billedMeanW`, `rateEurPerKWYear`, `costPerMonthEur`), or topic "peak" + W; price lists (see
 * parsePriceMessage), or "refresh".
 */
export function tariffInput(msg: { topic?: unknown; payload?: unknown }, unit: PriceUnit, now: number): TariffInput {
  const p = msg.payload;
  if (p === 'refresh' || msg.topic === 'refresh') return { what: 'refresh' };
  if (msg.topic === 'peak') return peakW(p) ? { what: 'peak', peakW: p } : { error: `payload: topic "peak" needs the month peak in W (a number 0–${CONSTRAINT_MAX_W})` };
  if (p && typeof p === 'object' && !Array.isArray(p)) {
    const o = p as Record<string, unknown>;
    const e = (o.energy && typeof o.energy === 'object' ? o.energy : o) as Record<string, unknown>;
    if (o.kind === 'meter' || (e.importWh !== undefined && e.exportWh !== undefined)) {
      if (!num(e.importWh) || e.importWh < 0) return { error: 'payload.energy.importWh: must be a number ≥ 0 (Wh)' };
      if (!num(e.exportWh) || e.exportWh < 0) return { error: 'payload.energy.exportWh: must be a number ≥ 0 (Wh)' };
      const ts = num(o.timestamp) ? o.timestamp : now;
      return { what: 'meter', importWh: e.importWh, exportWh: e.exportWh, timestamp: ts };
    }
    if (o.monthPeakW !== undefined) {
      if (!peakW(o.monthPeakW)) return { error: `payload.monthPeakW: must be a number 0–${CONSTRAINT_MAX_W} (W)` };
      const report = capacityReport(o.account);
      if (typeof report === 'string') return { error: report };
      return { what: 'peak', peakW: o.monthPeakW, ...(report ? { report } : {}) };
    }
  }
  const slots = parsePriceMessage(p, unit);
  if ('error' in slots) return slots;
  return { what: 'prices', slots };
}

/** A peak-shaving state's `account` (absent or null: none); a malformed one is an error naming the field. */
function capacityReport(a: unknown): CapacityReport | undefined | string {
  if (a === undefined || a === null) return undefined;
  if (typeof a !== 'object' || Array.isArray(a)) return 'payload.account: must be the capacity account object';
  const o = a as Record<string, unknown>;
  if (!peakW(o.billedMeanW)) return `payload.account.billedMeanW: must be a number 0–${CONSTRAINT_MAX_W} (W)`;
  // bounds as for the peak: a rate above 1000 EUR/kW/year (the config's limit) or a month's cost above 10^7 EUR is a broken sender
  const opt = (k: string, max: number): number | undefined | string =>
    o[k] === undefined || o[k] === null ? undefined : num(o[k]) && (o[k] as number) >= 0 && (o[k] as number) <= max ? (o[k] as number) : `payload.account.${k}: must be a number 0–${max} or null`;
  const rate = opt('rateEurPerKWYear', 1000);
  const cost = opt('costPerMonthEur', 1e7);
  if (typeof rate === 'string') return rate;
  if (typeof cost === 'string') return cost;
  return { billedMeanW: o.billedMeanW, ...(rate !== undefined && cost !== undefined ? { rateEurPerKWYear: rate, costPerMonthEur: cost } : {}) };
}
