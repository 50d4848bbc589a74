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
  /** cos φ, −1 … 1 (signed where the device gives a sign; KSEM). */
  powerFactor?: number;
}

export interface EnergyCounters {
  /** Total imported energy, Wh (sum over tariffs). */
  importWh: number;
  /** Total exported energy, Wh (sum over tariffs). */
  exportWh: number;
  /** Per tariff register, index 0 = tariff 1. */
  importTariffWh?: number[];
  exportTariffWh?: number[];
  /** Per phase (L1 first) where the meter counts each phase (KSEM). */
  phases?: Array<{ importWh: number; exportWh: number }>;
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
  /** Total cos φ, −1 … 1 (KSEM). */
  powerFactor?: number;
  capacity?: CapacityValues;
  gas?: VolumeReading;
  water?: VolumeReading;
  /** Heat meters report GJ. */
  heat?: { GJ: number; at: string | null };
}

/**
 * Normalized battery state, the same for every battery driver (Sessy, Sofar, ...).
 * - `ready`:    running and accepting setpoints in both directions
 * - `starting`: start-up / safety wait (e.g. Sessy's 60 s WAITING_IN_SAFE_SITUATION): setpoints are
 *               accepted later; controllers should wait, not wind up
 * - `empty`:    cannot discharge (charge still allowed); `full`: cannot charge (discharge allowed)
 * - `standby`:  idle / not started by the device's own logic
 * - `override`: the device or a third party overrides our setpoint (grid-frequency response,
 *               strategy_overridden, supplier cloud control)
 * - `error`:    fault reported by the device
 * - `offline`:  no valid reply from the device
 * - `unknown`:  a state value this driver does not know (raw value kept in `stateText`)
 */
export type BatteryState = 'ready' | 'starting' | 'empty' | 'full' | 'standby' | 'override' | 'error' | 'offline' | 'unknown';

export interface BatteryLimits {
  /** Largest charge power this unit accepts now, W ≥ 0. */
  maxChargeW: number;
  /** Largest discharge power, W ≥ 0. */
  maxDischargeW: number;
}

/** kind: "battery" — one battery unit (one Sessy, one inverter with its pack). */
export interface BatteryReading {
  kind: 'battery';
  timestamp: number;
  /** Driver: "sessy", "sofar", ... */
  source: string;
  serial?: string | null;
  model?: string | null;
  /** State of charge, % 0–100 (null when unknown). */
  soc: number | null;
  /** AC power, W: + discharge (battery supplies the house), − charge. */
  power: number;
  /** The setpoint the device reports as active, W (+ discharge), or null when it has none. */
  setpoint?: number | null;
  state: BatteryState;
  /** The device's own state name or text, e.g. "SYSTEM_STATE_RUNNING_SAFE", "charging". */
  stateText?: string;
  /** Seconds until a `starting` unit accepts setpoints, when known. */
  startupRemainingS?: number;
  /** Active control strategy / mode name as the device names it ("POWER_STRATEGY_API", "passive"). */
  strategy?: string | null;
  limits: BatteryLimits;
  /** Usable capacity, Wh, when known. */
  capacityWh?: number | null;
  /** Monotonic energy counters, Wh. */
  energy?: { chargedWh?: number; dischargedWh?: number };
  /** DC side where the device reports it. */
  voltage?: number;
  current?: number;
  temperature?: number;
  frequency?: number;
  /** Device-specific extras (per-phase meter of a Sessy, PV and load of a hybrid inverter). */
  [extra: string]: unknown;
}

/** kind: "battery-setpoint" — a command to a battery node. Power W, + discharge, − charge, 0 = idle. */
export interface BatterySetpointCommand {
  kind: 'battery-setpoint';
  power: number;
  /** Optional: only the battery with this serial acts on it (others ignore it). */
  serial?: string;
  /** Who sent it, for status and logs. */
  reason?: string;
}

/**
 * kind: "battery-release" — hands the unit back to its own control (Sessy: the strategy found before
 * API, else 0 W; Sofar: its *On stop* mode, auto unless set to standby). What a controller sends when
 * it lets go, e.g. zero-export's fail safe 'release'.
 */
export interface BatteryReleaseCommand {
  kind: 'battery-release';
  /** Optional: only the battery with this serial acts on it (others ignore it). */
  serial?: string;
  /** Who sent it, for status and logs. */
  reason?: string;
}

/**
 * Normalized wallbox state (DESIGN.md §4.1):
 * - `idle`:      no car connected
 * - `connected`: car connected, not charging and not held back by us (waiting for the car or for authorization)
 * - `charging`:  current flowing
 * - `paused`:    car connected, charging stopped by a command (release off) or by the box's own limit
 * - `error`:     fault reported by the box or the car
 * - `offline`:   no valid reply from the box
 */
export type ChargerState = 'idle' | 'connected' | 'charging' | 'paused' | 'error' | 'offline';

/** kind: "charger" — one wallbox (charge point). */
export interface ChargerReading {
  kind: 'charger';
  timestamp: number;
  /** Driver: "enector", … */
  source: string;
  serial?: string | null;
  model?: string | null;
  state: ChargerState;
  /** The device's own state name or text. */
  stateText?: string;
  /** Charging power, W ≥ 0. */
  power: number;
  /** Per phase L1 first: current A, voltage V, power W. */
  phases?: PhaseValues[];
  /** Phases in use now (1 or 3), when known. */
  activePhases?: 1 | 2 | 3 | null;
  /** Current the box signals to the car, A (0 when paused). */
  signalledCurrentA?: number | null;
  /** Whether charging is released (enabled) by the energy manager. */
  enabled?: boolean;
  /** Energy of the running (or last) session, Wh. */
  sessionWh?: number | null;
  /** Monotonic total energy counter, Wh. */
  energyWh?: number | null;
  limits: ChargerLimits;
  /** Device-specific extras (cable lock, temperature, error code, …). */
  [extra: string]: unknown;
}

export interface ChargerLimits {
  /** Smallest current the box signals, A (IEC 61851: 6 A). */
  minCurrentA: number;
  /** Largest current allowed now (box, cable, installation, session), A. */
  maxCurrentA: number;
  /** Phase counts the box can switch to ([3] when it cannot switch). */
  phaseOptions: Array<1 | 3>;
}

/** kind: "charger-setpoint" — the only way a charger is commanded (DESIGN.md §4.1). */
export interface ChargerSetpointCommand {
  kind: 'charger-setpoint';
  /** Charging allowed (release). false pauses the session; the current is then ignored. */
  enabled: boolean;
  /** Signalled current per phase, A (clamped to the charger's limits). */
  currentA: number;
  /** Phase count wanted; absent = keep. Honoured only where phase switching is allowed. */
  phases?: 1 | 3;
  serial?: string;
  reason?: string;
}
