/**
 * What the peak-shaving node's input accepts, as controller inputs (pure): `meter` readings (with a
 * P1 e-MUCS meter's capacity values), `battery` readings (several by serial, capacity-weighted SoC),
 * `charger` readings, topic + value (`grid` W, `soc` %, `enable` true/false, "on"/"off" or 1/0, `mode` text,
 * `desired-peak` W: overrides the configured desired peak until the node is redeployed), and `mode` messages
 * (DESIGN.md §4.1's battery modes `peak-shaving` (or `on`), `balance`, `hold`, `charge`, and `off`, with an optional
 * `until`, ms since epoch or ISO 8601). Errors name the field.
 */
import type { CapacityHistoryEntry } from '../../api/types';
import { decimalNumber, msOrIso, onOff } from '../../api/config';
import { describeValue } from '../../api/battery-setpoint';
import { readingTime, WATTS_TEXT, wattsOf } from '../../api/control-schemas';
import type { BatteryBook } from '../battery-book';
import { PEAK_MODES, type PeakInputs, type PeakMode, type PeakModeInput } from './controller';

/** The desired peak's range, W: the same as the configuration's (config.ts). */
export const DESIRED_PEAK_RANGE = [0, 100_000] as const;

type Msg = { topic?: unknown; payload?: unknown };
const num = decimalNumber;
const shown = describeValue;

// `enable` takes the same words as zero export's (lib/api/config.ts onOff).
export { onOff } from '../../api/config';

const MODES_TEXT = '"peak-shaving" (or "on"), "balance", "hold", "charge" or "off"';

/** A mode name ("on" = peak-shaving), or undefined. */
function modeOf(v: unknown): PeakMode | undefined {
  const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
  if (s === 'on') return 'peak-shaving';
  return (PEAK_MODES as readonly string[]).includes(s) ? (s as PeakMode) : undefined;
}

/** `until`: ms since epoch (a number ≥ 0) or an ISO 8601 date with a time; absent = the mode stands. */
function untilOf(v: unknown): { until?: number } | { error: string } {
  if (v === undefined || v === null) return {};
  const t = msOrIso(v);
  if (!Number.isFinite(t) || t < 0) return { error: `payload.until: must be ms since epoch or an ISO 8601 date and time, e.g. 2026-06-01T18:00:00Z (got ${shown(v)})` };
  return { until: t };
}

function modeInput(o: Record<string, unknown>): { inputs: PeakInputs } | { error: string } {
  const mode = modeOf(o.mode);
  if (!mode) return { error: `payload.mode: peak shaving takes ${MODES_TEXT} (got ${shown(o.mode)})` };
  const u = untilOf(o.until);
  if ('error' in u) return u;
  if (o.reason !== undefined && typeof o.reason !== 'string') return { error: `payload.reason: must be text (got ${shown(o.reason)})` };
  const m: PeakModeInput = { mode, ...u, ...(o.reason ? { reason: o.reason as string } : {}) };
  return { inputs: { mode: m } };
}

export function peakInputFromMessage(msg: Msg, now: number, socs: BatteryBook): { inputs: PeakInputs } | { error: string } {
  const p = msg.payload;
  const topic = typeof msg.topic === 'string' ? msg.topic.trim().toLowerCase() : '';
  if (p && typeof p === 'object' && !Array.isArray(p)) {
    const o = p as Record<string, unknown>;
    const ts = readingTime(o.timestamp, now);
    if (o.kind === 'meter') {
      const power = wattsOf(o.power);
      if (power === undefined) return { error: `payload.power: a meter reading needs ${WATTS_TEXT}, got ${describeValue(o.power)}` };
      const cap = (o.capacity ?? {}) as Record<string, unknown>;
      for (const f of ['currentAverageW', 'monthPeakW'] as const) {
        if (cap[f] !== undefined && cap[f] !== null && wattsOf(cap[f]) === undefined) return { error: `payload.capacity.${f}: needs ${WATTS_TEXT}, got ${describeValue(cap[f])}` };
      }
      return { inputs: { meter: { power, timestamp: ts, currentAverageW: wattsOf(cap.currentAverageW) ?? null, averageComputed: cap.computed !== false, monthPeakW: wattsOf(cap.monthPeakW) ?? null, ...(Array.isArray(cap.history) ? { history: cap.history as CapacityHistoryEntry[] } : {}) } } };
    }
    if (o.kind === 'battery') {
      const soc = num(o.soc);
      if (soc === undefined) return { inputs: {} };
      if (soc < 0 || soc > 100) return { error: 'payload.soc: must be 0–100 %' };
      const key = typeof o.serial === 'string' && o.serial ? o.serial : topic || 'battery';
      if (o.power !== undefined && wattsOf(o.power) === undefined) return { error: `payload.power: a battery reading needs ${WATTS_TEXT}, got ${describeValue(o.power)}` };
      const b = socs.update(key, wattsOf(o.power) ?? 0, soc, num(o.capacityWh), ts);
      return { inputs: { battery: { soc: b.soc, capacityWh: b.capacityWh, power: b.power, timestamp: ts } } };
    }
    if (o.kind === 'charger') {
      if (o.power !== undefined && wattsOf(o.power) === undefined) return { error: `payload.power: a charger reading needs ${WATTS_TEXT}, got ${describeValue(o.power)}` };
      return { inputs: { charger: { power: Math.max(0, wattsOf(o.power) ?? 0), timestamp: ts } } };
    }
    if (o.kind === 'mode') return modeInput(o);
    return { error: `payload.kind: ${describeValue(o.kind)} is not one of meter, battery, charger, mode` };
  }
  if (topic === 'grid') {
    const w = wattsOf(p);
    if (w === undefined) return { error: `msg.payload: topic "grid" needs ${WATTS_TEXT} (+ import), got ${describeValue(p)}` };
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
      return { error: `msg.payload: topic "desired-peak" needs a number of W, ${DESIRED_PEAK_RANGE[0]}–${DESIRED_PEAK_RANGE[1]} (got ${shown(p)}); nothing changed` };
    }
    return { inputs: { desiredPeakW: w } };
  }
  if (topic === 'enable' || topic === 'enabled') {
    const on = onOff(p);
    if (on === undefined) return { error: `msg.payload: topic "enable" needs true/false, "on"/"off" or 1/0 (got ${shown(p)})` };
    return { inputs: { enabled: on } };
  }
  if (topic === 'mode') {
    const mode = modeOf(p);
    if (!mode) return { error: `msg.payload: topic "mode" needs ${MODES_TEXT} (got ${shown(p)})` };
    return { inputs: { mode: { mode } } };
  }
  return { error: `msg.payload: not a meter, battery, charger or mode payload, and topic "${topic}" is not grid, soc, desired-peak, enable or mode` };
}
