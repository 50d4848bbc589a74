/** P1Telegram → normalized `kind: "meter"` reading (DESIGN.md §2). */
import type { MeterReading } from '../../api/types';
import type { P1Telegram } from './types';
import { QuarterHourTracker, projectFromMeterAverage, quarterStart } from './quarter-hour';

/**
 * Convert a parsed telegram. `receivedAt` is used as the timestamp when the telegram carries none
 * (DSMR 2.2/3.0) or a null placeholder. Returns null when the telegram has no power values at all
 * (a heat-meter link, say): nothing to report as a grid meter.
 */
export function telegramToReading(t: P1Telegram, receivedAt: number, tracker?: QuarterHourTracker): MeterReading | null {
  if (t.power === null) return null;
  const ts = t.timestamp ? Date.parse(t.timestamp) : NaN;
  const timestamp = Number.isFinite(ts) ? ts : receivedAt;
  const r: MeterReading = {
    kind: 'meter',
    timestamp,
    source: 'p1',
    serial: t.equipmentId,
    model: t.header,
    protocol: t.protocol,
    power: t.power,
  };
  if (t.importPower !== null) r.importPower = t.importPower;
  if (t.exportPower !== null) r.exportPower = t.exportPower;
  if (t.phases.length) r.phases = t.phases;
  if (t.energy) r.energy = t.energy;
  if (t.tariff !== null) r.tariff = t.tariff;
  if (t.gas) r.gas = t.gas;
  if (t.water) r.water = t.water;
  if (t.heat) r.heat = t.heat;
  const importW = t.importPower ?? Math.max(0, t.power);
  if (t.capacity && t.capacity.currentAverageW !== null && t.capacity.currentAverageW !== undefined) {
    r.capacity = {
      ...t.capacity,
      projectedW: projectFromMeterAverage(timestamp, t.capacity.currentAverageW, importW),
      quarterStart: quarterStart(timestamp),
      computed: false,
    };
  } else if (tracker) {
    r.capacity = { ...(t.capacity ?? {}), ...tracker.update(timestamp, importW) };
  } else if (t.capacity) r.capacity = t.capacity;
  return r;
}
