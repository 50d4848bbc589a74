/**
 * Sessy battery dongle replies → checked values → normalized `kind: "battery"` reading.
 *
 * The parse* functions never throw: they return `{ ok: false, error }` with a reason naming the
 * field for anything that is not the documented shape (sessy.md §1.5), so a malformed reply becomes
 * a clear problem on the node, never an exception. Every key except the few a reading cannot do
 * without is optional: keys come and go with firmware versions (§1.5.1 "Treat every key as optional").
 * Units are converted here and only here, through the points of descriptor.ts (SESSY_POINTS, decoded
 * with lib/api/device.ts decodeJson; DESIGN.md §2): no unit factor or path is written out below.
 */
import type { BatteryReading, BatteryState } from '../../api/types';
import { type DevicePoint, type JsonSource, decodeJson, decodeJsonPoint, getPath, inRange, pointMap } from '../../api/device';
import { SESSY_DEFAULTS, SESSY_PATHS, SESSY_POINTS, SESSY_SYSTEM_STATES, STARTUP_STATE, STRATEGY_LABELS, parseStrategy, type SessyStrategy } from './descriptor';

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

const byName = pointMap(SESSY_POINTS);
const point = (name: string): DevicePoint => byName.get(name)!;
/** The point's value when it is inside the point's plausibility range (numbers), else undefined. */
const plausible = <T>(p: DevicePoint, v: T): T | undefined => (typeof v !== 'number' || inRange(p, v) ? v : undefined);

/** Every point of one endpoint decoded from its reply, implausible numbers left out. */
function decodeEndpoint(endpoint: string, body: unknown): Record<string, number | string | boolean> {
  const out = decodeJson(SESSY_POINTS, endpoint, body);
  for (const [k, v] of Object.entries(out)) if (plausible(point(k), v) === undefined) delete out[k];
  return out;
}

/** A point that must be a JSON number in the reply (not a numeric string), for the required fields. */
function requiredNumber(body: unknown, name: string, what: string): Parsed<number> {
  const p = point(name);
  const path = (p.source as JsonSource).path;
  const raw = getPath(body, path);
  if (typeof raw !== 'number' || !Number.isFinite(raw)) return { ok: false, error: `${what}: ${path}: must be a number (got ${JSON.stringify(raw ?? null)})` };
  return { ok: true, value: decodeJsonPoint(body, p) as number };
}

export function parsePowerStatus(body: unknown): Parsed<SessyPowerStatus> {
  const what = 'power/status';
  const env = checkEnvelope(body, what);
  if (!env.ok) return env;
  if (!isObj(env.value.sessy)) return { ok: false, error: `${what}: sessy: is missing or not an object` };
  const soc = requiredNumber(body, 'soc', what);
  if (!soc.ok) return soc;
  // 0.0–1.0 (§1.5.1, OFFICIAL) with float noise (0.850000023841858): a little outside is clamped, more is refused.
  const [lo, hi] = point('soc').range!;
  const slack = (hi - lo) / 1000;
  if (soc.value < lo - slack || soc.value > hi + slack) return { ok: false, error: `${what}: sessy.state_of_charge: must be 0–1 (got ${getPath(body, 'sessy.state_of_charge') as number})` };
  const power = requiredNumber(body, 'power', what);
  if (!power.ok) return power;
  const d = decodeEndpoint(SESSY_PATHS.powerStatus, body);
  const systemState = d.stateText;
  if (typeof systemState !== 'string' || systemState === '') return { ok: false, error: `${what}: sessy.system_state: must be a non-empty string (got ${JSON.stringify(getPath(body, 'sessy.system_state') ?? null)})` };
  const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : undefined);
  const v: SessyPowerStatus = {
    soc: Math.round(Math.min(hi, Math.max(lo, soc.value)) * 100) / 100,
    power: power.value,
    setpoint: num('setpoint') ?? null,
    systemState,
    renewable: [],
  };
  if (typeof d.stateDetails === 'string' && d.stateDetails) v.systemStateDetails = d.stateDetails;
  if (num('frequency') !== undefined) v.frequency = num('frequency');
  if (num('inverterCurrent') !== undefined) v.inverterCurrent = num('inverterCurrent');
  if (typeof d.strategyOverridden === 'boolean') v.strategyOverridden = d.strategyOverridden;
  if (num('voltage') !== undefined) v.packVoltage = num('voltage');
  if (num('externalPower') !== undefined) v.externalPower = num('externalPower');
  for (const n of [1, 2, 3]) {
    const ph: SessyPhase & { phase: number } = { phase: n };
    for (const f of ['voltage', 'current', 'power'] as const) {
      const x = num(`renewable[${n - 1}].${f}`);
      if (x !== undefined) ph[f] = x;
    }
    if (ph.voltage !== undefined || ph.current !== undefined || ph.power !== undefined) v.renewable.push(ph);
  }
  return { ok: true, value: v };
}

/** active_strategy GET → the enum value. An unknown string is kept (future firmware) but flagged. */
export function parseStrategyReply(body: unknown): Parsed<{ strategy: string; known: SessyStrategy | null }> {
  const env = checkEnvelope(body, 'active_strategy');
  if (!env.ok) return env;
  const s = decodeEndpoint(SESSY_PATHS.activeStrategy, body).strategy;
  if (typeof s !== 'string' || !s) return { ok: false, error: `active_strategy: strategy: must be a non-empty string (got ${JSON.stringify(getPath(body, 'strategy') ?? null)})` };
  return { ok: true, value: { strategy: s, known: parseStrategy(s) } };
}

export interface SessyEnergy {
  chargedWh?: number;
  dischargedWh?: number;
  /** The renewable meter's counters per phase (index = phase − 1), where sent. */
  phases?: Array<{ importWh?: number; exportWh?: number }>;
}

/** energy/status (fw ≥ 1.7.2). The dossier's sample has no "status" key, so its absence is tolerated (§1.5.4). */
export function parseEnergyStatus(body: unknown): Parsed<SessyEnergy> {
  const env = checkEnvelope(body, 'energy/status', { statusOptional: true });
  if (!env.ok) return env;
  if (!isObj(env.value.sessy_energy)) return { ok: false, error: 'energy/status: sessy_energy: is missing or not an object' };
  const d = decodeEndpoint(SESSY_PATHS.energyStatus, body);
  // import = charged into the battery, export = discharged (HA "Charged"/"Discharged Energy").
  const v: SessyEnergy = {};
  if (typeof d['energy.chargedWh'] === 'number') v.chargedWh = d['energy.chargedWh'];
  if (typeof d['energy.dischargedWh'] === 'number') v.dischargedWh = d['energy.dischargedWh'];
  const phases = [0, 1, 2].map((i) => {
    const ph: { importWh?: number; exportWh?: number } = {};
    for (const f of ['importWh', 'exportWh'] as const) if (typeof d[`renewable[${i}].${f}`] === 'number') ph[f] = d[`renewable[${i}].${f}`] as number;
    return ph;
  });
  if (phases.some((p) => p.importWh !== undefined || p.exportWh !== undefined)) v.phases = phases;
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

/** The dongle's power settings (max_power, min_power) from a settings object, through their points. */
export function powerSettings(settings: Obj | null | undefined): { maxPower?: number; minPower?: number } {
  if (!settings) return {};
  const d = decodeEndpoint(SESSY_PATHS.systemSettings, settings);
  const out: { maxPower?: number; minPower?: number } = {};
  if (typeof d.maxPower === 'number') out.maxPower = d.maxPower;
  if (typeof d.minPower === 'number') out.minPower = d.minPower;
  return out;
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
  const d = decodeEndpoint(SESSY_PATHS.systemInfo, body);
  const v: SessySystemInfo = {};
  if (typeof d.serial === 'string' && d.serial && d.serial !== 'unknown') v.serial = d.serial;
  if (typeof d.batterySerial === 'string' && d.batterySerial) v.batterySerial = d.batterySerial;
  if (typeof d.revision === 'number') v.revision = d.revision;
  if (typeof d.version === 'string') v.version = d.version;
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
  const devMax = powerSettings(ctx.settings).maxPower;
  if (devMax !== undefined) {
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
  const minPower = powerSettings(ctx.settings).minPower;
  if (minPower !== undefined) r.minPower = minPower;
  return r;
}
