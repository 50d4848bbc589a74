/**
 * EV charging control: the contract between the controller (controller.ts), the `ev-charging` node
 * and the benchmark (bench/ev-charging). Units and signs follow DESIGN.md §2 (grid W + import,
 * battery W + discharge, EV power W + consumption, currents A per phase, time ms since epoch).
 *
 * The controller is a pure state machine (DESIGN.md §4): `step(inputs, now)` takes what arrived
 * since the last call and returns the charger command to send now (if any), its state and the
 * reasons for this step's decision. It reads no clock and owns no timer; the caller steps it on
 * every input and on a tick (recommended every 1 s) so stale data and timers are noticed.
 */
import type { ChargerSetpointCommand } from '../../api/types';

/** What the controller can be asked to do (the KSEM's charge modes, DESIGN.md §4.1 `mode`). */
export type EvMode = 'lock' | 'power' | 'solar-pure' | 'solar-plus' | 'time';
/** The mode a `time` table resolves to at a given hour. */
export type EvActiveMode = Exclude<EvMode, 'time'>;
/** standard = all phases the charger has (never switched), single = 1 phase, automatic = switched by surplus. */
export type PhaseUsage = 'standard' | 'single' | 'automatic';

export interface EvParams {
  mode?: EvMode;
  phaseUsage?: PhaseUsage;
  /** Nominal phase voltage for power ↔ current, V (default 230). */
  voltage?: number;
  /** Minimum current per phase while charging, A (6–16, default 6). The car's own minimum applies too. */
  minCurrentA?: number;
  /** Largest current per phase we ever ask for, A (default 16; the charger's reported limit applies too). */
  maxCurrentA?: number;

  /** solar-pure / solar-plus: surplus must cover the start condition this long before a start, s (default 20). */
  startDelayS?: number;
  /** After the surplus is lost: keep the minimum this long, s (default 300, the KSEM's 5 min). */
  holdS?: number;
  /** Then pause at least this long before a restart, s (default 480, the KSEM's 8 min). */
  waitS?: number;
  /** Surplus filter: a falling surplus is followed with this time constant, s (default 0: at once). */
  filterDownS?: number;
  /** A rising surplus with this one, s (default 10): clouds passing do not pull the car up and down. */
  filterUpS?: number;
  /** Least time between two increases of the current, s (default 5). Decreases go out at once. */
  minAdjustS?: number;

  /** solar-plus floor: W, or 'min' (minimum current), 0.5, 0.75 of the maximum, or 'max' (default 'min'). */
  plusFloor?: number | 'min' | 'max' | 0.5 | 0.75;
  /** solar-plus: surplus needed to start and below which it stops again, W (default 0 = always charge the floor). */
  plusMinSurplusW?: number;
  /** solar-plus: the same as a share of the floor power, % (the KSEM's "solar share"); used when plusMinSurplusW is 0. */
  plusMinSurplusPct?: number;

  /** Home battery: 'use' = its discharge may feed the car (KSEM default); 'dont' = discharge is not surplus. */
  batteryPolicy?: 'use' | 'dont';
  /** A charging home battery's power counts as available surplus only above this SoC, % (default 80). */
  prioritySoc?: number;

  /** automatic phases: up when the averaged surplus stays at the up edge this long, s (default 60; the KSEM checks every 900). */
  upCheckS?: number;
  /** automatic phases: up edge = 3-phase minimum × (1 + this), % (default 7, the KSEM's). */
  upMarginPct?: number;
  /** automatic phases: down edge = up edge − this, W (default 1000): the band between the edges. */
  bandW?: number;
  /** automatic phases: down to 1 phase after the averaged surplus is this long below the down edge, s (default 30). */
  downAfterS?: number;
  /** Time constant of the averaged surplus used for starts, deep-cloud pauses and phase switches, s (default 60). */
  avgS?: number;
  /** solar-pure: a hold ends at once in a pause when the averaged surplus is below this share of the one-phase minimum power, % (default 40; 0 = off). */
  holdDeepPct?: number;
  /** solar-pure: a hold ends in a pause once the car has taken this much grid energy in it, Wh (default 30; 0 = off). */
  holdImportWh?: number;
  /** solar-pure: a start also needs the averaged surplus at this share of the start power, % (0 = off). */
  startAvgPct?: number;
  /** automatic phases: least time between two switches, s (default 420, openWB's 7 min). */
  minSwitchIntervalS?: number;
  /** automatic phases: most switches per session (default 16). */
  maxSwitchesPerSession?: number;

  /** Car profile. */
  car?: { phases?: 1 | 3; minCurrentA?: number; maxCurrentA?: number; switchable?: boolean };

  /** Main fuse per phase, A (L1 first; one value for a single-phase house). Default [25, 25, 25]. */
  fuseA?: number[];
  /** Stay this far below each fuse, A (default 1). */
  fuseMarginA?: number;
  /** Largest current difference between phases, VA (default 4600, the German 4.6 kVA rule); 0 = off. */
  imbalanceVA?: number;
  /** The phase a one-phase car charges on (default 1 = L1). */
  onePhaseOn?: 1 | 2 | 3;

  /** Meter older than this → fail safe, ms; 0 = auto: 2 × the observed meter period, at least 3 s, 10 s before a period is known. */
  meterTimeoutMs?: number;
  /** Charger reading older than this → fail safe, ms (default 30000). */
  chargerTimeoutMs?: number;
  /** Battery reading older than this is ignored, ms (default 60000). */
  batteryTimeoutMs?: number;
  /** Fail safe: 'minimum' (charge at the minimum on the phases in use) or 'pause' (default 'minimum'). */
  staleAction?: 'minimum' | 'pause';
  /** grid-limit failsafe when its source goes silent without `until`: W and s (KSEM defaults 10 kW, 7200 s). */
  gridLimitFailsafeW?: number;
  gridLimitFailsafeS?: number;
  /** A grid-limit without `until` expires after this long without a refresh, ms (default 120000). */
  gridLimitTimeoutMs?: number;

  /** Smallest change of the current that is sent, A (default 0.5). */
  resolutionA?: number;
  /** The setpoint is sent again after this long without a change, s (default 60). */
  refreshS?: number;
  /** Time mode: weekday (0 = Monday) × hour table of modes; null = the default. */
  timeTable?: Array<Array<EvActiveMode | null>>;
  /** Time mode: mode for empty cells (default 'solar-pure'). */
  timeDefault?: EvActiveMode;
  /** Time zone of the time table (default Europe/Amsterdam). */
  timeZone?: string;
}

/** A grid meter sample. */
export interface EvMeterSample {
  /** Net grid power, W, + import. */
  power: number;
  /** Per-phase currents, A, L1 first (as the meter gives them; unsigned P1 currents are taken as import). */
  currents?: Array<number | undefined>;
  /** Per-phase power, W (gives the sign of each current where the meter has it). */
  phasePower?: Array<number | undefined>;
  timestamp: number;
}

export interface EvBatterySample {
  /** W, + discharge. Several batteries: the sum. */
  power: number;
  soc: number | null;
  timestamp: number;
}

export interface EvChargerSample {
  state: 'idle' | 'connected' | 'charging' | 'paused' | 'error' | 'offline';
  /** W ≥ 0 */
  power: number;
  /** A per phase, L1 first. */
  currents?: Array<number | undefined>;
  activePhases?: number | null;
  maxCurrentA?: number;
  minCurrentA?: number;
  phaseOptions?: Array<1 | 3>;
  timestamp: number;
}

export interface EvGridLimit {
  maxImportW?: number;
  maxExportW?: number;
  until?: number;
  failsafeW?: number;
  failsafeS?: number;
  reason?: string;
  /** Who sent it: the limits of different sources combine (the lowest wins); a source's next limit replaces its last. */
  source?: string;
}

export interface EvModeMessage {
  mode: EvMode;
  /** ms since epoch, or 'unplugged' (one-shot until the car leaves); absent = the configured mode changes. */
  until?: number | 'unplugged';
}

export interface EvInputs {
  meter?: EvMeterSample;
  battery?: EvBatterySample;
  charger?: EvChargerSample;
  gridLimit?: EvGridLimit;
  mode?: EvModeMessage;
  /** Change the phase usage at run time (overrides the configured one until the controller is rebuilt). */
  phaseUsage?: PhaseUsage;
  /** Switch the controller off (pauses the car once) or on. */
  enabled?: boolean;
}

/** Why the current is what it is: the binding limit or decision. */
export type EvBinding =
  | 'surplus'
  | 'floor'
  | 'max'
  | 'fuse'
  | 'imbalance'
  | 'grid-limit'
  | 'charger'
  | 'car'
  | 'minimum'
  | 'hold'
  | 'wait'
  | 'lock'
  | 'stale'
  | 'unplugged'
  | 'disabled'
  | 'start-delay'
  | 'no-surplus'
  | 'phase-switch';

export type EvPhase = 'idle' | 'off' | 'charging' | 'holding' | 'waiting' | 'failsafe' | 'disabled';

export interface EvState {
  /** The configured mode, and the mode in force now (time table and overrides resolved). */
  mode: EvMode;
  activeMode: EvActiveMode;
  /** The phase usage in force (configured, or changed at run time by a `phases` input). */
  phaseUsage: PhaseUsage;
  override: EvModeMessage | null;
  phase: EvPhase;
  /** Phases wanted now (1 or 3). */
  phases: 1 | 3;
  /** The command in force (last sent), or null. */
  setpoint: { enabled: boolean; currentA: number; phases?: 1 | 3 } | null;
  /** Surplus available to the car, W: raw and filtered. */
  surplusW: number | null;
  surplusFilteredW: number | null;
  /** Largest current the limits allow now, A per phase, and what binds. */
  limitA: number | null;
  binding: EvBinding;
  /** ms at which a hold or wait ends, or null. */
  holdUntil: number | null;
  waitUntil: number | null;
  gridLimitW: number | null;
  counters: EvCounters;
}

export interface EvCounters {
  /** Session (since plug-in): energy into the car from PV and from the grid, Wh. */
  solarWh: number;
  gridWh: number;
  /** 100 × solar / (solar + grid), or null before any energy. */
  solarSharePct: number | null;
  starts: number;
  phaseSwitches: number;
  /** Since the controller started. */
  totalStarts: number;
  totalPhaseSwitches: number;
  commands: number;
  failsafes: number;
}

export interface EvResult {
  /** The command to send now, or null (nothing changed). */
  command: Omit<ChargerSetpointCommand, 'kind'> | null;
  state: EvState;
  /** Why: first = most important ("surplus 2.3 kW → 10 A on 1 phase"). */
  reasons: string[];
}

/** What the benchmark needs of a controller (ours and every baseline). */
export interface EvControllerLike {
  step(inputs: EvInputs, now: number): { command: Omit<ChargerSetpointCommand, 'kind'> | null };
}
