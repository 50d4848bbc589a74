/**
 * SessyBatteryServer: a Sessy battery dongle's local HTTP API on loopback, backed by the shared
 * BatteryPlant (lib/sim/battery.ts) and, optionally, the virtual home's Household.
 *
 * Every endpoint, field, unit and enum value comes from shared/protocols/sessy.md (Part 1), which
 * cites its sources (Sessy's OpenAPI text and the public clients sessypy, ha-sessy, the Homey app,
 * SessyWeb, SessyPilot); section numbers below refer to it.
 *
 * Wire (§1.3): plain HTTP, JSON, every reply carries `"status": "ok"`; POST replies are just
 * `{"status":"ok"}`. 401 = wrong user/password, 404 = endpoint absent (older firmware), 500 = device
 * error with the message as text in the body. Device units (§1.7): W integers with + = discharging,
 * SoC 0–1, frequency mHz, voltages mV, currents mA, energy Wh.
 *
 * Authentication (§1.3, Appendix A #1 UNCONFIRMED): with `auth` on (default) writes (every POST)
 * need HTTP Basic with user = serial, password = the dongle password; reads work without credentials
 * ([INFERRED] from the Homey app's monitoring mode). Reads that do carry credentials are checked
 * (`readAuth: 'if-sent'`, default) so a wrong password shows up at the first poll; `'open'` ignores
 * them, `'required'` demands them.
 *
 * State machine (our model of §1.6.1, documented here because the dossier has the names, not the
 * timing): power-up SYSTEM_STATE_STANDBY. While a strategy that runs the battery is active (every
 * strategy except POWER_STRATEGY_IDLE) the unit goes to SYSTEM_STATE_WAITING_IN_SAFE_SITUATION
 * and after `startupMs` (60 s) to SYSTEM_STATE_RUNNING_SAFE. A change from one running strategy to
 * another keeps the unit running; `waitOnStrategyChange: true` makes it wait again instead (what a
 * real unit does there is UNCONFIRMED, so drivers should handle both). `startRunning`
 * begins in RUNNING_SAFE, as a unit that has been on for a while (the virtual home). Running, it reports
 * SYSTEM_STATE_BATTERY_EMPTY at the plant's minimum SoC and SYSTEM_STATE_BATTERY_FULL at its maximum
 * (fw ≥ 1.5.0 names; older firmware: SYSTEM_STATE_BATTERY_EMPTY_OR_FULL); in those states the unit
 * still runs (charging out of EMPTY, discharging out of FULL — §1.8 step 5). IDLE, or a restart,
 * returns to STANDBY and the 60 s wait starts again on the next running strategy. Tests can force any
 * other state (ERROR, OVERRIDE_*, DISCONNECT) through the `systemState` setter; the unit then
 * delivers 0 W until a normal state is set again.
 *
 * Strategies (§1.5.2): POWER_STRATEGY_API obeys `POST /api/v1/power/setpoint` (§1.5.3, + discharge,
 * − charge, integer W, clamped to the unit's limits; `power_setpoint` reports the clamped value).
 * POWER_STRATEGY_NOM follows the household's grid power to `gridTargetW` with a simple loop every
 * `nomPeriodMs` (the real unit is coordinated by a P1 dongle; this keeps the virtual home sensible).
 * ROI, ECO, SESSY_CONNECT and IDLE deliver 0 W here (their schedules are the Sessy cloud's).
 *
 * Setpoints outside API mode (Appendix A #2 UNCONFIRMED): accepted with `{"status":"ok"}` and ignored
 * (what the official text implies by "only works when the strategy is API"); `rejectSetpointOutsideApi`
 * answers 400 instead, to test a driver against the other possibility. Setpoints that arrive while the
 * unit is not running (standby, the 60 s wait, a forced state) are accepted and ignored as well; the
 * controller has to send them again, as the real unit requires. Setpoint expiry (Appendix A #3
 * UNCONFIRMED): none by default (the setpoint holds until changed, a strategy change or a restart);
 * `setpointTimeoutMs` drops it to 0 after that long without a new setpoint.
 *
 * Physics: BatteryPlant (5.2 kWh usable, 2200 W charge / 1700 W discharge hardware limits,
 * efficiency peaking at 94.5 %, ramp) with its command latency set to `latencyMs` (default 1000):
 * `power_setpoint` changes at once, `power` follows latencyMs later. The plant is advanced to the
 * clock's time on every request, every household sample and every NOM step. The settings'
 * `max_power` caps both directions (§1.5.5); `min_power` is the smallest power NOM uses.
 *
 * Firmware (§1.10): `firmware` (default 1.11.8) gates what older units lack: energy/status < 1.7.2
 * (404), inverter_current_ma < 1.8.1, strategy_overridden < 1.8.3, pack_voltage / external_power
 * < 1.9.1, v2 dynamic schedule < 1.9.2 (404), eco settings < 1.6.8, frequency and
 * system_state_details < 1.2.0.
 *
 * Faults (mutable at runtime, `server.faults`): timeout (accept, never answer), http500, malformed
 * (invalid JSON body; a write is still carried out), badEnvelope (`status` ≠ "ok"; nothing done),
 * wrongCredentials (401 even for the right credentials), drop (socket destroyed without a reply),
 * notFound (paths answering 404, like old firmware). Faults other than `malformed` act before the
 * request is carried out.
 */
import { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import { type JsonSource, encodeJson, findPoint, getPath } from '../api/device';
import { SESSY_PATHS, SESSY_POINTS, SESSY_STRATEGIES, SESSY_SYSTEM_STATES, type SessyStrategy } from '../devices/sessy/descriptor';
import { systemClock, type Clock, type Timer } from '../util/clock';
import { BatteryPlant, type BatteryPlantOptions } from './battery';
import type { Household } from './household';
import { SimHttpServer, basicCredentials, sendJson, sendText } from './http-sim';

/** Strategies (§1.5.2) and system states (§1.6.1): the driver's descriptor is the one list. */
export { SESSY_STRATEGIES, type SessyStrategy };

/** §1.6.2 OTA targets. */
const OTA_TARGETS = ['OTA_TARGET_SELF', 'OTA_TARGET_SERIAL', 'OTA_TARGET_ALL'];

export interface SessyFaults {
  /** Accept the request and never answer (until stop()). */
  timeout?: boolean;
  /** HTTP 500 with a text message. */
  http500?: boolean;
  /** 200 with an invalid JSON body. */
  malformed?: boolean;
  /** 200 with JSON whose `status` is not "ok". */
  badEnvelope?: boolean;
  /** 401 even for the right credentials (on writes and on reads that carry credentials). */
  wrongCredentials?: boolean;
  /** Destroy the socket without a reply. */
  drop?: boolean;
  /** Paths that answer 404, like older firmware. */
  notFound?: string[];
}

export interface SessyRequestLogEntry {
  /** Clock time, ms. */
  at: number;
  method: string;
  path: string;
  /** Parsed JSON body of a POST (the raw text when it is not JSON). */
  body?: unknown;
  /** Whether the request carried HTTP Basic credentials. */
  auth: boolean;
  /** HTTP status answered (0 = none: timeout or dropped). */
  status: number;
}

/** The `GET /api/v1/system/settings` object without `status` (§1.5.5). */
export interface SessySettings {
  p1_hostname: string;
  pv_hostname: string;
  group_current: number;
  phase_current: number;
  group_sessys: number;
  phase_sessys: number;
  total_sessys: number;
  active_phase: number;
  min_power: number;
  max_power: number;
  disable_noise_level: boolean;
  allowed_noise_level: number;
  enabled_time: string;
  sessy_enabled: boolean;
  cloud_enabled: boolean;
  eco_charge_hours?: number;
  eco_charge_power?: number;
  eco_nom_charge?: boolean;
  pack_temp_limit_enabled?: boolean;
}

export interface SessyBatteryServerOptions {
  clock?: Clock;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 = ephemeral. */
  port?: number;
  /** Dongle serial = API user name (default 'DSIM0001'). */
  serial?: string;
  /** Dongle password (default 'SIMPASS1'). */
  password?: string;
  /** true (default): writes need Basic auth; reads also accept it. */
  auth?: boolean;
  /** How reads treat credentials: 'if-sent' (default: checked when present), 'open', 'required'. */
  readAuth?: 'if-sent' | 'open' | 'required';
  /** Battery physics; maxChargeW / maxDischargeW are the hardware limits. */
  plant?: BatteryPlantOptions;
  /** Command latency, ms (default 1000). */
  latencyMs?: number;
  /** Time in WAITING_IN_SAFE_SITUATION before RUNNING_SAFE, ms (default 60000). */
  startupMs?: number;
  /** Sessy firmware version (OTA status), default '1.11.8'. */
  firmware?: string;
  /** Registers the battery's AC power with the household (on start, removed on stop). */
  household?: Household;
  /** Strategy at power-up (default POWER_STRATEGY_NOM). */
  strategy?: SessyStrategy;
  /** Start in RUNNING_SAFE, as a unit that has been on for a while (default false: power-up wait). */
  startRunning?: boolean;
  /** A change between two running strategies restarts the safety wait (default false). */
  waitOnStrategyChange?: boolean;
  /** Phase the unit is connected to, 1–3 (default 1); also `active_phase` in the settings. */
  phase?: 1 | 2 | 3;
  /** PV share per phase for renewable_energy_phaseN (default even; [1,0,0] for a single-phase inverter). */
  pvSplit?: [number, number, number];
  /** NOM grid target, W (+ allows import), default 0. */
  gridTargetW?: number;
  /** NOM loop period, ms of the clock (default 2000). */
  nomPeriodMs?: number;
  /** Drop the API setpoint to 0 after this long without a new one (default: never). */
  setpointTimeoutMs?: number;
  /** Answer setpoints outside POWER_STRATEGY_API with 400 instead of accepting and ignoring them. */
  rejectSetpointOutsideApi?: boolean;
  /** Settings that differ from the defaults. */
  settings?: Partial<SessySettings>;
  /** Battery (AC board) serial in system/info, default 'A' + the dongle serial's tail. */
  batterySerial?: string;
}

type Phase = 'standby' | 'waiting' | 'running';

interface Reply {
  code: number;
  body?: unknown;
  text?: string;
  /** Runs after the reply was sent (restart). */
  after?: () => void;
}

class BadRequest extends Error {}

const MAX_BODY = 64 * 1024;
const MAX_LOG = 500;

/** Compares dotted versions: <0 when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/i, '').split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.replace(/^v/i, '').split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

export class SessyBatteryServer extends EventEmitter {
  readonly clock: Clock;
  readonly host: string;
  readonly serial: string;
  readonly password: string;
  readonly auth: boolean;
  readonly readAuth: 'if-sent' | 'open' | 'required';
  readonly plant: BatteryPlant;
  readonly latencyMs: number;
  readonly startupMs: number;
  readonly firmware: string;
  readonly phase: 1 | 2 | 3;
  readonly requests: SessyRequestLogEntry[] = [];
  faults: SessyFaults = {};
  /** NOM grid target, W. */
  gridTargetW: number;
  /** `strategy_overridden` (fw ≥ 1.8.3): set true to simulate cloud control. */
  strategyOverridden = false;
  /** `system_state_details` text. */
  systemStateDetails = '';
  /** What GET /api/v2/dynamic/schedule returns (without status). */
  schedule: { dynamic_schedule: Array<{ start_time: number; end_time: number; power: number }>; energy_prices: Array<{ start_time: number; end_time: number; price: number }> } = {
    dynamic_schedule: [],
    energy_prices: [],
  };
  /** Restarts (POST /api/v1/system/restart) since start. */
  restarts = 0;

  private readonly opts: SessyBatteryServerOptions;
  private readonly household?: Household;
  private readonly hwChargeW: number;
  private readonly hwDischargeW: number;
  private readonly pvSplit: [number, number, number];
  private settingsObj: SessySettings;
  private strategyName: SessyStrategy;
  private phaseState: Phase = 'standby';
  private waitUntil = 0;
  private forced: string | null = null;
  private apiSetpoint = 0;
  private lastSetpointAt = 0;
  private nomTarget = 0;
  private commanded = 0;
  private t: number;
  private pvWh: [number, number, number] = [0, 0, 0];
  private otaChecked = false;
  private readonly http = new SimHttpServer(
    (req, res) => this.receive(req, res),
    (e) => this.emit('problem', e),
  );
  private nomTimer?: Timer;
  private removeSource?: () => void;

  constructor(opts: SessyBatteryServerOptions = {}) {
    super();
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.host = opts.host ?? '127.0.0.1';
    this.serial = opts.serial ?? 'DSIM0001';
    this.password = opts.password ?? 'SIMPASS1';
    this.auth = opts.auth ?? true;
    this.readAuth = opts.readAuth ?? 'if-sent';
    this.latencyMs = opts.latencyMs ?? 1000;
    this.startupMs = opts.startupMs ?? 60_000;
    this.firmware = opts.firmware ?? '1.11.8';
    this.phase = opts.phase ?? 1;
    this.household = opts.household;
    this.gridTargetW = opts.gridTargetW ?? 0;
    this.pvSplit = opts.pvSplit ?? [1 / 3, 1 / 3, 1 / 3];
    this.t = this.clock.now();
    this.plant = new BatteryPlant({ ...opts.plant, latencyMs: this.latencyMs, t0: this.t });
    this.hwChargeW = this.plant.maxChargeW;
    this.hwDischargeW = this.plant.maxDischargeW;
    const s: SessySettings = {
      p1_hostname: '',
      pv_hostname: '',
      group_current: 16,
      phase_current: 35,
      group_sessys: 1,
      phase_sessys: 1,
      total_sessys: 1,
      active_phase: this.phase,
      min_power: 50,
      max_power: 2200,
      disable_noise_level: true,
      allowed_noise_level: 101,
      enabled_time: '00:00-23:59',
      sessy_enabled: true,
      cloud_enabled: false,
    };
    if (this.fw('1.6.8')) Object.assign(s, { eco_charge_hours: 4, eco_charge_power: 1500, eco_nom_charge: false });
    if (this.fw('1.9.0')) s.pack_temp_limit_enabled = false;
    this.settingsObj = { ...s, ...opts.settings };
    this.validateSettings(this.settingsObj as unknown as Record<string, unknown>);
    this.applyLimits();
    const strat = opts.strategy ?? 'POWER_STRATEGY_NOM';
    if (!SESSY_STRATEGIES.includes(strat)) throw new Error(`unknown strategy ${String(strat)}`);
    this.strategyName = strat;
    this.powerUp(this.t);
    if (opts.startRunning && this.runs(strat)) this.phaseState = 'running';
  }

  // -------------------------------------------------------------------------------------------
  // Model
  // -------------------------------------------------------------------------------------------

  private fw(min: string): boolean {
    return compareVersions(this.firmware, min) >= 0;
  }

  private runs(s: SessyStrategy): boolean {
    return s !== 'POWER_STRATEGY_IDLE';
  }

  private powerUp(t: number): void {
    this.phaseState = 'standby';
    this.apiSetpoint = 0;
    this.nomTarget = 0;
    if (this.runs(this.strategyName)) this.startWaiting(t);
    this.applyCommand(t);
  }

  private startWaiting(t: number): void {
    this.phaseState = 'waiting';
    this.waitUntil = t + this.startupMs;
  }

  private get running(): boolean {
    return this.forced === null && this.phaseState === 'running';
  }

  private applyLimits(): void {
    const cap = this.settingsObj.max_power;
    this.plant.maxChargeW = Math.min(this.hwChargeW, cap);
    this.plant.maxDischargeW = Math.min(this.hwDischargeW, cap);
  }

  private clamp(w: number): number {
    return Math.max(-this.plant.maxChargeW, Math.min(this.plant.maxDischargeW, Math.round(w)));
  }

  /** What the active strategy asks for now, W (+ discharge), clamped to the limits. */
  private strategyTarget(): number {
    if (!this.running) return 0;
    if (this.strategyName === 'POWER_STRATEGY_API') return this.clamp(this.apiSetpoint);
    if (this.strategyName === 'POWER_STRATEGY_NOM') return this.clamp(this.nomTarget);
    return 0;
  }

  private applyCommand(t: number): void {
    const w = this.strategyTarget();
    if (w === this.commanded) return;
    this.commanded = w;
    this.plant.command(w, t);
  }

  /** Moves the model (state machine, plant, PV counters) to time t (monotone). */
  update(t = this.clock.now()): void {
    if (!(t >= this.t)) t = this.t;
    for (;;) {
      // Next internal event before t: end of the safety wait, expiry of an API setpoint.
      let next = Infinity;
      let kind: 'run' | 'expire' | null = null;
      if (this.forced === null && this.phaseState === 'waiting' && this.waitUntil <= t) {
        next = this.waitUntil;
        kind = 'run';
      }
      const to = this.opts.setpointTimeoutMs;
      if (to !== undefined && this.apiSetpoint !== 0 && this.lastSetpointAt + to <= t && this.lastSetpointAt + to < next) {
        next = this.lastSetpointAt + to;
        kind = 'expire';
      }
      if (kind === null) break;
      const at = Math.max(next, this.t);
      this.integratePv(at);
      this.plant.advance(at);
      this.t = at;
      if (kind === 'run') this.phaseState = 'running';
      else this.apiSetpoint = 0;
      this.applyCommand(at);
    }
    this.integratePv(t);
    this.plant.advance(t);
    this.t = t;
  }

  private pvPhaseW(t: number): [number, number, number] {
    if (!this.household) return [0, 0, 0];
    const pv = this.household.pvW(t);
    return [pv * this.pvSplit[0], pv * this.pvSplit[1], pv * this.pvSplit[2]];
  }

  private integratePv(t: number): void {
    if (!this.household || !(t > this.t)) return;
    const STEP = 60_000;
    for (let a = this.t; a < t; a += STEP) {
      const b = Math.min(t, a + STEP);
      const w = this.pvPhaseW((a + b) / 2);
      for (let i = 0; i < 3; i++) this.pvWh[i] += (w[i] * (b - a)) / 3_600_000;
    }
  }

  /** One step of the NOM loop: drive the grid power towards gridTargetW. */
  nomStep(t = this.clock.now()): void {
    this.update(t);
    if (this.strategyName !== 'POWER_STRATEGY_NOM' || !this.household) return;
    if (!this.running) {
      this.nomTarget = 0;
      return;
    }
    const grid = this.household.gridW(t);
    // Integrating on the measured AC power (not on the last command) keeps the loop stable with the
    // command latency; the 0.5 gain shares the work when several units run NOM on one meter.
    let want = this.plant.powerW + 0.5 * (grid - this.gridTargetW);
    if (Math.abs(want) < this.settingsObj.min_power) want = 0;
    if (Math.abs(want - this.nomTarget) < 10 && want !== 0) return; // deadband
    this.nomTarget = this.clamp(want);
    this.applyCommand(t);
  }

  // -------------------------------------------------------------------------------------------
  // Public model API (tests, virtual home)
  // -------------------------------------------------------------------------------------------

  get strategy(): string {
    return this.strategyName;
  }

  /** Sets the strategy as a POST would (throws on an unknown value). */
  set strategy(s: string) {
    if (!(SESSY_STRATEGIES as readonly string[]).includes(s)) throw new Error(`unknown strategy ${JSON.stringify(s)}`);
    this.setStrategy(s as SessyStrategy, this.clock.now());
  }

  private setStrategy(s: SessyStrategy, t: number): void {
    this.update(t);
    const prev = this.strategyName;
    this.strategyName = s;
    if (s !== prev) {
      this.apiSetpoint = 0;
      this.nomTarget = 0;
    }
    if (!this.runs(s)) this.phaseState = 'standby';
    else if (this.phaseState === 'standby' || (s !== prev && this.opts.waitOnStrategyChange === true)) this.startWaiting(t);
    this.applyCommand(t);
  }

  /** The system_state the unit reports now. */
  get systemState(): string {
    this.update();
    return this.currentState();
  }

  /**
   * Forces a state: STANDBY / WAITING_IN_SAFE_SITUATION / RUNNING_SAFE put the state machine there;
   * any other known state (ERROR, OVERRIDE_*, DISCONNECT, …) holds until a normal state is set.
   */
  set systemState(s: string) {
    if (!Object.hasOwn(SESSY_SYSTEM_STATES, s)) throw new Error(`unknown system state ${JSON.stringify(s)}`);
    const t = this.clock.now();
    this.update(t);
    this.forced = null;
    if (s === 'SYSTEM_STATE_STANDBY') {
      this.phaseState = 'standby';
      if (this.runs(this.strategyName)) this.startWaiting(t);
    } else if (s === 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION') this.startWaiting(t);
    else if (s === 'SYSTEM_STATE_RUNNING_SAFE') this.phaseState = 'running';
    else this.forced = s;
    this.applyCommand(t);
  }

  private currentState(): string {
    if (this.forced) return this.forced;
    if (this.phaseState === 'standby') return 'SYSTEM_STATE_STANDBY';
    if (this.phaseState === 'waiting') return 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION';
    if (this.plant.empty) return this.fw('1.5.0') ? 'SYSTEM_STATE_BATTERY_EMPTY' : 'SYSTEM_STATE_BATTERY_EMPTY_OR_FULL';
    if (this.plant.full) return this.fw('1.5.0') ? 'SYSTEM_STATE_BATTERY_FULL' : 'SYSTEM_STATE_BATTERY_EMPTY_OR_FULL';
    return 'SYSTEM_STATE_RUNNING_SAFE';
  }

  /** The active strategy's setpoint (what `power_setpoint` reports), W. */
  setpoint(): number {
    this.update();
    return this.strategyTarget();
  }

  /** The settings object (a copy). */
  get settings(): SessySettings {
    return { ...this.settingsObj };
  }

  /** Remaining time of the safety wait, ms (0 when not waiting). */
  get startupRemainingMs(): number {
    this.update();
    return this.forced === null && this.phaseState === 'waiting' ? Math.max(0, this.waitUntil - this.t) : 0;
  }

  // -------------------------------------------------------------------------------------------
  // JSON bodies (§1.5)
  // -------------------------------------------------------------------------------------------

  /** GET /api/v1/power/status (§1.5.1), encoded through the driver's points (device units, paths). */
  powerStatus(): Record<string, unknown> {
    const t = this.t;
    const p = Math.round(this.plant.powerW);
    const v: Record<string, number | string | boolean> = {
      soc: this.plant.socPct,
      power: p,
      setpoint: this.strategyTarget(),
      stateText: this.currentState(),
    };
    if (this.fw('1.2.0')) {
      v.stateDetails = this.systemStateDetails;
      // Grid frequency: 50 Hz with a slow deterministic wobble of ±25 mHz, whole mHz on the wire.
      v.frequency = Math.round(50_000 + 25 * Math.sin(t / 47_000) + 10 * Math.sin(t / 6_100)) / 1000;
    }
    // Magnitude of the AC current at 230 V; its sign on the device is UNCONFIRMED.
    if (this.fw('1.8.1')) v.inverterCurrent = Math.abs(p) / 230;
    if (this.fw('1.8.3')) v.strategyOverridden = this.strategyOverridden;
    if (this.fw('1.9.1')) {
      // LFP pack (16 cells): ~46.4 V empty to ~54.4 V full, sagging with discharge current.
      v.voltage = 46.4 + (8 * this.plant.socPct) / 100 - p * 0.0004;
      v.externalPower = 0; // meaning UNCONFIRMED (Appendix A #7)
    }
    // Renewable (PV) meter per phase. Sign UNCONFIRMED (Appendix A #6): + = production here.
    const pv = this.pvPhaseW(t);
    const st = this.household?.state(t);
    for (let i = 0; i < 3; i++) {
      const w = Math.round(pv[i]);
      const volts = st && w > 0 ? st.phases[i].voltage : 0;
      v[`renewable[${i}].voltage`] = volts;
      v[`renewable[${i}].current`] = volts > 0 ? w / volts : 0;
      v[`renewable[${i}].power`] = w;
    }
    return encodeJson(SESSY_POINTS, { status: 'ok' }, v);
  }

  /**
   * GET /api/v1/energy/status (§1.5.4): `sessy_energy.import_wh` = AC energy charged into the battery,
   * `export_wh` = discharged; `energy_phaseN` = the renewable meter per phase, PV production counted
   * as `export_wh` (direction of these counters [INFERRED]).
   */
  energyStatus(): Record<string, unknown> {
    const v: Record<string, number> = { 'energy.chargedWh': Math.floor(this.plant.chargedWh), 'energy.dischargedWh': Math.floor(this.plant.dischargedWh) };
    for (let i = 0; i < 3; i++) Object.assign(v, { [`renewable[${i}].importWh`]: 0, [`renewable[${i}].exportWh`]: Math.floor(this.pvWh[i]) });
    return encodeJson(SESSY_POINTS, { status: 'ok' }, v);
  }

  /** GET /api/v1/system/info (§1.5.6); the points' fields through the points, the diagnostics as sampled. */
  systemInfo(): Record<string, unknown> {
    const body: Record<string, unknown> = {
      status: 'ok',
      cores: 2,
      internal_mem_available: 52744,
      external_mem_available: 3406348,
      internal_mem_min: 45800,
      external_mem_min: 2541612,
      system_state: [0, 0, 0, 0],
      state_last_changed: [-1, Math.floor((this.t % 1e9) / 1000), -1, -1],
    };
    return encodeJson(SESSY_POINTS, body, {
      version: 'v5.1.1',
      serial: this.serial,
      batterySerial: this.opts.batterySerial ?? `A${this.serial.replace(/^[A-Z]/i, '').slice(-7)}`,
      revision: 110,
    });
  }

  /** GET /api/v1/system/settings (§1.5.5): the whole object; the power limits written through their points. */
  settingsBody(): Record<string, unknown> {
    return encodeJson(SESSY_POINTS, { status: 'ok', ...this.settingsObj }, { maxPower: this.settingsObj.max_power, minPower: this.settingsObj.min_power });
  }

  /** GET /api/v1/power/active_strategy (§1.5.2). */
  strategyBody(): Record<string, unknown> {
    return encodeJson(SESSY_POINTS, { status: 'ok' }, { strategy: this.strategyName });
  }

  /** GET /api/v1/network/status (§1.5.7): IP addresses as arrays of four integers. */
  networkStatus(): Record<string, unknown> {
    const ip = /^\d+\.\d+\.\d+\.\d+$/.test(this.host) ? this.host.split('.').map(Number) : [127, 0, 0, 1];
    const tail = this.serial.replace(/[^0-9A-F]/gi, '').padStart(4, '0').slice(-4).toLowerCase();
    return {
      status: 'ok',
      network_status: ['unknown', 'WIFI_STA_IS_ENABLED', 'WIFI_STA_IS_STARTED', 'WIFI_STA_IS_CONNECTED', 'WIFI_STA_HAS_CLIENT_IP'],
      wifi_sta: { ip, rssi: -55, ssid: 'virtual-home', mac: `02:5e:55:00:${tail.slice(0, 2)}:${tail.slice(2, 4)}` },
      eth: { ip: [0, 0, 0, 0] },
    };
  }

  /** GET /api/v1/ota/status (§1.5.8): `available_firmware` is "" until an OTA check ran. */
  otaStatus(): Record<string, unknown> {
    const part = () => ({
      installed_firmware: { version: this.firmware },
      available_firmware: { version: this.otaChecked ? this.firmware : '' },
      state: this.otaChecked ? 'OTA_UP_TO_DATE' : 'OTA_INACTIVE',
      update_progress: 0,
    });
    return { status: 'ok', self: part(), serial: part() };
  }

  // -------------------------------------------------------------------------------------------
  // Settings validation (§1.5.5)
  // -------------------------------------------------------------------------------------------

  private validateSettings(o: Record<string, unknown>): void {
    const int = (k: string, lo: number, hi: number, also: number[] = []) => {
      const v = o[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || ((v < lo || v > hi) && !also.includes(v))) throw new BadRequest(`${k} must be an integer ${lo}–${hi}`);
    };
    const bool = (k: string) => {
      if (typeof o[k] !== 'boolean') throw new BadRequest(`${k} must be true or false`);
    };
    const str = (k: string) => {
      if (typeof o[k] !== 'string') throw new BadRequest(`${k} must be a string`);
    };
    str('p1_hostname');
    str('pv_hostname');
    int('group_current', 0, 100);
    int('phase_current', 0, 100);
    int('group_sessys', 0, 50);
    int('phase_sessys', 0, 50);
    int('total_sessys', 0, 50);
    int('active_phase', 1, 3);
    int('min_power', 50, 2000); // ranges as ha-sessy number.py offers them
    int('max_power', 50, 2200);
    if ((o.min_power as number) > (o.max_power as number)) throw new BadRequest('min_power must not exceed max_power');
    // disable_noise_level drifts between bool and "true"/"false" (§1.11 #5): both accepted.
    if (o.disable_noise_level === 'true' || o.disable_noise_level === 'false') o.disable_noise_level = o.disable_noise_level === 'true';
    bool('disable_noise_level');
    int('allowed_noise_level', 1, 5, [101]);
    if (typeof o.enabled_time !== 'string' || !/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.test(o.enabled_time)) throw new BadRequest('enabled_time must be "HH:MM-HH:MM"');
    bool('sessy_enabled');
    bool('cloud_enabled');
    if (this.fw('1.6.8')) {
      int('eco_charge_hours', 0, 24);
      int('eco_charge_power', 50, 2200);
      bool('eco_nom_charge');
    }
    if (this.fw('1.9.0')) bool('pack_temp_limit_enabled');
  }

  // -------------------------------------------------------------------------------------------
  // HTTP
  // -------------------------------------------------------------------------------------------

  get url(): string | null {
    const port = this.http.port;
    return port === undefined ? null : `http://${this.host}:${port}`;
  }

  get port(): number {
    return this.http.port ?? 0;
  }

  async start(): Promise<{ url: string; serial: string }> {
    if (this.http.port === undefined) {
      await this.http.start(this.opts.port ?? 0, this.host);
      this.update();
      if (this.household && !this.removeSource) {
        const split: [number, number, number] = [0, 0, 0];
        split[this.phase - 1] = 1; // a Sessy is a single-phase unit (settings active_phase)
        this.removeSource = this.household.addSource(
          (t) => {
            this.update(t);
            return this.plant.powerW;
          },
          { name: `sessy ${this.serial}`, split },
        );
        this.nomTimer = this.clock.setInterval(() => this.nomStep(), this.opts.nomPeriodMs ?? 2000);
      }
    }
    return { url: this.url!, serial: this.serial };
  }

  async stop(): Promise<void> {
    this.nomTimer?.cancel();
    this.nomTimer = undefined;
    this.removeSource?.();
    this.removeSource = undefined;
    await this.http.stop();
  }

  private log(e: SessyRequestLogEntry): SessyRequestLogEntry {
    this.requests.push(e);
    if (this.requests.length > MAX_LOG) this.requests.splice(0, this.requests.length - MAX_LOG);
    return e;
  }

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooBig = true;
      else chunks.push(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      try {
        this.handle(req, res, Buffer.concat(chunks).toString('utf8'), tooBig);
      } catch (e) {
        if (!res.headersSent) sendText(res, 500, `simulator error: ${(e as Error).message}`);
      }
    });
  }

  private credentials(header: string | undefined): { sent: boolean; valid: boolean } {
    const c = basicCredentials(header);
    return { sent: c !== null, valid: c?.username === this.serial && c.password === this.password };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, text: string, tooBig: boolean): void {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '') || '/';
    const cred = this.credentials(req.headers.authorization);
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const entry = this.log({ at: this.clock.now(), method, path, ...(text ? { body } : {}), auth: cred.sent, status: 0 });
    const f = this.faults;
    if (f.drop) {
      req.socket.destroy();
      return;
    }
    if (f.timeout) return; // the socket stays open until the client gives up or stop()
    const send = (r: Reply) => {
      entry.status = r.code;
      if (r.text !== undefined) sendText(res, r.code, r.text, r.code === 401 ? { 'www-authenticate': 'Basic realm="Sessy"' } : {});
      else sendJson(res, r.code, r.body);
      r.after?.();
    };
    if (f.notFound?.includes(path)) return send({ code: 404, text: 'Not Found' });
    const route = this.route(method, path);
    if (route === 'not-found') return send({ code: 404, text: 'Not Found' });
    if (route === 'bad-method') return send({ code: 405, text: 'Method Not Allowed' });
    const write = method === 'POST';
    const unauthorized =
      (f.wrongCredentials && (write || cred.sent)) ||
      (this.auth && write && !cred.valid) ||
      (this.auth && this.readAuth === 'if-sent' && cred.sent && !cred.valid) ||
      (this.auth && this.readAuth === 'required' && !cred.valid);
    if (unauthorized) return send({ code: 401, text: 'Unauthorized' });
    if (f.http500) return send({ code: 500, text: 'Internal error: simulated device failure' });
    if (f.badEnvelope) return send({ code: 200, body: { status: 'error', error: 'simulated failure' } });
    if (tooBig) return send({ code: 413, text: 'Payload Too Large' });
    const now = this.clock.now();
    this.update(now);
    let reply: Reply;
    try {
      reply = route(write ? body : undefined, now);
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      reply = { code: 400, text: e.message };
    }
    if (f.malformed && reply.code === 200) {
      const s = JSON.stringify(reply.body);
      entry.status = 200;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(s.slice(0, Math.max(1, Math.floor(s.length / 2))) + '\u0000}');
      reply.after?.();
      return;
    }
    send(reply);
  }

  private route(method: string, path: string): ((body: unknown, now: number) => Reply) | 'not-found' | 'bad-method' {
    const get = method === 'GET';
    const post = method === 'POST';
    const only = (ok: boolean, fn: (body: unknown, now: number) => Reply) => (ok ? fn : 'bad-method');
    const ok: Reply = { code: 200, body: { status: 'ok' } };
    switch (path) {
      case SESSY_PATHS.powerStatus:
        return only(get, () => ({ code: 200, body: this.powerStatus() }));
      case SESSY_PATHS.activeStrategy:
        if (get) return () => ({ code: 200, body: this.strategyBody() });
        return only(post, (body, now) => {
          const s = getPath(objectBody(body), pathOf('strategy'));
          if (typeof s !== 'string' || !(SESSY_STRATEGIES as readonly string[]).includes(s)) {
            throw new BadRequest(`invalid strategy ${JSON.stringify(s)}; one of ${SESSY_STRATEGIES.join(', ')}`);
          }
          this.setStrategy(s as SessyStrategy, now);
          return ok;
        });
      case SESSY_PATHS.setpoint:
        return only(post, (body, now) => {
          const v = getPath(objectBody(body), pathOf('setpointCommand'));
          if (typeof v !== 'number' || !Number.isInteger(v)) throw new BadRequest('setpoint must be an integer (W, + discharge, − charge)');
          if (this.strategyName !== 'POWER_STRATEGY_API') {
            if (this.opts.rejectSetpointOutsideApi) throw new BadRequest('setpoint only works when the power strategy is POWER_STRATEGY_API');
            return ok;
          }
          if (!this.running) return ok; // standby / safety wait / forced state: ignored
          this.apiSetpoint = v;
          this.lastSetpointAt = now;
          this.applyCommand(now);
          return ok;
        });
      case SESSY_PATHS.energyStatus:
        if (!this.fw('1.7.2')) return 'not-found';
        return only(get, () => ({ code: 200, body: this.energyStatus() }));
      case SESSY_PATHS.systemSettings:
        if (get) return () => ({ code: 200, body: this.settingsBody() });
        return only(post, (body) => {
          const o = { ...objectBody(body) };
          delete o.status; // clients post back what they read, status included (§1.5.5)
          const known = new Set(Object.keys(this.settingsObj));
          for (const k of Object.keys(o)) if (!known.has(k)) throw new BadRequest(`unknown setting ${k}`);
          for (const k of known) if (!(k in o)) throw new BadRequest(`missing setting ${k}: post the whole settings object`);
          this.validateSettings(o);
          this.settingsObj = o as unknown as SessySettings;
          this.applyLimits();
          this.applyCommand(this.t);
          return ok;
        });
      case SESSY_PATHS.systemInfo:
        return only(get, () => ({ code: 200, body: this.systemInfo() }));
      case '/api/v1/system/restart':
        return only(post, () => ({
          ...ok,
          after: () => {
            this.restarts++;
            this.forced = null;
            this.powerUp(this.t);
          },
        }));
      case SESSY_PATHS.networkStatus:
        return only(get, () => ({ code: 200, body: this.networkStatus() }));
      case '/api/v1/ota/check':
        return only(get, () => {
          this.otaChecked = true;
          return ok;
        });
      case SESSY_PATHS.otaStatus:
        return only(get, () => ({ code: 200, body: this.otaStatus() }));
      case '/api/v1/ota/start':
        return only(post, (body) => {
          const target = objectBody(body).target;
          if (typeof target !== 'string' || !OTA_TARGETS.includes(target) || (target === 'OTA_TARGET_ALL' && !this.fw('1.5.1'))) {
            throw new BadRequest(`invalid target ${JSON.stringify(target)}`);
          }
          return ok; // up to date: nothing to install
        });
      case '/api/v2/dynamic/schedule':
        if (!this.fw('1.9.2')) return 'not-found';
        return only(get, () => ({ code: 200, body: { status: 'ok', ...this.schedule } }));
      default:
        return 'not-found';
    }
  }
}

/** The JSON path of a driver point (requests are read where the driver writes them). */
function pathOf(name: string): string {
  const p = findPoint(SESSY_POINTS, name);
  return (p.source as JsonSource).path;
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) throw new BadRequest('missing JSON body');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('body must be a JSON object');
  return body as Record<string, unknown>;
}
