/**
 * The ev-charging node's configuration: one schema for the runtime and the editor (lib/api/config.ts),
 * and its translation into controller parameters. Defaults are the controller's (controller.ts
 * EV_DEFAULTS), written once.
 */
import { bool, int, num, oneOf, text, type ConfigSchema } from '../../api/config';
import { validTimeZone } from '../../util/local-time';
import { EV_DEFAULTS } from './controller';
import type { EvActiveMode, EvParams } from './types';

export const EV_MODES = ['lock', 'power', 'solar-pure', 'solar-plus', 'time'] as const;
export const ACTIVE_MODES: EvActiveMode[] = ['lock', 'power', 'solar-pure', 'solar-plus'];

const d = EV_DEFAULTS;

export const evConfigSchema: ConfigSchema = {
  type: 'object',
  properties: {
    mode: oneOf(EV_MODES, d.mode),
    phaseUsage: oneOf(['standard', 'single', 'automatic'], d.phaseUsage),
    minCurrent: num(6, 16, { default: d.minCurrentA, unit: 'A' }),
    maxCurrent: num(6, 63, { default: d.maxCurrentA, unit: 'A' }),
    fuseL1: num(6, 250, { default: d.fuseA[0], unit: 'A' }),
    fuseL2: num(6, 250, { empty: true, unit: 'A' }),
    fuseL3: num(6, 250, { empty: true, unit: 'A' }),
    fuseMargin: num(0, 10, { default: d.fuseMarginA, unit: 'A' }),
    imbalance: num(0, 50_000, { default: d.imbalanceVA, unit: 'VA' }),
    batteryPolicy: oneOf(['use', 'dont'], d.batteryPolicy),
    prioritySoc: num(0, 100, { default: d.prioritySoc, unit: '%' }),
    startDelay: int(0, 3600, { default: d.startDelayS, unit: 's' }),
    hold: int(0, 3600, { default: d.holdS, unit: 's' }),
    wait: int(0, 7200, { default: d.waitS, unit: 's' }),
    plusFloor: oneOf(['min', '0.5', '0.75', 'max', 'watts'], 'min'),
    plusFloorW: num(0, 44_000, { empty: true, unit: 'W' }),
    plusMinSurplusW: num(0, 44_000, { default: 0, unit: 'W' }),
    plusMinSurplusPct: num(0, 100, { default: 0, unit: '%' }),
    minSwitchInterval: int(60, 7200, { default: d.minSwitchIntervalS, unit: 's' }),
    maxSwitches: int(0, 100, { default: d.maxSwitchesPerSession }),
    bandW: num(1000, 10_000, { default: d.bandW, unit: 'W' }),
    carPhases: oneOf(['3', '1'], '3'),
    carMinCurrent: num(6, 16, { default: 6, unit: 'A' }),
    carSwitchable: bool(true),
    staleAction: oneOf(['minimum', 'pause'], d.staleAction),
    meterTimeout: num(0, 600, { default: 0, unit: 's' }),
    timeTable: text({ empty: true }),
    timeDefault: oneOf(ACTIVE_MODES, d.timeDefault),
    timeZone: text({ default: d.timeZone }),
    topic: text({ empty: true }),
  },
};

export interface EvNodeConfig {
  mode: (typeof EV_MODES)[number];
  phaseUsage: 'standard' | 'single' | 'automatic';
  minCurrent: number;
  maxCurrent: number;
  fuseL1: number;
  fuseL2?: number;
  fuseL3?: number;
  fuseMargin: number;
  imbalance: number;
  batteryPolicy: 'use' | 'dont';
  prioritySoc: number;
  startDelay: number;
  hold: number;
  wait: number;
  plusFloor: 'min' | '0.5' | '0.75' | 'max' | 'watts';
  plusFloorW?: number;
  plusMinSurplusW: number;
  plusMinSurplusPct: number;
  minSwitchInterval: number;
  maxSwitches: number;
  bandW: number;
  carPhases: '3' | '1';
  carMinCurrent: number;
  carSwitchable: boolean;
  staleAction: 'minimum' | 'pause';
  meterTimeout: number;
  timeTable?: string;
  timeDefault: EvActiveMode;
  timeZone: string;
  topic?: string;
}

/** The time table from its saved JSON: 7 rows (Monday first) × 24 modes or null. Throws with the reason. */
export function parseTimeTable(json: string | undefined): Array<Array<EvActiveMode | null>> | undefined {
  if (!json || !json.trim()) return undefined;
  let t: unknown;
  try {
    t = JSON.parse(json);
  } catch {
    throw new Error('config.timeTable: not valid JSON');
  }
  if (!Array.isArray(t) || t.length !== 7) throw new Error('config.timeTable: must be 7 days (Monday first)');
  return t.map((day, i) => {
    if (!Array.isArray(day) || day.length !== 24) throw new Error(`config.timeTable[${i}]: must be 24 hours`);
    return day.map((m, h) => {
      if (m === null || m === '') return null;
      if (!(ACTIVE_MODES as unknown[]).includes(m)) throw new Error(`config.timeTable[${i}][${h}]: must be one of ${ACTIVE_MODES.join(', ')} or empty`);
      return m as EvActiveMode;
    });
  });
}

/** Controller parameters from a read config; throws with a field-named message for what the schema cannot say. */
export function evParams(c: EvNodeConfig): EvParams {
  if (!validTimeZone(c.timeZone)) throw new Error(`config.timeZone: unknown time zone "${c.timeZone}"`);
  if (c.maxCurrent < c.minCurrent) throw new Error('config.maxCurrent: must be at least the minimum current');
  if (c.plusFloor === 'watts' && c.plusFloorW === undefined) throw new Error('config.plusFloorW: the floor power is required for "watts"');
  const fuses = [c.fuseL1, c.fuseL2, c.fuseL3].filter((x): x is number => typeof x === 'number');
  return {
    mode: c.mode,
    phaseUsage: c.phaseUsage,
    minCurrentA: c.minCurrent,
    maxCurrentA: c.maxCurrent,
    fuseA: fuses.length === 2 ? [fuses[0], fuses[1], fuses[1]] : fuses,
    fuseMarginA: c.fuseMargin,
    imbalanceVA: c.imbalance,
    batteryPolicy: c.batteryPolicy,
    prioritySoc: c.prioritySoc,
    startDelayS: c.startDelay,
    holdS: c.hold,
    waitS: c.wait,
    plusFloor: c.plusFloor === 'watts' ? c.plusFloorW : c.plusFloor === 'min' || c.plusFloor === 'max' ? c.plusFloor : (Number(c.plusFloor) as 0.5 | 0.75),
    plusMinSurplusW: c.plusMinSurplusW,
    plusMinSurplusPct: c.plusMinSurplusPct,
    minSwitchIntervalS: c.minSwitchInterval,
    maxSwitchesPerSession: c.maxSwitches,
    bandW: c.bandW,
    car: { phases: c.carPhases === '1' ? 1 : 3, minCurrentA: c.carMinCurrent, switchable: c.carSwitchable },
    staleAction: c.staleAction,
    meterTimeoutMs: c.meterTimeout * 1000,
    timeTable: parseTimeTable(c.timeTable),
    timeDefault: c.timeDefault,
    timeZone: c.timeZone,
  };
}
