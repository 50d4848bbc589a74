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
  /**
   * Caps set by the user, W ≥ 0 (default: none). The unit's own limits come from its readings
   * (`limits` of its battery reading), whichever is lower; a unit whose readings carry no limits
   * is driven at most UNREPORTED_LIMIT_W (controller.ts) each way.
   */
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
  /**
   * Run only as many units as are efficient (unitEfficientW, stageDwellMs) instead of sharing the power over every
   * unit (default false: the conversion losses staging saves are stored, and exported when the batteries fill up).
   */
  stageUnits?: boolean;
  /** With stageUnits: power at which one unit converts most efficiently, W (default 800); more units are used when the total is well above it. */
  unitEfficientW?: number;
  /** Least time between changes of the number of units in use, ms (default 60000). More are added at once when the power needs them. */
  stageDwellMs?: number;
  /** A unit's share may stay this far off its fair share so that a change of the total goes to one unit only, W (default 100; 0 = every unit is set each time). */
  shareToleranceW?: number;
  /**
   * The current setpoint is sent again after this long without a change, ms, unless the unit's latest
   * reading reports it as its active setpoint (then its own node keeps it alive); 0 = never (default 60000).
   */
  refreshMs?: number;
  /**
   * Grid outside the band ± deadbandW for longer than this → `state.attention` says why (status
   * yellow), ms; 0 = auto: 3 meter periods, at least 10 s (default 0).
   */
  offTargetMs?: number;
  /**
   * Leave the car's power to the grid (DESIGN.md §4.1): the charger's power (a `charger` input) is
   * not compensated, so the home battery does not discharge into the car (default false).
   */
  excludeChargerPower?: boolean;
  /**
   * Battery mode `charge` (a `mode` message, DESIGN.md §4.1): charge the batteries from the grid at this
   * power, W ≥ 0 (default 1000), within the units' limits and never above a grid-limit's or a band's maxW.
   */
  modeChargeW?: number;
  units: ZeroExportUnitConfig[];
}

/**
 * Battery modes (DESIGN.md §4.1 `mode`): `balance` = the configured behaviour (target, bands);
 * `peak-shaving` = the same (the peak-shaving node sends the bands); `hold` = the batteries spend
 * nothing (0 W) unless a band, grid-limit or the export cap needs them; `charge` = charge from the
 * grid at `modeChargeW`.
 */
export type BatteryMode = 'balance' | 'peak-shaving' | 'hold' | 'charge';

/** A `mode` message: holds until `until` (ms), or until another mode arrives when it has none. */
export interface ModeRequest {
  mode: BatteryMode;
  until?: number;
  reason?: string;
  source?: string;
  /** For `charge`: this power instead of modeChargeW, W ≥ 0. */
  chargeW?: number;
}

/** The battery mode now (state.batteryMode). */
export interface ModeState {
  mode: BatteryMode;
  /** 'config' = no mode message holds (balance); 'mode' = a mode message. */
  source: 'config' | 'mode';
  until: number | null;
  reason: string | null;
  /** The last mode message's mode when it ended at its `until` (the configured behaviour holds again), else null. */
  ended: BatteryMode | null;
  /** The charge power in `charge` mode, W (before the units' limits), else null. */
  chargeW: number | null;
}

/**
 * A `grid-limit` (DESIGN.md §4.1): the site may import at most maxImportW and export at most
 * maxExportW, W ≥ 0. Holds until `until`, or until its sender stops refreshing it (two update
 * periods; 60 s assumed until a second one arrives); the lowest of each sender's limits holds.
 */
export interface GridLimit {
  maxImportW?: number;
  maxExportW?: number;
  until?: number;
  reason?: string;
  source?: string;
}

/** The grid-limit held now (state.gridLimit). */
export interface GridLimitState {
  maxImportW: number | null;
  maxExportW: number | null;
  until: number;
  reason: string | null;
}

/**
 * A band to hold the grid in (DESIGN.md §4.1 `grid-target`), W + import: minW = maxW is a point
 * target. Holds until `until` (ms), or until the messages stop: two of their update periods
 * without a refresh (60 s assumed until a second one arrives). Then the configured target again.
 */
export interface GridTarget {
  minW: number;
  maxW: number;
  until?: number;
  reason?: string;
  /** Who sends it: each sender's band holds (and expires) on its own, and the most restrictive of them is held. */
  source?: string;
}

/** The charger's power now (a `charger` reading), for `excludeChargerPower`. */
export interface ChargerSample {
  /** Charging power, W ≥ 0. */
  power: number;
  /** When it was measured (ms). */
  timestamp: number;
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
  /** A band from another controller (peak shaving, a schedule); replaces the previous one of the same `source`. */
  gridTarget?: GridTarget;
  /** A grid-limit from another controller or a grid operator; replaces the previous one of the same `source`. */
  gridLimit?: GridLimit;
  /** Switches the battery mode (a `mode` message). */
  mode?: ModeRequest;
  /** The charger's power (used when `excludeChargerPower`). */
  charger?: ChargerSample;
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

/** Why the grid stays off target: the batteries are at a limit, a unit does not follow, or the SoC window stops them. */
export type AttentionCode = 'charge-limit' | 'discharge-limit' | 'not-following' | 'soc-window' | 'off-target';

/** The band the controller holds now and where it comes from. */
export interface BandState {
  minW: number;
  maxW: number;
  /** 'config': the configured (or topic "target") target; 'grid-target': a grid-target message. */
  source: 'config' | 'grid-target';
  /** When the grid-target ends (its `until`, or when it goes stale), ms; null for the configured target. */
  until: number | null;
  reason: string | null;
  /** The last grid-target went silent (no refresh within two of its periods) and the configured target holds again. */
  expired: boolean;
}

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
  /** The band held now (the target, a grid-target message, the export cap), before any charger exclusion. */
  band: BandState;
  /** The battery mode (a `mode` message) and whether one just ended. */
  batteryMode: ModeState;
  /** The grid-limit held now, or null. */
  gridLimit: GridLimitState | null;
  /** The charger power left to the grid now, W (0 when off, no reading, or stale). */
  chargerExcludedW: number;
  /** The grid is off target (band ± dead band) for longer than offTargetMs: why, and since when (ms). */
  attention: { code: AttentionCode; unit?: string; text: string; since: number } | null;
  /** One line describing the present: what is held and how (the status output's reason when nothing else happened). */
  summary: string;
  /** Counters since start. */
  counters: { commands: number; failsafes: number };
}

export interface ZeroExportResult {
  /** Commands to send now (only units whose setpoint changes, refreshes, and releases). */
  commands: ZeroExportCommand[];
  state: ZeroExportState;
  /**
   * Human-readable reasons for this step, first = most important (e.g. "meter stale 3.1 s: all
   * setpoints 0 W"); when nothing was decided, the one line `state.summary`. Never empty, never a
   * line of an earlier step.
   */
  reasons: string[];
}

/** What the benchmark needs of a controller (ours and every baseline). */
export interface ZeroExportLike {
  step(inputs: ZeroExportInputs, now: number): { commands: ZeroExportCommand[] };
}
