/**
 * Decoded KSEM values → normalized `kind: "meter"` reading (DESIGN.md §2: W + import / − export,
 * Wh monotonic, V, A, Hz). Native registers: net power = "+" register − "−" register (ksem.md §1.3;
 * SvenBunge, uni-meter). SunSpec model 203: W is already signed, + import (§1.11).
 *
 * Plausibility: a value outside its physical range (a voltage above 1000 V, |cos φ| > 1, a
 * frequency outside 40–70 Hz, …) is left out rather than passed on; the total power is required —
 * without it there is no reading and the caller gets a KsemDataError naming the register.
 */
import type { EnergyCounters, MeterReading, PhaseValues } from '../../api/types';
import { PHASES } from './descriptor';
import type { KsemDeviceInfo, KsemValues, SunSpecCommon, SunSpecMeterValues } from './decode';

/** A reply without a usable total power (code 'data'; `short` for status texts). */
export class KsemDataError extends Error {
  readonly code = 'data';
  constructor(
    message: string,
    readonly short = 'no usable power value',
  ) {
    super(message);
    this.name = 'KsemDataError';
  }
}

export interface KsemIdentity {
  common?: SunSpecCommon;
  info?: KsemDeviceInfo;
}

const LIMIT = {
  powerW: 1_000_000,
  voltage: 1000,
  current: 2000,
  freqMin: 40,
  freqMax: 70,
  energyWh: 1e15,
};

/** Rounds away binary noise from sums of decimal values (0.1 W resolution → 3 decimals is plenty). */
const r3 = (x: number) => Math.round(x * 1000) / 1000;

const inRange = (v: number | undefined, lo: number, hi: number): v is number => typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;

/** Serial: SunSpec model 1 SN first (the native 0x2024 string is unreliable, ksem.md §1.8), then the native one. */
export function identitySerial(id: KsemIdentity | undefined): string | null {
  return id?.common?.serialNumber || id?.info?.serialNumber || null;
}

export function identityModel(id: KsemIdentity | undefined): string | null {
  const c = id?.common;
  if (c && (c.manufacturer || c.model)) {
    // "KOSTAL" + "KOSTAL Smart Energy Meter" → once.
    if (c.manufacturer && c.model && c.model.toLowerCase().startsWith(c.manufacturer.toLowerCase())) return c.model;
    return [c.manufacturer, c.model].filter(Boolean).join(' ');
  }
  if (id?.info?.productId !== undefined) return `KSEM (product id ${id.info.productId})`;
  return null;
}

function baseReading(timestamp: number, id: KsemIdentity | undefined, protocol: string): MeterReading {
  const version = id?.common?.version;
  return {
    kind: 'meter',
    timestamp: Math.round(timestamp),
    source: 'ksem',
    serial: identitySerial(id),
    model: identityModel(id),
    protocol: version ? `${protocol}, firmware ${version}` : protocol,
    power: 0,
  };
}

function setPower(target: { power?: number; importPower?: number; exportPower?: number }, plus: number | undefined, minus: number | undefined): boolean {
  if (!inRange(plus, 0, LIMIT.powerW) || !inRange(minus, 0, LIMIT.powerW)) return false;
  target.power = r3(plus - minus);
  target.importPower = plus;
  target.exportPower = minus;
  return true;
}

function energy(importWh: number | undefined, exportWh: number | undefined): EnergyCounters | undefined {
  if (!inRange(importWh, 0, LIMIT.energyWh) || !inRange(exportWh, 0, LIMIT.energyWh)) return undefined;
  return { importWh, exportWh };
}

/**
 * Native registers (ksem.md §1.4–1.7). `values` from decodeNative(); phase energies may come from an
 * older read (they are polled less often) — pass them in `values` too.
 */
export function nativeToReading(values: KsemValues, timestamp: number, id?: KsemIdentity, protocol = 'KSEM Modbus'): MeterReading {
  const r = baseReading(timestamp, id, protocol);
  if (!setPower(r, values.activePowerPlus, values.activePowerMinus)) {
    const which = !inRange(values.activePowerPlus, 0, LIMIT.powerW) ? 'activePowerPlus (register 0)' : 'activePowerMinus (register 2)';
    throw new KsemDataError(`${which}: missing or implausible value`);
  }
  const phases: PhaseValues[] = [];
  for (const ph of PHASES) {
    const p: PhaseValues = {};
    const v = values[`${ph}.voltage`];
    if (inRange(v, 0, LIMIT.voltage)) p.voltage = v;
    const a = values[`${ph}.current`];
    if (inRange(a, 0, LIMIT.current)) p.current = a;
    setPower(p, values[`${ph}.activePowerPlus`], values[`${ph}.activePowerMinus`]);
    const pf = values[`${ph}.powerFactor`];
    if (inRange(pf, -1, 1)) p.powerFactor = pf;
    phases.push(p);
  }
  if (phases.some((p) => Object.keys(p).length)) r.phases = phases;
  if (inRange(values.frequency, LIMIT.freqMin, LIMIT.freqMax)) r.frequency = values.frequency;
  if (inRange(values.powerFactor, -1, 1)) r.powerFactor = values.powerFactor;
  const e = energy(values.activeEnergyPlus, values.activeEnergyMinus);
  if (e) {
    const pe = PHASES.map((ph) => energy(values[`${ph}.activeEnergyPlus`], values[`${ph}.activeEnergyMinus`]));
    if (pe.every(Boolean)) e.phases = pe as Array<{ importWh: number; exportWh: number }>;
    r.energy = e;
  }
  return r;
}

/** SunSpec model 203 (ksem.md §1.11): 10 W resolution on the KSEM, scale factors applied by decodeMeter203. */
export function sunspecToReading(m: SunSpecMeterValues, timestamp: number, id?: KsemIdentity, protocol = 'SunSpec 203'): MeterReading {
  const r = baseReading(timestamp, id, protocol);
  if (!inRange(m.W, -LIMIT.powerW, LIMIT.powerW)) throw new KsemDataError('model 203 W: missing or implausible value');
  const split = (t: { power?: number; importPower?: number; exportPower?: number }, w: number) => {
    t.power = r3(w);
    t.importPower = w > 0 ? r3(w) : 0;
    t.exportPower = w < 0 ? r3(-w) : 0;
  };
  split(r, m.W);
  const keys = [
    ['PhVphA', 'AphA', 'WphA', 'PFphA'],
    ['PhVphB', 'AphB', 'WphB', 'PFphB'],
    ['PhVphC', 'AphC', 'WphC', 'PFphC'],
  ] as const;
  const phases: PhaseValues[] = keys.map(([kv, ka, kw, kpf]) => {
    const p: PhaseValues = {};
    if (inRange(m[kv], 0, LIMIT.voltage)) p.voltage = m[kv];
    if (inRange(m[ka], -LIMIT.current, LIMIT.current)) p.current = m[ka];
    if (inRange(m[kw], -LIMIT.powerW, LIMIT.powerW)) split(p, m[kw]!);
    if (inRange(m[kpf], -1, 1)) p.powerFactor = m[kpf];
    return p;
  });
  if (phases.some((p) => Object.keys(p).length)) r.phases = phases;
  if (inRange(m.Hz, LIMIT.freqMin, LIMIT.freqMax)) r.frequency = m.Hz;
  if (inRange(m.PF, -1, 1)) r.powerFactor = m.PF;
  const e = energy(m.TotWhImp, m.TotWhExp);
  if (e) {
    const pe = [energy(m.TotWhImpPhA, m.TotWhExpPhA), energy(m.TotWhImpPhB, m.TotWhExpPhB), energy(m.TotWhImpPhC, m.TotWhExpPhC)];
    // acc32 0 is SunSpec's "not accumulated": per-phase counters that are all 0 are not implemented.
    if (pe.every(Boolean) && pe.some((x) => x!.importWh > 0 || x!.exportWh > 0)) e.phases = pe as Array<{ importWh: number; exportWh: number }>;
    r.energy = e;
  }
  return r;
}
