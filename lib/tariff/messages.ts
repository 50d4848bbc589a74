/** Messages into the tariff node, parsed purely: prices, meter counters, a reported peak, refresh. */
import { parsePriceMessage, type PriceUnit, type SpotSlot } from './prices';

export type TariffInput =
  | { what: 'prices'; slots: SpotSlot[] }
  | { what: 'meter'; importWh: number; exportWh: number; timestamp: number }
  | { what: 'peak'; peakW: number }
  | { what: 'refresh' }
  | { error: string };

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * `kind: "meter"` readings with `energy: { importWh, exportWh }` (or those two fields at the top),
 * a peak-shaving state with `monthPeakW` (or topic "peak" + W), price lists (see
 * parsePriceMessage), or "refresh".
 */
export function tariffInput(msg: { topic?: unknown; payload?: unknown }, unit: PriceUnit, now: number): TariffInput {
  const p = msg.payload;
  if (p === 'refresh' || msg.topic === 'refresh') return { what: 'refresh' };
  if (msg.topic === 'peak') return num(p) && p >= 0 ? { what: 'peak', peakW: p } : { error: 'payload: topic "peak" needs the month peak in W (a number ≥ 0)' };
  if (p && typeof p === 'object' && !Array.isArray(p)) {
    const o = p as Record<string, unknown>;
    const e = (o.energy && typeof o.energy === 'object' ? o.energy : o) as Record<string, unknown>;
    if (o.kind === 'meter' || (e.importWh !== undefined && e.exportWh !== undefined)) {
      if (!num(e.importWh) || e.importWh < 0) return { error: 'payload.energy.importWh: must be a number ≥ 0 (Wh)' };
      if (!num(e.exportWh) || e.exportWh < 0) return { error: 'payload.energy.exportWh: must be a number ≥ 0 (Wh)' };
      const ts = num(o.timestamp) ? o.timestamp : now;
      return { what: 'meter', importWh: e.importWh, exportWh: e.exportWh, timestamp: ts };
    }
    if (o.monthPeakW !== undefined) return num(o.monthPeakW) && o.monthPeakW >= 0 ? { what: 'peak', peakW: o.monthPeakW } : { error: 'payload.monthPeakW: must be a number ≥ 0 (W)' };
  }
  const slots = parsePriceMessage(p, unit);
  if ('error' in slots) return slots;
  return { what: 'prices', slots };
}
