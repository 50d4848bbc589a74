/** Messages into the tariff node, parsed purely: prices, meter counters, a reported peak, refresh. */
import { CONSTRAINT_MAX_W } from '../api/control-schemas';
import { parsePriceMessage, type PriceUnit, type SpotSlot } from './prices';

export type TariffInput =
  | { what: 'prices'; slots: SpotSlot[] }
  | { what: 'meter'; importWh: number; exportWh: number; timestamp: number }
  | { what: 'peak'; peakW: number }
  | { what: 'refresh' }
  | { error: string };

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** A month peak in W, 0…CONSTRAINT_MAX_W: a larger one (1e21 W from a broken sensor) would stay in the month's account. */
const peakW = (v: unknown): v is number => num(v) && v >= 0 && v <= CONSTRAINT_MAX_W;

/**
 * `kind: "meter"` readings with `energy: { importWh, exportWh }` (or those two fields at the top),
 * a peak-shaving state with `monthPeakW` (or topic "peak" + W), price lists (see
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
    if (o.monthPeakW !== undefined) return peakW(o.monthPeakW) ? { what: 'peak', peakW: o.monthPeakW } : { error: `payload.monthPeakW: must be a number 0–${CONSTRAINT_MAX_W} (W)` };
  }
  const slots = parsePriceMessage(p, unit);
  if ('error' in slots) return slots;
  return { what: 'prices', slots };
}
