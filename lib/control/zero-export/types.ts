/**
 * Zero export ("nul op de meter"): the contract between the controller (controller.ts), the
 * Node-RED node (nodes/zero-export) and the benchmark (bench/zero-export). Units and signs follow
 * DESIGN.md §2: grid W + import / − export; battery W + discharge / − charge; time ms since epoch.
 *
 * The controller is a pure state machine (DESIGN.md §4): `step(inputs, now)` takes what arrived
 * since the last call and the current time, and returns the commands to send now. It never reads
 * the clock and owns no timers; the caller calls step() on every input and on a regular tick
 * (recommended: every 250 ms) so that stale data is noticed without new input.
 */
import type { BatteryState } from '../../api/types';

/** One battery unit the controller drives: one output of the node, one plant in the benchmark. */
export interface ZeroExportUnitConfig {
  /** Key of the unit: output label in the node, index name in the benchmark. */
  id: string;
  /** Hard limits set by the user, W ≥ 0 (default 2200 charge, 1700 discharge: one Sessy). The unit's own reported limits apply too, whichever is lower. */
  maxChargeW?: number;
  maxDischargeW?: number;
  /** Usable capacity, Wh, when the unit does not report it (default 5200). Used to split by stored energy. */
  capacityWh?: number;
  /** Command latency window, ms: the unit starts to move between min and max after a command (default 1000–3000; learnt narrower or shifted from readings). */
  latencyMinMs?: number;
  latencyMaxMs?: number;
  /** Ramp rate of the unit's AC power, W/s (default 1000; a unit that turns out faster or slower shifts its latency window). */
  rampWPerS?: number;
}

export interface ZeroExportParams {
  /** Grid power to hold, W (default 0; + allows that much import, − asks for export). */
  targetW?: number;
  /** Never export more than this, W ≥ 0; null = no cap (default null). Charging is used first, then curtailment is reported. */
  exportCapW?: number | null;
  /** Corrections smaller than this are not sent at once, W (default 15). */
  deadbandW?: number;
  /** Small errors are integrated; a correction goes out once they add up to this, W·s (default 150). */
  errorBudgetWs?: number;
  /** Largest change of the total setpoint per second, W/s (default 4000). */
  slewWPerS?: number;
  /** Meter reading older than this → fail safe, ms; 0 = auto: 2 × the observed meter period, at least 2500 ms (default 0). */
  meterTimeoutMs?: number;
  /** Battery reading older than this → that unit drops out, ms (default 30000). */
  batteryTimeoutMs?: number;
  /** What fail safe does: 'zero' sends 0 W to every unit; 'release' hands each unit back to its own strategy (default 'zero'). */
  failSafe?: 'zero' | 'release';
  /** Discharge stops at this SoC, % (default 5). */
  minSocPct?: number;
  /** Charging stops at this SoC, % (default 100). */
  maxSocPct?: number;
  /** Backup reserve, %: no discharge below it, and below it the unit is charged from the grid at reserveChargeW (default 0 = off). */
  reserveSocPct?: number;
  /** Grid charging power used to refill the reserve, W (default 300). */
  reserveChargeW?: number;
  /** Hysteresis on every SoC threshold, % (default 0.5). */
  socHysteresisPct?: number;
  /** Power at which one unit converts most efficiently, W (default 800); more units are used when the total is well above it. */
  unitEfficientW?: number;
  /** Least time between changes of the number of units in use, ms (default 60000). More are added at once when the power needs them. */
  stageDwellMs?: number;
  /** The current setpoint is sent again after this long without a change, ms; 0 = never (default 60000). */
  refreshMs?: number;
  units: ZeroExportUnitConfig[];
}

/** A grid meter sample. */
export interface MeterSample {
  /** Net grid power, W: + import, − export. */
  power: number;
  /** When it was measured (ms). A timestamp more than 5 s in the past or 1 s in the future of its arrival is not trusted (meter clock off): arrival time − 500 ms is used. */
  timestamp: number;
}

/** What a battery unit reports (a subset of BatteryReading). */
export interface UnitObservation {
  /** AC power, W (+ discharge). */
  power: number;
  /** State of charge, %, or null. */
  soc: number | null;
  state: BatteryState;
  /** The unit's own limits now, W ≥ 0. */
  limits?: { maxChargeW: number; maxDischargeW: number };
  /** Seconds until a `starting` unit accepts setpoints. */
  startupRemainingS?: number;
  capacityWh?: number | null;
  /** The setpoint the unit reports as active, W, when it reports one. */
  setpoint?: number | null;
  /** When it was measured (ms). */
  timestamp: number;
}

/** What arrived since the last step. Every field is optional; absent = nothing new. */
export interface ZeroExportInputs {
  meter?: MeterSample;
  /** New readings by unit id. */
  units?: Record<string, UnitObservation>;
  /** Turns control on or off (default on). Off: every unit gets the fail-safe action once, then nothing. */
  enabled?: boolean;
  /** Changes the grid target at run time, W. */
  targetW?: number;
  /** Changes the export cap at run time, W, or null for none. */
  exportCapW?: number | null;
}

/** One command for one unit. `release` = hand the unit back to its own strategy (the battery node's battery-release command). */
export interface ZeroExportCommand {
  unit: string;
  /** W, + discharge / − charge; 0 when `release`. */
  power: number;
  release?: boolean;
  /** Short machine-readable reason: 'control', 'refresh', 'failsafe-meter', 'disabled', 'unit-dropped', 'reserve', ... */
  reason: string;
}

export type ZeroExportMode = 'waiting' | 'active' | 'failsafe' | 'disabled';

export interface UnitStatus {
  id: string;
  /** What we last commanded, W (null before the first command or after a release). */
  setpoint: number | null;
  /** Latest reported power, W, or null. */
  power: number | null;
  soc: number | null;
  state: BatteryState | 'no-data' | 'stale';
  /** Whether the unit is being used now. */
  active: boolean;
  /** Why the unit is not usable or limited, when it is: 'stale', 'error', 'starting', 'full', 'empty', 'reserve', 'not-following', ... */
  note?: string;
}

export interface ZeroExportState {
  mode: ZeroExportMode;
  /** Latest grid power, W, or null. */
  gridW: number | null;
  /** Age of the latest meter sample at `now`, ms, or null. */
  meterAgeMs: number | null;
  /** Observed meter period, ms, or null while unknown. */
  meterPeriodMs: number | null;
  targetW: number;
  exportCapW: number | null;
  /** Sum of the current setpoints, W. */
  totalSetpointW: number;
  /** PV power that must be curtailed to respect the export cap (batteries already charging at their limit), W ≥ 0. */
  curtailmentW: number;
  units: UnitStatus[];
  /** Counters since start. */
  counters: { commands: number; failsafes: number };
}

export interface ZeroExportResult {
  /** Commands to send now (only units whose setpoint changes, refreshes, and releases). */
  commands: ZeroExportCommand[];
  state: ZeroExportState;
  /** Human-readable reasons for this step's decisions, first = most important (e.g. "meter stale 3.1 s: all setpoints 0 W"). Empty when nothing happened. */
  reasons: string[];
}

/** What the benchmark needs of a controller (ours and every baseline). */
export interface ZeroExportLike {
  step(inputs: ZeroExportInputs, now: number): { commands: ZeroExportCommand[] };
}
