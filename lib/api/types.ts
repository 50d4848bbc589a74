/**
 * Normalized message types shared by every device node and controller.
 * Units and signs follow DESIGN.md §2: W (+ import / + discharge), Wh (monotonic),
 * V, A, Hz, % (0–100), time in ms since epoch UTC.
 */

/** Values of one phase, L1 first. Any field may be absent when the device does not send it. */
export interface PhaseValues {
  /** V */
  voltage?: number;
  /** A, as the device reports it (P1 meters report the magnitude, unsigned). */
  current?: number;
  /** W, net: + import, − export. */
  power?: number;
  /** W, import part (≥ 0) where the device reports import and export separately. */
  importPower?: number;
  /** W, export part (≥ 0). */
  exportPower?: number;
}

export interface EnergyCounters {
  /** Total imported energy, Wh (sum over tariffs). */
  importWh: number;
  /** Total exported energy, Wh (sum over tariffs). */
  exportWh: number;
  /** Per tariff register, index 0 = tariff 1. */
  importTariffWh?: number[];
  exportTariffWh?: number[];
}

export interface CapacityHistoryEntry {
  /**
   * The meter's stamp for this entry, ISO 8601 UTC (null for a placeholder). Meters stamp an entry with
   * the start of the month AFTER the peak (the end of the peak's month): an August peak sits under
   * 1 September 00:00 local time (p1-dsmr.md §2.9 V7).
   */
  month: string | null;
  /** Peak quarter-hour average import demand, W. */
  peakW: number;
  /** When the peak happened, ISO 8601 UTC, or null. */
  at: string | null;
}

/** Belgian capacity tariff (quarter-hour average demand) values. */
export interface CapacityValues {
  /** Average import demand of the running quarter-hour, W (1-0:1.4.0, or computed). */
  currentAverageW: number | null;
  /** Highest quarter-hour average this month, W (1-0:1.6.0). */
  monthPeakW?: number | null;
  /** When the month peak happened, ISO 8601 UTC. */
  monthPeakAt?: string | null;
  /** Month peaks, newest last as the meter sends them (0-0:98.1.0). */
  history?: CapacityHistoryEntry[];
  /** Projected average at the end of the running quarter-hour, W (computed). */
  projectedW?: number | null;
  /** Start of the running quarter-hour, ms since epoch. */
  quarterStart?: number;
  /** true when currentAverageW was computed by this package rather than sent by the meter. */
  computed?: boolean;
  /** true when the computed average does not cover the whole elapsed quarter (started mid-quarter). */
  partial?: boolean;
}

export interface VolumeReading {
  /** Volume in m³. */
  m3: number;
  /** When the sub-meter captured the reading, ISO 8601 UTC, or null. */
  at: string | null;
}

/** kind: "meter" — a grid meter reading (P1, KSEM, Sessy P1 dongle, ...). */
export interface MeterReading {
  kind: 'meter';
  /** When the reading was measured (ms since epoch, UTC). */
  timestamp: number;
  /** Which driver produced it: "p1", "sessy-p1", "ksem", ... */
  source: string;
  /** Device serial / equipment id when the device reports one. */
  serial?: string | null;
  /** Model or identification line. */
  model?: string | null;
  /** Protocol and version, e.g. "DSMR 5.0", "e-MUCS 50217". */
  protocol?: string | null;
  /** Net grid power, W: + import, − export. */
  power: number;
  /** W ≥ 0 */
  importPower?: number;
  /** W ≥ 0 */
  exportPower?: number;
  phases?: PhaseValues[];
  energy?: EnergyCounters;
  /** Active tariff register (1 or 2). */
  tariff?: number | null;
  frequency?: number;
  capacity?: CapacityValues;
  gas?: VolumeReading;
  water?: VolumeReading;
  /** Heat meters report GJ. */
  heat?: { GJ: number; at: string | null };
}
