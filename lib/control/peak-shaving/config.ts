/** The peak-shaving node's configuration: one schema for the runtime and the editor (lib/api/config.ts). */
import { int, num, oneOf, text, type ConfigSchema } from '../../api/config';
import { validTimeZone } from '../../util/local-time';
import type { PeakShavingParams } from './controller';
import { DESIRED_PEAK_RANGE } from './inputs';

export const peakConfigSchema: ConfigSchema = {
  type: 'object',
  properties: {
    desiredPeak: num(DESIRED_PEAK_RANGE[0], DESIRED_PEAK_RANGE[1], { default: 2500, unit: 'W' }),
    minSoc: num(0, 100, { default: 10, unit: '%' }),
    peakBuffer: num(0, 100, { default: 20, unit: '%' }),
    limitPolicy: oneOf(['follow', 'desired'], 'follow'),
    margin: num(0, 2000, { default: 100, unit: 'W' }),
    capacity: num(0, 1_000_000, { empty: true, unit: 'Wh' }),
    rate: num(0, 1000, { empty: true, unit: 'EUR/kW/year' }),
    meterTimeout: int(2, 600, { default: 10, unit: 's' }),
    batteryTimeout: int(5, 3600, { default: 60, unit: 's' }),
    timeZone: text({ default: 'Europe/Brussels' }),
    store: text({ empty: true }),
    topic: text({ empty: true }),
  },
};

export interface PeakNodeConfig {
  desiredPeak: number;
  minSoc: number;
  peakBuffer: number;
  limitPolicy: 'follow' | 'desired';
  margin: number;
  capacity?: number;
  /** Capacity-tariff rate, EUR per kW per year (empty: no cost in the account). */
  rate?: number;
  meterTimeout: number;
  /** A battery reading older than this, s: SoC unknown (peak limiting). */
  batteryTimeout: number;
  timeZone: string;
  /** Context store for the month peak, the account and the learnt quarters (empty: the default store). */
  store?: string;
  topic?: string;
}

export function peakParams(c: PeakNodeConfig): PeakShavingParams {
  if (!validTimeZone(c.timeZone)) throw new Error(`config.timeZone: unknown time zone "${c.timeZone}"`);
  if (c.minSoc + c.peakBuffer > 100) throw new Error('config.peakBuffer: minimum SoC + peak buffer must be at most 100 %');
  return {
    desiredPeakW: c.desiredPeak,
    minSocPct: c.minSoc,
    peakBufferPct: c.peakBuffer,
    limitPolicy: c.limitPolicy,
    marginW: c.margin,
    capacityWh: c.capacity,
    meterTimeoutMs: c.meterTimeout * 1000,
    batteryTimeoutMs: c.batteryTimeout * 1000,
    timeZone: c.timeZone,
  };
}
