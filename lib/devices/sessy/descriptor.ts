/**
 * Sessy battery dongle: descriptor (DESIGN.md §3) — endpoints, points table, enums, defaults and the
 * settings that stand in for facts we could not confirm.
 *
 * Every fact below carries its source from shared/protocols/sessy.md (the dossier); the dossier's
 * source keys are kept: OFFICIAL = Sessy's OpenAPI text, SP = PimDoos/sessypy, HA = PimDoos/ha-sessy,
 * HY = gruijter/nl.sessy, SW = PaulSinnema/SessyWeb, SPL = jaccobezemer/SessyPilot.
 */
import type { BatteryState } from '../../api/types';
import type { DeviceDescriptor, DevicePoint, OutputField } from '../../api/device';

/** Endpoints of the battery dongle (sessy.md §1.4). Plain HTTP, port 80, JSON, Basic auth (§1.3). */
export const SESSY_PATHS = {
  /** GET: live battery state and the per-phase "renewable" meter (§1.5.1, OFFICIAL). */
  powerStatus: '/api/v1/power/status',
  /** GET / POST {strategy} (§1.5.2, OFFICIAL). */
  activeStrategy: '/api/v1/power/active_strategy',
  /** POST {setpoint: integer W} — only honoured in POWER_STRATEGY_API (§1.5.3, OFFICIAL). */
  setpoint: '/api/v1/power/setpoint',
  /** GET: cumulative Wh counters, fw >= 1.7.2 (§1.5.4; SP, HA, HY). */
  energyStatus: '/api/v1/energy/status',
  /** GET / POST the whole settings object, read-modify-write (§1.5.5; SP, HY). */
  systemSettings: '/api/v1/system/settings',
  /** GET: firmware, memory, serials (§1.5.6; SP, HA, HY). */
  systemInfo: '/api/v1/system/info',
  /** GET: Wi-Fi / Ethernet status, IPs as 4-integer arrays (§1.5.7; SP, HA, HY). */
  networkStatus: '/api/v1/network/status',
  /** GET: installed / available firmware of the dongle and the battery (§1.5.8; SP, HA, HY). */
  otaStatus: '/api/v1/ota/status',
} as const;

export type SessyPath = (typeof SESSY_PATHS)[keyof typeof SESSY_PATHS];

/** Per-unit power limits, W (§1.5.3: traktore-org/sem-community #523, 2200 W charge / 1700 W discharge). The zero-export defaults use them. */
export const SESSY_UNIT_LIMITS = { maxChargeW: 2200, maxDischargeW: 1700 } as const;

const json = (endpoint: SessyPath, path: string) => ({ kind: 'json' as const, endpoint, path });
const PS = SESSY_PATHS.powerStatus;

/**
 * Points table (DESIGN.md §3): the normalizer decodes exactly these (lib/api/device.ts decodeJson),
 * the simulator encodes its replies through them (encodeJson), so nothing past the driver sees mV,
 * mA, mHz or a 0–1 SoC (DESIGN.md §2). Signs: Sessy power is already + discharge / − charge (§1.7).
 * Ranges of read points are plausibility limits: a value outside is dropped as implausible.
 */
export const SESSY_POINTS: readonly DevicePoint[] = [
  { name: 'soc', source: json(PS, 'sessy.state_of_charge'), scale: 100, unit: '%', deviceUnit: '0–1', access: 'r', range: [0, 100], description: 'state of charge', src: 'sessy.md §1.5.1 OFFICIAL (HR api-docs.yaml)' },
  { name: 'power', source: json(PS, 'sessy.power'), unit: 'W', sign: '+ discharge', access: 'r', description: 'AC power of the battery', src: 'sessy.md §1.5.1 OFFICIAL; HA Discharge/Charge Power' },
  { name: 'setpoint', source: json(PS, 'sessy.power_setpoint'), unit: 'W', sign: '+ discharge', access: 'r', description: 'setpoint of the active strategy', src: 'sessy.md §1.5.1 OFFICIAL' },
  { name: 'stateText', source: json(PS, 'sessy.system_state'), valueType: 'enum', unit: '', access: 'r', description: 'system state (SYSTEM_STATE_…)', src: 'sessy.md §1.6.1 OFFICIAL + SP const.py' },
  { name: 'stateDetails', source: json(PS, 'sessy.system_state_details'), valueType: 'string', unit: '', access: 'r', description: 'details of the system state', src: 'sessy.md §1.5.1 OFFICIAL (fw 1.2.0)' },
  { name: 'frequency', source: json(PS, 'sessy.frequency'), scale: 0.001, unit: 'Hz', deviceUnit: 'mHz', access: 'r', range: [1, 100], description: 'grid frequency', src: 'sessy.md §1.5.1 OFFICIAL "milli Hertz"; HA ÷1000' },
  { name: 'inverterCurrent', source: json(PS, 'sessy.inverter_current_ma'), scale: 0.001, unit: 'A', deviceUnit: 'mA', access: 'r', description: 'AC inverter current', src: 'sessy.md §1.5.1 HA (#105), HY 2.5.0; fw 1.8.1' },
  { name: 'strategyOverridden', source: json(PS, 'sessy.strategy_overridden'), valueType: 'boolean', unit: '', access: 'r', description: 'the Sessy cloud overrides the local strategy', src: 'sessy.md §1.5.1 HA PR #107, HY 2.7.1; fw 1.8.3' },
  { name: 'voltage', source: json(PS, 'sessy.pack_voltage'), scale: 0.001, unit: 'V', deviceUnit: 'mV', access: 'r', range: [0, 1000], description: 'DC pack voltage', src: 'sessy.md §1.5.1 HA MILLIVOLT, HY ÷1000; fw 1.9.1' },
  { name: 'externalPower', source: json(PS, 'sessy.external_power'), unit: 'W', access: 'r', description: 'external power (meaning UNCONFIRMED)', src: 'sessy.md §1.5.1 HA, HY; fw 1.9.1; meaning UNCONFIRMED' },
  ...[1, 2, 3].flatMap((n): DevicePoint[] => [
    { name: `renewable[${n - 1}].voltage`, source: json(PS, `renewable_energy_phase${n}.voltage_rms`), scale: 0.001, unit: 'V', deviceUnit: 'mV', access: 'r', range: [0, 1000], description: `renewable meter, phase ${n} voltage`, src: 'sessy.md §1.5.1 HY sample 236686, HA MILLIVOLT' },
    { name: `renewable[${n - 1}].current`, source: json(PS, `renewable_energy_phase${n}.current_rms`), scale: 0.001, unit: 'A', deviceUnit: 'mA', access: 'r', description: `renewable meter, phase ${n} current`, src: 'sessy.md §1.5.1 HY, HA MILLIAMPERE' },
    { name: `renewable[${n - 1}].power`, source: json(PS, `renewable_energy_phase${n}.power`), unit: 'W', access: 'r', description: `renewable meter, phase ${n} power`, src: 'sessy.md §1.5.1 OFFICIAL; sign UNCONFIRMED (setting pvSign)' },
    { name: `renewable[${n - 1}].importWh`, source: json(SESSY_PATHS.energyStatus, `energy_phase${n}.import_wh`), unit: 'Wh', access: 'r', range: [0, Number.MAX_SAFE_INTEGER], description: `renewable meter, phase ${n} import counter (direction INFERRED)`, src: 'sessy.md §1.5.4 HY sample' },
    { name: `renewable[${n - 1}].exportWh`, source: json(SESSY_PATHS.energyStatus, `energy_phase${n}.export_wh`), unit: 'Wh', access: 'r', range: [0, Number.MAX_SAFE_INTEGER], description: `renewable meter, phase ${n} export counter (PV production, INFERRED)`, src: 'sessy.md §1.5.4 HY sample' },
  ]),
  { name: 'strategy', source: json(SESSY_PATHS.activeStrategy, 'strategy'), valueType: 'enum', unit: '', access: 'rw', description: 'active power strategy (POWER_STRATEGY_…)', src: 'sessy.md §1.5.2 OFFICIAL' },
  { name: 'setpointCommand', source: json(SESSY_PATHS.setpoint, 'setpoint'), valueType: 'integer', unit: 'W', sign: '+ discharge', access: 'w', range: [-SESSY_UNIT_LIMITS.maxChargeW, SESSY_UNIT_LIMITS.maxDischargeW], description: 'setpoint, whole W; honoured in POWER_STRATEGY_API only', src: 'sessy.md §1.5.3 OFFICIAL; limits sem-community #523' },
  { name: 'energy.chargedWh', source: json(SESSY_PATHS.energyStatus, 'sessy_energy.import_wh'), unit: 'Wh', access: 'r', range: [0, Number.MAX_SAFE_INTEGER], description: 'AC energy charged into the battery', src: 'sessy.md §1.5.4 HY sample; HA "Charged Energy"' },
  { name: 'energy.dischargedWh', source: json(SESSY_PATHS.energyStatus, 'sessy_energy.export_wh'), unit: 'Wh', access: 'r', range: [0, Number.MAX_SAFE_INTEGER], description: 'AC energy discharged from the battery', src: 'sessy.md §1.5.4 HY sample; HA "Discharged Energy"' },
  { name: 'maxPower', source: json(SESSY_PATHS.systemSettings, 'max_power'), valueType: 'integer', unit: 'W', access: 'rw', range: [1, 100_000], description: 'the dongle\'s power limit (both directions)', src: 'sessy.md §1.5.5 HY sample; HA 50–2200' },
  { name: 'minPower', source: json(SESSY_PATHS.systemSettings, 'min_power'), valueType: 'integer', unit: 'W', access: 'rw', description: 'smallest power the dongle uses', src: 'sessy.md §1.5.5 HY sample; HA 50–2000' },
  { name: 'serial', source: json(SESSY_PATHS.systemInfo, 'self_serial'), valueType: 'string', unit: '', access: 'r', description: 'dongle serial (the API user name)', src: 'sessy.md §1.1 SP get_sessy_device()' },
  { name: 'batterySerial', source: json(SESSY_PATHS.systemInfo, 'sessy_serial'), valueType: 'string', unit: '', access: 'r', description: 'serial of the battery (AC board)', src: 'sessy.md §1.5.6 HY sample "AP6QQVPY"' },
  { name: 'revision', source: json(SESSY_PATHS.systemInfo, 'sessy_revision'), valueType: 'integer', unit: '', access: 'r', description: 'battery board revision', src: 'sessy.md §1.5.6 HY sample' },
  { name: 'version', source: json(SESSY_PATHS.systemInfo, 'version'), valueType: 'string', unit: '', access: 'r', description: 'dongle software version', src: 'sessy.md §1.5.6 HY sample' },
];

/** Control strategies (sessy.md §1.5.2, OFFICIAL v1.0.0 doc + SP/HA for SESSY_CONNECT and ECO). */
export const SESSY_STRATEGIES = [
  'POWER_STRATEGY_NOM',
  'POWER_STRATEGY_ROI',
  'POWER_STRATEGY_API',
  'POWER_STRATEGY_IDLE',
  'POWER_STRATEGY_SESSY_CONNECT',
  'POWER_STRATEGY_ECO',
] as const;
export type SessyStrategy = (typeof SESSY_STRATEGIES)[number];

/** Friendly names (HA translations/en.json UI names, §1.5.2) → enum value. Lower case, '-'/' ' read as '_'. */
export const STRATEGY_ALIASES: Readonly<Record<string, SessyStrategy>> = {
  nom: 'POWER_STRATEGY_NOM',
  net_zero: 'POWER_STRATEGY_NOM',
  netzero: 'POWER_STRATEGY_NOM',
  zero: 'POWER_STRATEGY_NOM',
  nul_op_de_meter: 'POWER_STRATEGY_NOM',
  roi: 'POWER_STRATEGY_ROI',
  dynamic: 'POWER_STRATEGY_ROI',
  api: 'POWER_STRATEGY_API',
  open: 'POWER_STRATEGY_API',
  open_mode: 'POWER_STRATEGY_API',
  manual: 'POWER_STRATEGY_API',
  idle: 'POWER_STRATEGY_IDLE',
  sessy_connect: 'POWER_STRATEGY_SESSY_CONNECT',
  sessyconnect: 'POWER_STRATEGY_SESSY_CONNECT',
  connect: 'POWER_STRATEGY_SESSY_CONNECT',
  eco: 'POWER_STRATEGY_ECO',
  // One HY code comment spells it POWER_STRATEGY_SESSY_ECO; every client sends POWER_STRATEGY_ECO (§1.5.2, quirk 7).
  sessy_eco: 'POWER_STRATEGY_ECO',
};

/** Short user-facing names for status text and help. */
export const STRATEGY_LABELS: Readonly<Record<SessyStrategy, string>> = {
  POWER_STRATEGY_NOM: 'net zero',
  POWER_STRATEGY_ROI: 'dynamic',
  POWER_STRATEGY_API: 'API',
  POWER_STRATEGY_IDLE: 'idle',
  POWER_STRATEGY_SESSY_CONNECT: 'SessyConnect',
  POWER_STRATEGY_ECO: 'eco',
};

/** "api", "Net zero", "POWER_STRATEGY_ROI", "power_strategy_eco" → enum value, or null. */
export function parseStrategy(text: unknown): SessyStrategy | null {
  if (typeof text !== 'string') return null;
  const t = text.trim();
  if ((SESSY_STRATEGIES as readonly string[]).includes(t)) return t as SessyStrategy;
  const k = t.toLowerCase().replace(/[\s-]+/g, '_').replace(/^power_strategy_/, '');
  return STRATEGY_ALIASES[k] ?? null;
}

/** The names a user may type, for error messages and help. */
export const STRATEGY_NAMES_TEXT = 'api, nom (net zero), roi (dynamic), idle, eco, sessy_connect, or the POWER_STRATEGY_… value';

export interface SessyStateInfo {
  state: BatteryState;
  text: string;
}

/**
 * Every system_state value (sessy.md §1.6.1: HR api-docs.yaml v1.0.0 enum, SP const.py and its
 * history, HA translations/en.json) → normalized state and a short status text.
 * Control meaning follows the recipe §1.8 step 5: only RUNNING_SAFE takes setpoints in both
 * directions; BATTERY_EMPTY / _FULL block one direction; OVERRIDE_* and DISCONNECT are the device's
 * own decision; WAIT* and INIT are start-up.
 */
export const SESSY_SYSTEM_STATES: Readonly<Record<string, SessyStateInfo>> = {
  SYSTEM_STATE_INIT: { state: 'starting', text: 'initialising' },
  SYSTEM_STATE_WAIT_FOR_PERIPHERALS: { state: 'starting', text: 'waiting for peripherals' },
  SYSTEM_STATE_STANDBY: { state: 'standby', text: 'standby' },
  SYSTEM_STATE_WAITING_FOR_SAFE_SITUATION: { state: 'starting', text: 'waiting for a safe situation' },
  SYSTEM_STATE_WAITING_IN_SAFE_SITUATION: { state: 'starting', text: 'start-up wait' },
  SYSTEM_STATE_RUNNING_SAFE: { state: 'ready', text: 'running' },
  SYSTEM_STATE_OVERRIDE_OVERFREQUENCY: { state: 'override', text: 'grid over-frequency response' },
  SYSTEM_STATE_OVERRIDE_UNDERFREQUENCY: { state: 'override', text: 'grid under-frequency response' },
  SYSTEM_STATE_OVERRIDE_BATTERY_UNDERVOLTAGE: { state: 'override', text: 'battery under-voltage protection' },
  SYSTEM_STATE_DISCONNECT: { state: 'override', text: 'disconnected from the grid' },
  SYSTEM_STATE_RECONNECT: { state: 'starting', text: 'reconnecting to the grid' },
  SYSTEM_STATE_ERROR: { state: 'error', text: 'error' },
  // Firmware < 1.5.0 only; split by SoC in the normalizer (SP commit 6e21f5b removed it).
  SYSTEM_STATE_BATTERY_EMPTY_OR_FULL: { state: 'full', text: 'battery empty or full' },
  SYSTEM_STATE_BATTERY_FULL: { state: 'full', text: 'battery full' },
  SYSTEM_STATE_BATTERY_EMPTY: { state: 'empty', text: 'battery empty' },
};

/** The state in which the 60 s start-up wait runs (issue 3; sessy.md §1.6.1). */
export const STARTUP_STATE = 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION';

/** Defaults (sessy.md §1.3 timeouts, §1.5.3 limits, §1.8 recipe, §1.9 polling). */
export const SESSY_DEFAULTS = {
  port: 80,
  /** Per request; sessypy, SW and SPL use 5 s (§1.3). */
  timeoutMs: 5000,
  /** Extra read attempts (HA retries reads only, ha-sessy #161). Writes are never retried blindly. */
  readRetries: 2,
  readRetryDelayMs: 500,
  /** power/status and strategy every 5 s (HA DEFAULT_SCAN_INTERVAL_POWER, §1.9). */
  pollMs: 5000,
  /** energy, settings, system info every 60 s (HA, §1.9). */
  slowPollMs: 60_000,
  /** Re-send the active setpoint this often while we are in control (§1.8 step 4: 30–60 s). */
  keepAliveMs: 30_000,
  /** Per-unit limits (SESSY_UNIT_LIMITS). */
  ...SESSY_UNIT_LIMITS,
  /** Length of WAITING_IN_SAFE_SITUATION (issue 3: 60 s start-up). */
  startupS: 60,
  /** Strategy write read-back: attempts and the wait between them (§1.8 step 2, sem-community #978). */
  strategyAttempts: 3,
  strategyRetryMs: 2000,
  /** A read-back setpoint further than this from what we sent is reported as a mismatch. */
  mismatchToleranceW: 5,
};

/**
 * Facts the dossier's Appendix A leaves open, and the setting that stands in for each (safe default
 * first). The help text of the nodes lists the same.
 */
export const SESSY_UNCONFIRMED = [
  { question: 'A.1 which endpoints need Basic auth', setting: 'credentials always sent when configured; reads may work without a password' },
  { question: 'A.2 reply to a setpoint outside POWER_STRATEGY_API', setting: 'ensureApi (default on): switch to API and read it back before any setpoint' },
  { question: 'A.3 does a setpoint expire', setting: 'keepAliveS (default 30 s): re-send the active setpoint; 0 = send once' },
  { question: 'A.6 sign of renewable_energy_phaseN.power', setting: 'pvSign (default +1: as the dongle sends it; −1 inverts)' },
  { question: 'A.7 ECO / SESSY_CONNECT semantics', setting: 'yieldToConnect (default on): SessyConnect and strategy_overridden are reported, never fought' },
  { question: 'A.7 min_soc scale', setting: 'min_soc written as given, checked 0–100 like HA' },
  { question: 'A.10 safe polling interval', setting: 'pollInterval (default 5 s, minimum 1 s); energy/settings every 60 s' },
  { question: 'start-up wait length', setting: 'startupS (default 60 s) for startupRemainingS' },
] as const;

const out = (field: string, unit: string, meaning: string, from: readonly string[], note?: string): OutputField => (note ? { field, unit, meaning, from, note } : { field, unit, meaning, from });

/** Every field of the normalized reading (lib/devices/sessy/normalize.ts toBatteryReading, battery.ts) and the points it comes from. */
export const SESSY_OUTPUTS: readonly OutputField[] = [
  out('kind', '', '"battery"', [], 'driver'),
  out('timestamp', 'ms', 'receive time (the dongle sends none)', [], 'driver'),
  out('source', '', '"sessy"', [], 'driver'),
  out('serial', '', 'dongle serial (else the configured user)', ['serial']),
  out('model', '', '"Sessy"', [], 'driver'),
  out('batterySerial', '', 'serial of the battery board', ['batterySerial']),
  out('soc', '%', 'state of charge, 0–100', ['soc']),
  out('power', 'W', 'AC power, + discharge, − charge', ['power']),
  out('setpoint', 'W', 'setpoint the dongle reports for its active strategy', ['setpoint']),
  out('state', '', 'ready, starting, standby, empty, full, override, error or unknown', ['stateText', 'strategyOverridden', 'strategy']),
  out('stateText', '', "the dongle's SYSTEM_STATE_… value", ['stateText']),
  out('statusText', '', 'the state in words', ['stateText', 'strategy']),
  out('stateDetails', '', "the dongle's details of the state", ['stateDetails']),
  out('startupRemainingS', 's', 'during the start-up wait: seconds until the unit takes setpoints', ['stateText'], 'counted from when the driver first saw WAITING_IN_SAFE_SITUATION'),
  out('strategy', '', 'active strategy (POWER_STRATEGY_…)', ['strategy']),
  out('strategyLabel', '', 'the strategy in words (API, net zero, dynamic, …)', ['strategy']),
  out('strategyOverridden', '', 'the Sessy cloud overrides the local strategy', ['strategyOverridden']),
  out('limits.maxChargeW', 'W', 'charge limit in force now (node limit, max_power, 0 when full)', ['maxPower', 'stateText']),
  out('limits.maxDischargeW', 'W', 'discharge limit in force now (node limit, max_power, 0 when empty)', ['maxPower', 'stateText']),
  out('minPower', 'W', "the dongle's min_power setting", ['minPower']),
  out('energy.chargedWh', 'Wh', 'energy charged (firmware ≥ 1.7.2)', ['energy.chargedWh']),
  out('energy.dischargedWh', 'Wh', 'energy discharged (firmware ≥ 1.7.2)', ['energy.dischargedWh']),
  out('frequency', 'Hz', 'grid frequency', ['frequency']),
  out('voltage', 'V', 'DC pack voltage', ['voltage']),
  out('inverterCurrent', 'A', 'AC inverter current', ['inverterCurrent']),
  out('externalPower', 'W', 'external power (meaning unconfirmed)', ['externalPower']),
  out('renewable.power', 'W', "sum of the dongle's per-phase PV meter", ['renewable[0].power', 'renewable[1].power', 'renewable[2].power']),
  out('renewable.phases[].phase', '', 'phase 1–3', [], 'driver'),
  out('renewable.phases[].voltage', 'V', 'PV meter voltage of the phase', ['renewable[0].voltage', 'renewable[1].voltage', 'renewable[2].voltage']),
  out('renewable.phases[].current', 'A', 'PV meter current of the phase', ['renewable[0].current', 'renewable[1].current', 'renewable[2].current']),
  out('renewable.phases[].power', 'W', 'PV meter power of the phase (sign: setting PV power sign)', ['renewable[0].power', 'renewable[1].power', 'renewable[2].power']),
  out('requestedSetpoint', 'W', 'the setpoint this node was asked for (null: not in control)', [], 'driver'),
  out('sentSetpoint', 'W', 'the setpoint last sent (after clamping)', ['setpointCommand']),
  out('setpointMismatch', '', 'the dongle does not report the setpoint sent', ['setpoint', 'setpointCommand']),
  out('controlled', '', 'this node is in control (a setpoint is active)', [], 'driver'),
];

/** The descriptor (DESIGN.md §3): name, transport, defaults, parameters, capabilities, points, outputs. */
export const SESSY_DESCRIPTOR: DeviceDescriptor = {
  name: 'sessy',
  title: 'Sessy battery',
  models: 'Sessy home battery through its battery dongle (serial prefix D, sessy.md §1.1)',
  reading: 'battery',
  transports: ['http'],
  defaults: SESSY_DEFAULTS,
  params: {
    type: 'object',
    required: ['host'],
    properties: {
      host: { type: 'string', minLength: 1, description: 'IP address, host name, host:port or http:// URL' },
      user: { type: 'string', description: 'dongle serial from the sticker' },
      password: { type: 'string' },
      timeoutMs: { type: 'number', minimum: 100 },
      pollMs: { type: 'number', minimum: 200 },
    },
  },
  capabilities: ['battery', 'battery-control', 'energy-counters', 'phase-values'],
  points: SESSY_POINTS,
  outputs: SESSY_OUTPUTS,
  nodeTypes: ['sessy-battery'],
};
