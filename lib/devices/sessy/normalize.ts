/**
 * Sessy battery dongle replies → checked values → normalized `kind: "battery"` reading.
 *
 * The parse* functions never throw: they return `{ ok: false, error }` with a reason naming the
 * field for anything that is not the documented shape (sessy.md §1.5), so a malformed reply becomes
 * a clear problem on the node, never an exception. Every key except the few a reading cannot do
 * without is optional: keys come and go with firmware versions (§1.5.1 "Treat every key as optional").
 * Units are converted here and only here (descriptor.ts SESSY_POINTS; DESIGN.md §2).
 */
import type { BatteryReading, BatteryState } from '../../api/types';
import { SESSY_DEFAULTS, SESSY_SYSTEM_STATES, STARTUP_STATE, STRATEGY_LABELS, parseStrategy, type SessyStrategy } from './descriptor';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const fin = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The `"status": "ok"` envelope every reply carries (§1.3, HY _makeRequest). */
export function checkEnvelope(body: unknown, what: string, opts: { statusOptional?: boolean } = {}): Parsed<Obj> {
  if (!isObj(body)) return { ok: false, error: `${what}: reply is not a JSON object` };
  if (body.status === undefined && opts.statusOptional) return { ok: true, value: body };
  if (body.status !== 'ok') return { ok: false, error: `${what}: status is ${JSON.stringify(body.status ?? null)}, not "ok"${typeof body.error === 'string' ? ` (${body.error})` : ''}` };
  return { ok: true, value: body };
}

export interface SessyPhase {
  /** V */
  voltage?: number;
  /** A */
  current?: number;
  /** W, as the dongle sends it (sign UNCONFIRMED, §1.5.1) */
  power?: number;
}

/** power/status in our units. */
export interface SessyPowerStatus {
  /** % 0–100 */
  soc: number;
  /** W, + discharge */
  power: number;
  /** W, + discharge; null when absent */
  setpoint: number | null;
  systemState: string;
  systemStateDetails?: string;
  /** Hz */
  frequency?: number;
  /** A (AC inverter current) */
  inverterCurrent?: number;
  strategyOverridden?: boolean;
  /** V (DC pack) */
  packVoltage?: number;
  /** W, meaning UNCONFIRMED */
  externalPower?: number;
  /** renewable_energy_phase1..3 (absent phases are left out; index = phase − 1 of those present) */
  renewable: Array<SessyPhase & { phase: number }>;
}

export function parsePowerStatus(body: unknown): Parsed<SessyPowerStatus> {
  const env = checkEnvelope(body, 'power/status');
  if (!env.ok) return env;
  const o = env.value;
  if (!isObj(o.sessy)) return { ok: false, error: 'power/status: sessy: is missing or not an object' };
  const s = o.sessy;
  const socRaw = fin(s.state_of_charge);
  if (socRaw === undefined) return { ok: false, error: `power/status: sessy.state_of_charge: must be a number (got ${JSON.stringify(s.state_of_charge ?? null)})` };
  // 0.0–1.0 (§1.5.1, OFFICIAL). Float noise (0.850000023841858) is rounded to 0.01 %.
  if (socRaw < -0.001 || socRaw > 1.001) return { ok: false, error: `power/status: sessy.state_of_charge: must be 0–1 (got ${socRaw})` };
  const power = fin(s.power);
  if (power === undefined) return { ok: false, error: `power/status: sessy.power: must be a number (got ${JSON.stringify(s.power ?? null)})` };
  const systemState = str(s.system_state);
  if (systemState === undefined || systemState === '') return { ok: false, error: `power/status: sessy.system_state: must be a non-empty string (got ${JSON.stringify(s.system_state ?? null)})` };
  const v: SessyPowerStatus = {
    soc: Math.round(Math.min(1, Math.max(0, socRaw)) * 10000) / 100,
    power,
    setpoint: fin(s.power_setpoint) ?? null,
    systemState,
    renewable: [],
  };
  if (typeof s.system_state_details === 'string' && s.system_state_details) v.systemStateDetails = s.system_state_details;
  const mhz = fin(s.frequency);
  if (mhz !== undefined && mhz > 0) v.frequency = mhz / 1000;
  const ma = fin(s.inverter_current_ma);
  if (ma !== undefined) v.inverterCurrent = ma / 1000;
  if (typeof s.strategy_overridden === 'boolean') v.strategyOverridden = s.strategy_overridden;
  const mv = fin(s.pack_voltage);
  if (mv !== undefined && mv >= 0) v.packVoltage = mv / 1000;
  const ext = fin(s.external_power);
  if (ext !== undefined) v.externalPower = ext;
  for (const n of [1, 2, 3]) {
    const p = o[`renewable_energy_phase${n}`];
    if (!isObj(p)) continue;
    const ph: SessyPhase & { phase: number } = { phase: n };
    const pv = fin(p.voltage_rms);
    const pc = fin(p.current_rms);
    const pw = fin(p.power);
    if (pv !== undefined && pv >= 0) ph.voltage = pv / 1000;
    if (pc !== undefined) ph.current = pc / 1000;
    if (pw !== undefined) ph.power = pw;
    if (ph.voltage !== undefined || ph.current !== undefined || ph.power !== undefined) v.renewable.push(ph);
  }
  return { ok: true, value: v };
}

/** active_strategy GET → the enum value. An unknown string is kept (future firmware) but flagged. */
export function parseStrategyReply(body: unknown): Parsed<{ strategy: string; known: SessyStrategy | null }> {
  const env = checkEnvelope(body, 'active_strategy');
  if (!env.ok) return env;
  const s = env.value.strategy;
  if (typeof s !== 'string' || !s) return { ok: false, error: `active_strategy: strategy: must be a non-empty string (got ${JSON.stringify(s ?? null)})` };
  return { ok: true, value: { strategy: s, known: parseStrategy(s) } };
}

export interface SessyEnergy {
  chargedWh?: number;
  dischargedWh?: number;
}

/** energy/status (fw ≥ 1.7.2). The dossier's sample has no "status" key, so its absence is tolerated (§1.5.4). */
export function parseEnergyStatus(body: unknown): Parsed<SessyEnergy> {
  const env = checkEnvelope(body, 'energy/status', { statusOptional: true });
  if (!env.ok) return env;
  const e = env.value.sessy_energy;
  if (!isObj(e)) return { ok: false, error: 'energy/status: sessy_energy: is missing or not an object' };
  const v: SessyEnergy = {};
  const imp = fin(e.import_wh);
  const exp = fin(e.export_wh);
  // import = charged into the battery, export = discharged (HA "Charged"/"Discharged Energy").
  if (imp !== undefined && imp >= 0) v.chargedWh = imp;
  if (exp !== undefined && exp >= 0) v.dischargedWh = exp;
  return { ok: true, value: v };
}

/** system/settings: the whole object (kept as sent, for read-modify-write). */
export function parseSettings(body: unknown): Parsed<Obj> {
  const env = checkEnvelope(body, 'system/settings');
  if (!env.ok) return env;
  if (env.value.error !== undefined) {
    // §1.11 quirk 4 (ha-sessy #97): settings never saved in the portal come back with an "error" key.
    return { ok: false, error: `system/settings: the dongle reports ${JSON.stringify(env.value.error)}; save the settings once in the Sessy portal or web UI` };
  }
  return { ok: true, value: env.value };
}

export interface SessySystemInfo {
  serial?: string;
  batterySerial?: string;
  revision?: number;
  version?: string;
}

export function parseSystemInfo(body: unknown): Parsed<SessySystemInfo> {
  const env = checkEnvelope(body, 'system/info');
  if (!env.ok) return env;
  const o = env.value;
  const v: SessySystemInfo = {};
  if (typeof o.self_serial === 'string' && o.self_serial && o.self_serial !== 'unknown') v.serial = o.self_serial;
  if (typeof o.sessy_serial === 'string' && o.sessy_serial) v.batterySerial = o.sessy_serial;
  if (fin(o.sessy_revision) !== undefined) v.revision = o.sessy_revision as number;
  if (typeof o.version === 'string') v.version = o.version;
  return { ok: true, value: v };
}

const ipText = (v: unknown): string | null => (Array.isArray(v) && v.length === 4 && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 255) ? v.join('.') : null);

export interface SessyNetwork {
  flags: string[];
  wifi?: { ip: string | null; rssi: number | null; ssid?: string; mac?: string };
  eth?: { ip: string | null; mac?: string };
}

/** network/status: IPs arrive as arrays of four integers (§1.5.7). */
export function parseNetworkStatus(body: unknown): Parsed<SessyNetwork> {
  const env = checkEnvelope(body, 'network/status');
  if (!env.ok) return env;
  const o = env.value;
  const v: SessyNetwork = { flags: Array.isArray(o.network_status) ? o.network_status.filter((x): x is string => typeof x === 'string') : [] };
  if (isObj(o.wifi_sta)) {
    const w = o.wifi_sta;
    v.wifi = { ip: ipText(w.ip), rssi: fin(w.rssi) ?? null };
    if (typeof w.ssid === 'string') v.wifi.ssid = w.ssid;
    if (typeof w.mac === 'string') v.wifi.mac = w.mac;
  }
  if (isObj(o.eth)) {
    v.eth = { ip: ipText(o.eth.ip) };
    if (typeof o.eth.mac === 'string') v.eth.mac = o.eth.mac;
  }
  return { ok: true, value: v };
}

export interface SessyFirmwarePart {
  installed: string | null;
  available: string | null;
  state: string | null;
  /** 0–100 % */
  progress: number | null;
}

/** ota/status: `self` = the dongle, `serial` = the battery's AC board (§1.5.8). */
export function parseOtaStatus(body: unknown): Parsed<{ dongle: SessyFirmwarePart | null; battery: SessyFirmwarePart | null }> {
  const env = checkEnvelope(body, 'ota/status');
  if (!env.ok) return env;
  const part = (p: unknown): SessyFirmwarePart | null => {
    if (!isObj(p)) return null;
    const ver = (x: unknown) => (isObj(x) && typeof x.version === 'string' && x.version ? x.version : null);
    const prog = fin(p.update_progress);
    return { installed: ver(p.installed_firmware), available: ver(p.available_firmware), state: str(p.state) ?? null, progress: prog === undefined ? null : Math.round(prog * 1000) / 10 };
  };
  return { ok: true, value: { dongle: part(env.value.self), battery: part(env.value.serial) } };
}

export interface NormalizeContext {
  /** Receive time, ms (the dongle sends no measurement time). */
  now: number;
  /** Active strategy as the dongle names it, when read. */
  strategy?: string | null;
  energy?: SessyEnergy | null;
  /** Settings object, for max_power / min_power. */
  settings?: Obj | null;
  info?: SessySystemInfo | null;
  /** Dongle serial when system/info did not give one (the configured user is the serial, §1.3). */
  serial?: string | null;
  /** When the driver first saw WAITING_IN_SAFE_SITUATION in this episode, ms; null when not in it. */
  waitingSince?: number | null;
  maxChargeW?: number;
  maxDischargeW?: number;
  startupS?: number;
  /** +1 keeps the renewable phase power sign as sent, −1 inverts it (Appendix A.6). */
  pvSign?: 1 | -1;
}

/** system_state → normalized state and text; unknown values keep their raw text (§1.6.1 "keep an unknown bucket"). */
export function mapSystemState(systemState: string, socPct: number | null): { state: BatteryState; text: string } {
  const info = SESSY_SYSTEM_STATES[systemState];
  if (!info) return { state: 'unknown', text: systemState };
  if (systemState === 'SYSTEM_STATE_BATTERY_EMPTY_OR_FULL') {
    // Firmware < 1.5.0 does not say which: decide by SoC.
    const empty = socPct !== null && socPct < 50;
    return { state: empty ? 'empty' : 'full', text: empty ? 'battery empty' : 'battery full' };
  }
  return { state: info.state, text: info.text };
}

/** The limits in force: our per-unit limits, narrowed by the dongle's max_power, zeroed by empty/full. */
export function effectiveLimits(ctx: Pick<NormalizeContext, 'settings' | 'maxChargeW' | 'maxDischargeW'>, state?: BatteryState): { maxChargeW: number; maxDischargeW: number } {
  let maxChargeW = Math.max(0, ctx.maxChargeW ?? SESSY_DEFAULTS.maxChargeW);
  let maxDischargeW = Math.max(0, ctx.maxDischargeW ?? SESSY_DEFAULTS.maxDischargeW);
  const devMax = ctx.settings ? fin(ctx.settings.max_power) : undefined;
  if (devMax !== undefined && devMax > 0) {
    maxChargeW = Math.min(maxChargeW, devMax);
    maxDischargeW = Math.min(maxDischargeW, devMax);
  }
  if (state === 'empty') maxDischargeW = 0;
  if (state === 'full') maxChargeW = 0;
  return { maxChargeW, maxDischargeW };
}

/** Builds the normalized reading. Never throws for any parsed status. */
export function toBatteryReading(st: SessyPowerStatus, ctx: NormalizeContext): BatteryReading {
  const mapped = mapSystemState(st.systemState, st.soc);
  let state = mapped.state;
  let statusText = mapped.text;
  const strategyKnown = ctx.strategy ? parseStrategy(ctx.strategy) : null;
  const overridden = st.strategyOverridden === true || strategyKnown === 'POWER_STRATEGY_SESSY_CONNECT';
  // Someone else (Sessy cloud, supplier) drives the unit: report it (§1.8 step 6).
  if (overridden && (state === 'ready' || state === 'standby' || state === 'empty' || state === 'full')) {
    state = 'override';
    statusText = strategyKnown === 'POWER_STRATEGY_SESSY_CONNECT' ? 'SessyConnect in control' : 'strategy overridden by the Sessy cloud';
  }
  const r: BatteryReading = {
    kind: 'battery',
    timestamp: Math.round(ctx.now),
    source: 'sessy',
    serial: ctx.info?.serial ?? ctx.serial ?? null,
    model: 'Sessy',
    soc: st.soc,
    power: st.power,
    setpoint: st.setpoint,
    state,
    stateText: st.systemState,
    statusText,
    strategy: ctx.strategy ?? null,
    limits: effectiveLimits(ctx, state),
  };
  if (st.systemState === STARTUP_STATE) {
    const total = ctx.startupS ?? SESSY_DEFAULTS.startupS;
    const since = ctx.waitingSince ?? ctx.now;
    r.startupRemainingS = Math.max(0, Math.round(total - (ctx.now - since) / 1000));
    r.statusText = `start-up wait, ${r.startupRemainingS} s left`;
  }
  if (strategyKnown) r.strategyLabel = STRATEGY_LABELS[strategyKnown];
  if (st.systemStateDetails) r.stateDetails = st.systemStateDetails;
  if (st.frequency !== undefined) r.frequency = st.frequency;
  if (st.packVoltage !== undefined) r.voltage = st.packVoltage;
  if (st.inverterCurrent !== undefined) r.inverterCurrent = st.inverterCurrent;
  if (st.strategyOverridden !== undefined) r.strategyOverridden = st.strategyOverridden;
  if (st.externalPower !== undefined) r.externalPower = st.externalPower;
  if (st.renewable.length) {
    const sign = ctx.pvSign ?? 1;
    const phases = st.renewable.map((p) => {
      const out: SessyPhase & { phase: number } = { phase: p.phase };
      if (p.voltage !== undefined) out.voltage = p.voltage;
      if (p.current !== undefined) out.current = p.current;
      if (p.power !== undefined) out.power = sign * p.power || 0;
      return out;
    });
    r.renewable = { power: phases.reduce((a, p) => a + (p.power ?? 0), 0), phases };
  }
  if (ctx.energy && (ctx.energy.chargedWh !== undefined || ctx.energy.dischargedWh !== undefined)) {
    r.energy = {};
    if (ctx.energy.chargedWh !== undefined) r.energy.chargedWh = ctx.energy.chargedWh;
    if (ctx.energy.dischargedWh !== undefined) r.energy.dischargedWh = ctx.energy.dischargedWh;
  }
  if (ctx.info?.batterySerial) r.batterySerial = ctx.info.batterySerial;
  const minPower = ctx.settings ? fin(ctx.settings.min_power) : undefined;
  if (minPower !== undefined) r.minPower = minPower;
  return r;
}
