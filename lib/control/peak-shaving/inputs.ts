/**
 * What the peak-shaving node's input accepts, as controller inputs (pure): `meter` readings (with a
 * P1 e-MUCS meter's capacity values), `battery` readings (several by serial, capacity-weighted SoC),
 * `charger` readings, topic + value (`grid` W, `soc` %, `enable` boolean, `desired-peak` W: overrides the
 * configured desired peak until the node is redeployed), and `mode` messages
 * (`off` / `peak-shaving` switch it). Errors name the field.
 */
import type { CapacityHistoryEntry } from '../../api/types';
import { decimalNumber } from '../../api/config';
import type { BatteryBook } from '../battery-book';
import type { PeakInputs } from './controller';

/** The desired peak's range, W: the same as the configuration's (config.ts). */
export const DESIRED_PEAK_RANGE = [0, 100_000] as const;

type Msg = { topic?: unknown; payload?: unknown };
const num = decimalNumber;

export function peakInputFromMessage(msg: Msg, now: number, socs: BatteryBook): { inputs: PeakInputs } | { error: string } {
  const p = msg.payload;
  const topic = typeof msg.topic === 'string' ? msg.topic.trim().toLowerCase() : '';
  if (p && typeof p === 'object' && !Array.isArray(p)) {
    const o = p as Record<string, unknown>;
    const ts = num(o.timestamp) ?? now;
    if (o.kind === 'meter') {
      const power = num(o.power);
      if (power === undefined) return { error: 'payload.power: a meter reading needs a finite power in W' };
      const cap = (o.capacity ?? {}) as Record<string, unknown>;
      return { inputs: { meter: { power, timestamp: ts, currentAverageW: num(cap.currentAverageW) ?? null, averageComputed: cap.computed !== false, monthPeakW: num(cap.monthPeakW) ?? null, ...(Array.isArray(cap.history) ? { history: cap.history as CapacityHistoryEntry[] } : {}) } } };
    }
    if (o.kind === 'battery') {
      const soc = num(o.soc);
      if (soc === undefined) return { inputs: {} };
      if (soc < 0 || soc > 100) return { error: 'payload.soc: must be 0–100 %' };
      const key = typeof o.serial === 'string' && o.serial ? o.serial : topic || 'battery';
      const b = socs.update(key, num(o.power) ?? 0, soc, num(o.capacityWh), ts);
      return { inputs: { battery: { soc: b.soc, capacityWh: b.capacityWh, power: b.power, timestamp: ts } } };
    }
    if (o.kind === 'charger') return { inputs: { charger: { power: Math.max(0, num(o.power) ?? 0), timestamp: ts } } };
    if (o.kind === 'mode') {
      if (o.mode === 'off') return { inputs: { enabled: false } };
      if (o.mode === 'peak-shaving' || o.mode === 'on') return { inputs: { enabled: true } };
      return { error: 'payload.mode: peak shaving takes "peak-shaving" (on) or "off"' };
    }
    return { error: `payload.kind: "${String(o.kind)}" is not one of meter, battery, charger, mode` };
  }
  if (topic === 'grid') {
    const w = num(p);
    if (w === undefined) return { error: 'msg.payload: topic "grid" needs a number of W (+ import)' };
    return { inputs: { meter: { power: w, timestamp: now } } };
  }
  if (topic === 'soc') {
    const s = num(p);
    if (s === undefined || s < 0 || s > 100) return { error: 'msg.payload: topic "soc" needs a number 0–100 (%)' };
    return { inputs: { battery: { soc: socs.update('topic', 0, s, undefined, now).soc, timestamp: now } } };
  }
  if (topic === 'desired-peak') {
    const w = num(p);
    if (w === undefined || w < DESIRED_PEAK_RANGE[0] || w > DESIRED_PEAK_RANGE[1]) {
      return { error: `msg.payload: topic "desired-peak" needs a number of W, ${DESIRED_PEAK_RANGE[0]}–${DESIRED_PEAK_RANGE[1]} (got ${JSON.stringify(p)}); nothing changed` };
    }
    return { inputs: { desiredPeakW: w } };
  }
  if (topic === 'enable' || topic === 'enabled') {
    if (typeof p !== 'boolean') return { error: 'msg.payload: topic "enable" needs true or false' };
    return { inputs: { enabled: p } };
  }
  return { error: `msg.payload: not a meter, battery, charger or mode payload, and topic "${topic}" is not grid, soc, desired-peak or enable` };
}
