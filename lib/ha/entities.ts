/**
 * Which Home Assistant entities a normalized payload of this package becomes, and their values.
 * Pure: no MQTT, no Node-RED. Units and classes are the combinations HA accepts for every release
 * since 2024 (HA developer docs, sensor entity: units per device class; HA core sensor/const.py
 * DEVICE_CLASS_STATE_CLASSES): power W + measurement, energy kWh + total_increasing, battery % +
 * measurement, voltage V, current A, frequency Hz, enum sensors with options and no unit.
 */
import { SESSY_STRATEGIES } from '../devices/sessy/descriptor';
import { EV_MODES, evConfigSchema } from '../control/ev-charging/config';
import { peakConfigSchema } from '../control/peak-shaving/config';
import { chargerReadingSchema, chargerStates } from '../api/charger-schemas';
import { batteryReadingSchema, meterReadingSchema } from '../api/schemas';
import { validator } from '../api/validate';
import { BATTERY_MODES } from '../api/control-schemas';

export type Platform = 'sensor' | 'binary_sensor' | 'number' | 'select' | 'switch' | 'button';

/** What a command entity turns into (lib/ha/commands.ts builds and validates the message). */
export type CommandKind =
  | 'battery-setpoint'
  | 'battery-release'
  | 'battery-strategy'
  | 'battery-mode'
  | 'ev-mode'
  | 'controller-mode'
  | 'charger-current'
  | 'enable'
  | 'target'
  | 'desired-peak'
  | 'phase-usage';

export interface EntitySpec {
  /** Component id in `cmps`, key in the state JSON: [a-z0-9_] only. */
  key: string;
  platform: Platform;
  name: string;
  /** The state value in HA's unit (null = unknown); absent for buttons. */
  value?: number | string | boolean | null;
  device_class?: string;
  state_class?: 'measurement' | 'total' | 'total_increasing';
  unit?: string;
  options?: string[];
  precision?: number;
  entity_category?: 'diagnostic' | 'config';
  icon?: string;
  command?: CommandKind;
  min?: number;
  max?: number;
  step?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const fin = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const round = (v: unknown, digits: number): number | null => {
  const n = fin(v);
  if (n === null) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};
const has = (o: Obj, k: string) => o[k] !== undefined;

const power = (key: string, name: string, v: unknown, extra: Partial<EntitySpec> = {}): EntitySpec => ({
  key, platform: 'sensor', name, value: round(v, 0), device_class: 'power', state_class: 'measurement', unit: 'W', precision: 0, ...extra,
});
const energyKWh = (key: string, name: string, wh: unknown): EntitySpec => ({
  key, platform: 'sensor', name, value: fin(wh) === null ? null : round((wh as number) / 1000, 3), device_class: 'energy', state_class: 'total_increasing', unit: 'kWh', precision: 3,
});
const voltage = (key: string, name: string, v: unknown): EntitySpec => ({ key, platform: 'sensor', name, value: round(v, 1), device_class: 'voltage', state_class: 'measurement', unit: 'V', precision: 1 });
const current = (key: string, name: string, v: unknown): EntitySpec => ({ key, platform: 'sensor', name, value: round(v, 2), device_class: 'current', state_class: 'measurement', unit: 'A', precision: 2 });
const frequency = (key: string, name: string, v: unknown): EntitySpec => ({ key, platform: 'sensor', name, value: round(v, 3), device_class: 'frequency', state_class: 'measurement', unit: 'Hz', precision: 2 });
const enumSensor = (key: string, name: string, v: unknown, options: readonly string[]): EntitySpec => ({
  key, platform: 'sensor', name, value: typeof v === 'string' && options.includes(v) ? v : null, device_class: 'enum', options: [...options],
});
const text = (key: string, name: string, v: unknown, extra: Partial<EntitySpec> = {}): EntitySpec => ({
  key, platform: 'sensor', name, value: v === null || v === undefined ? null : String(v).slice(0, 255), ...extra,
});
const counter = (key: string, name: string, v: unknown): EntitySpec => ({ key, platform: 'sensor', name, value: round(v, 0), state_class: 'total_increasing', entity_category: 'diagnostic' });

function phaseEntities(phases: unknown, out: EntitySpec[]): void {
  if (!Array.isArray(phases)) return;
  phases.slice(0, 3).forEach((ph, i) => {
    if (!isObj(ph)) return;
    const L = `L${i + 1}`;
    const l = `l${i + 1}`;
    if (has(ph, 'voltage')) out.push(voltage(`${l}_voltage`, `${L} voltage`, ph.voltage));
    if (has(ph, 'current')) out.push(current(`${l}_current`, `${L} current`, ph.current));
    if (has(ph, 'power')) out.push(power(`${l}_power`, `${L} power`, ph.power));
  });
}

const BATTERY_STATES = ['ready', 'starting', 'empty', 'full', 'standby', 'override', 'error', 'offline', 'unknown'];
const ZERO_EXPORT_MODES = ['waiting', 'active', 'failsafe', 'disabled'];
const EV_PHASES = ['idle', 'off', 'charging', 'holding', 'waiting', 'failsafe', 'disabled'];
const PEAK_BANDS = ['balancing', 'limiting', 'recharge', 'fallback'];
export const SOFAR_MODES = ['standby', 'auto'];
/** Bounds of the setpoint number entities (the devices clamp further to their own limits). */
export const BATTERY_SETPOINT_MAX_W = 10000;
export const EV_CURRENT_MAX_A = 32;
export const GRID_TARGET_MAX_W = 10000;
/** The desired-peak number takes the range of the peak-shaving node's own *Desired peak* field. */
const DESIRED = peakConfigSchema.properties.desiredPeak;
export const DESIRED_PEAK_MIN_W = DESIRED.minimum as number;
export const DESIRED_PEAK_MAX_W = DESIRED.maximum as number;
/** The phase-usage select offers the ev-charging node's own *Phases* choices. */
export const PHASE_USAGES = evConfigSchema.properties.phaseUsage.enum as readonly string[];

function meter(p: Obj): EntitySpec[] {
  const out: EntitySpec[] = [power('power', 'Grid power', p.power)];
  if (has(p, 'importPower')) out.push(power('import_power', 'Import power', p.importPower));
  if (has(p, 'exportPower')) out.push(power('export_power', 'Export power', p.exportPower));
  phaseEntities(p.phases, out);
  if (isObj(p.energy)) {
    out.push(energyKWh('energy_import', 'Energy imported', p.energy.importWh), energyKWh('energy_export', 'Energy exported', p.energy.exportWh));
    for (const [field, label] of [['importTariffWh', 'imported'], ['exportTariffWh', 'exported']] as const) {
      const list = p.energy[field];
      if (Array.isArray(list)) list.slice(0, 4).forEach((wh, i) => out.push(energyKWh(`energy_${label.slice(0, 6)}_t${i + 1}`, `Energy ${label} tariff ${i + 1}`, wh)));
    }
  }
  if (has(p, 'tariff')) out.push(text('tariff', 'Tariff', p.tariff));
  if (has(p, 'frequency')) out.push(frequency('frequency', 'Frequency', p.frequency));
  if (has(p, 'powerFactor')) out.push({ key: 'power_factor', platform: 'sensor', name: 'Power factor', value: round(p.powerFactor, 3), device_class: 'power_factor', state_class: 'measurement' });
  if (isObj(p.capacity)) {
    out.push(power('quarter_average', 'Quarter-hour average', p.capacity.currentAverageW));
    if (has(p.capacity, 'monthPeakW')) out.push(power('month_peak', 'Month peak', p.capacity.monthPeakW));
  }
  if (isObj(p.gas)) out.push({ key: 'gas', platform: 'sensor', name: 'Gas', value: round(p.gas.m3, 3), device_class: 'gas', state_class: 'total_increasing', unit: 'm³' });
  if (isObj(p.water)) out.push({ key: 'water', platform: 'sensor', name: 'Water', value: round(p.water.m3, 3), device_class: 'water', state_class: 'total_increasing', unit: 'm³' });
  // Heat meters count GJ; HA gets kWh (1 GJ = 277.778 kWh), the energy unit every release accepts.
  if (isObj(p.heat)) out.push({ ...energyKWh('heat', 'Heat', fin(p.heat.GJ) === null ? null : (p.heat.GJ as number) * 277_777.78) });
  return out;
}

function battery(p: Obj): EntitySpec[] {
  const out: EntitySpec[] = [
    { key: 'soc', platform: 'sensor', name: 'State of charge', value: round(p.soc, 1), device_class: 'battery', state_class: 'measurement', unit: '%', precision: 0 },
    power('power', 'Power', p.power),
    enumSensor('state', 'State', p.state, BATTERY_STATES),
  ];
  if (has(p, 'stateText')) out.push(text('state_text', 'Device state', p.stateText, { entity_category: 'diagnostic' }));
  // A Sessy's strategy shows in its select; other batteries report theirs as text.
  if (has(p, 'strategy') && p.source !== 'sessy') out.push(text('strategy', 'Strategy', p.strategy));
  if (isObj(p.limits)) out.push(power('max_charge', 'Max charge power', p.limits.maxChargeW, { entity_category: 'diagnostic' }), power('max_discharge', 'Max discharge power', p.limits.maxDischargeW, { entity_category: 'diagnostic' }));
  if (typeof p.capacityWh === 'number') out.push({ key: 'capacity', platform: 'sensor', name: 'Capacity', value: round(p.capacityWh / 1000, 3), device_class: 'energy_storage', state_class: 'measurement', unit: 'kWh', precision: 2 });
  if (isObj(p.energy)) {
    if (has(p.energy, 'chargedWh')) out.push(energyKWh('energy_charged', 'Energy charged', p.energy.chargedWh));
    if (has(p.energy, 'dischargedWh')) out.push(energyKWh('energy_discharged', 'Energy discharged', p.energy.dischargedWh));
  }
  if (has(p, 'voltage')) out.push(voltage('voltage', 'Voltage', p.voltage));
  if (has(p, 'current')) out.push(current('current', 'Current', p.current));
  if (has(p, 'frequency')) out.push(frequency('frequency', 'Frequency', p.frequency));
  if (has(p, 'temperature')) out.push({ key: 'temperature', platform: 'sensor', name: 'Temperature', value: round(p.temperature, 1), device_class: 'temperature', state_class: 'measurement', unit: '°C' });
  // Two-way: the setpoint in force as a number, release as a button, the device's own modes as a select.
  const sp = fin(p.setpoint);
  out.push({
    key: 'setpoint', platform: 'number', name: 'Setpoint', value: sp === null ? null : Math.round(sp), device_class: 'power', unit: 'W',
    min: -BATTERY_SETPOINT_MAX_W, max: BATTERY_SETPOINT_MAX_W, step: 1, command: 'battery-setpoint', icon: 'mdi:battery-sync',
  });
  out.push({ key: 'release', platform: 'button', name: 'Release to own control', command: 'battery-release', icon: 'mdi:battery-arrow-up' });
  if (p.source === 'sessy') {
    const s = typeof p.strategy === 'string' && (SESSY_STRATEGIES as readonly string[]).includes(p.strategy) ? p.strategy : null;
    out.push({ key: 'strategy_select', platform: 'select', name: 'Strategy', value: s, options: [...SESSY_STRATEGIES], command: 'battery-strategy', entity_category: 'config' });
  } else if (p.source === 'sofar') {
    out.push({ key: 'mode_select', platform: 'select', name: 'Mode when idle', value: null, options: SOFAR_MODES, command: 'battery-mode', entity_category: 'config' });
  }
  return out;
}

function charger(p: Obj): EntitySpec[] {
  const out: EntitySpec[] = [enumSensor('state', 'State', p.state, chargerStates), power('power', 'Charging power', p.power)];
  phaseEntities(p.phases, out);
  if (has(p, 'activePhases')) out.push(text('active_phases', 'Active phases', p.activePhases));
  if (has(p, 'signalledCurrentA')) out.push(current('signalled_current', 'Signalled current', p.signalledCurrentA));
  if (has(p, 'sessionWh')) out.push(energyKWh('session_energy', 'Session energy', p.sessionWh));
  if (has(p, 'energyWh')) out.push(energyKWh('energy', 'Energy charged', p.energyWh));
  if (typeof p.enabled === 'boolean') out.push({ key: 'enabled', platform: 'binary_sensor', name: 'Charging released', value: p.enabled });
  const maxA = isObj(p.limits) && fin(p.limits.maxCurrentA) !== null && (p.limits.maxCurrentA as number) > 0 ? Math.min(EV_CURRENT_MAX_A, Math.round(p.limits.maxCurrentA as number)) : EV_CURRENT_MAX_A;
  const sig = fin(p.signalledCurrentA);
  out.push({
    key: 'current_set', platform: 'number', name: 'Charging current', value: p.enabled === false ? 0 : sig, device_class: 'current', unit: 'A',
    min: 0, max: maxA, step: 1, command: 'charger-current', icon: 'mdi:ev-station',
  });
  return out;
}

function zeroExport(p: Obj): EntitySpec[] {
  const out: EntitySpec[] = [
    enumSensor('mode', 'Mode', p.mode, ZERO_EXPORT_MODES),
    power('grid', 'Grid power', p.gridW),
    power('total_setpoint', 'Total setpoint', p.totalSetpointW),
    power('curtailment', 'Curtailment needed', p.curtailmentW),
  ];
  if (has(p, 'exportCapW')) out.push(power('export_cap', 'Export cap', p.exportCapW, { entity_category: 'diagnostic' }));
  if (Array.isArray(p.reasons)) out.push(text('reason', 'Reason', p.reasons[0] ?? null));
  if (isObj(p.counters)) out.push(counter('commands', 'Commands sent', p.counters.commands), counter('failsafes', 'Fail safes', p.counters.failsafes));
  if (Array.isArray(p.units)) {
    for (const u of p.units.slice(0, 8)) {
      if (!isObj(u) || typeof u.id !== 'string') continue;
      const id = safeKey(u.id).toLowerCase().replace(/-/g, '_');
      out.push(power(`unit_${id}_setpoint`, `${u.id} setpoint`, u.setpoint));
    }
  }
  out.push({ key: 'enable', platform: 'switch', name: 'Control', value: p.mode !== 'disabled', command: 'enable', icon: 'mdi:transmission-tower-export' });
  const bm = isObj(p.batteryMode) ? p.batteryMode.mode : undefined;
  out.push(modeSelect(bm, BATTERY_MODES));
  out.push({
    key: 'target', platform: 'number', name: 'Grid target', value: round(p.targetW, 0), device_class: 'power', unit: 'W',
    min: -GRID_TARGET_MAX_W, max: GRID_TARGET_MAX_W, step: 10, command: 'target', entity_category: 'config',
  });
  return out;
}

function evCharging(p: Obj): EntitySpec[] {
  const sp = isObj(p.setpoint) ? p.setpoint : null;
  const out: EntitySpec[] = [
    enumSensor('active_mode', 'Active mode', p.activeMode, EV_MODES.filter((m) => m !== 'time')),
    enumSensor('phase', 'Phase', p.phase, EV_PHASES),
    text('binding', 'Binding limit', p.binding),
    power('surplus', 'Surplus', p.surplusFilteredW ?? p.surplusW),
    current('setpoint_current', 'Current set', sp ? (sp.enabled ? sp.currentA : 0) : null),
    text('phases', 'Phases', p.phases),
  ];
  if (has(p, 'gridLimitW')) out.push(power('grid_limit', 'Grid limit', p.gridLimitW, { entity_category: 'diagnostic' }));
  if (Array.isArray(p.reasons)) out.push(text('reason', 'Reason', p.reasons[0] ?? null));
  if (isObj(p.counters)) {
    const c = p.counters;
    out.push(energyKWh('session_solar', 'Session energy from PV', c.solarWh), energyKWh('session_grid', 'Session energy from grid', c.gridWh));
    out.push({ key: 'solar_share', platform: 'sensor', name: 'Solar share', value: round(c.solarSharePct, 1), state_class: 'measurement', unit: '%' });
    out.push(counter('starts', 'Starts', c.totalStarts), counter('phase_switches', 'Phase switches', c.totalPhaseSwitches));
  }
  out.push({ key: 'mode', platform: 'select', name: 'Charge mode', value: typeof p.mode === 'string' && (EV_MODES as readonly string[]).includes(p.mode) ? p.mode : null, options: [...EV_MODES], command: 'ev-mode', icon: 'mdi:car-electric' });
  out.push({
    key: 'phase_usage', platform: 'select', name: 'Phase usage', value: typeof p.phaseUsage === 'string' && PHASE_USAGES.includes(p.phaseUsage) ? p.phaseUsage : null,
    options: [...PHASE_USAGES], command: 'phase-usage', icon: 'mdi:sine-wave', entity_category: 'config',
  });
  out.push({ key: 'enable', platform: 'switch', name: 'Control', value: p.phase !== 'disabled', command: 'enable' });
  return out;
}

/** An amount in EUR (no monetary device class: HA wants a state class of total or none with it). */
const eur = (key: string, name: string, v: unknown): EntitySpec => ({ key, platform: 'sensor', name, value: round(v, 2), unit: 'EUR', precision: 2, icon: 'mdi:cash' });

function peakShaving(p: Obj): EntitySpec[] {
  const out: EntitySpec[] = [
    enumSensor('band', 'Band', p.band, PEAK_BANDS),
    power('limit', 'Peak limit', p.limitW),
    power('month_peak', 'Month peak', p.monthPeakW),
    power('quarter_average', 'Quarter-hour average', p.quarterAverageW),
    power('projected', 'Quarter-hour projected', p.projectedW),
    power('allowed', 'Import allowed now', p.allowedW),
    power('last_quarter', 'Last quarter-hour', p.lastQuarterW),
    { key: 'quarters_above', platform: 'sensor', name: 'Quarters above limit', value: round(p.quartersAboveLimit, 0), state_class: 'measurement' },
  ];
  if (Array.isArray(p.reasons)) out.push(text('reason', 'Reason', p.reasons[0] ?? null));
  // The capacity-tariff account: the 12-month mean the bill uses, and its cost at the node's rate.
  if (isObj(p.account)) {
    out.push(power('billed_peak', 'Billed peak (12-month mean)', p.account.billedMeanW));
    if (typeof p.account.costPerYearEur === 'number') out.push(eur('capacity_cost_year', 'Capacity cost per year', p.account.costPerYearEur));
  }
  // The desired peak in force, settable from HA (the node takes `topic: "desired-peak"`, W).
  out.push({
    key: 'desired_peak', platform: 'number', name: 'Desired peak', value: round(p.desiredPeakW, 0), device_class: 'power', unit: 'W',
    min: DESIRED_PEAK_MIN_W, max: DESIRED_PEAK_MAX_W, step: 10, command: 'desired-peak', icon: 'mdi:transmission-tower-import',
  });
  if (typeof p.enabled === 'boolean') out.push({ key: 'enable', platform: 'switch', name: 'Control', value: p.enabled, command: 'enable' });
  if (has(p, 'mode')) out.push(modeSelect(p.mode, [...BATTERY_MODES, 'off']));
  return out;
}

/** The battery mode a controller runs in, settable from HA: sends `{kind: "mode", mode}` (no `until`: it stands until the next). */
function modeSelect(v: unknown, options: readonly string[]): EntitySpec {
  return { key: 'battery_mode', platform: 'select', name: 'Battery mode', value: typeof v === 'string' && options.includes(v) ? v : null, options: [...options], command: 'controller-mode', icon: 'mdi:home-battery' };
}

/** Prices per kWh: a unit HA accepts without a device class (monetary needs a bare currency). */
const price = (key: string, name: string, v: unknown, unit: string): EntitySpec => ({ key, platform: 'sensor', name, value: round(v, 5), state_class: 'measurement', unit, precision: 4, icon: 'mdi:currency-eur' });

function tariff(p: Obj): EntitySpec[] {
  const unit = typeof p.unit === 'string' && /^[A-Z]{3}\/kWh$/.test(p.unit) ? p.unit : 'EUR/kWh';
  const out: EntitySpec[] = [price('import_price', 'Import price', p.importPrice, unit), price('export_price', 'Export price', p.exportPrice, unit)];
  if (has(p, 'source')) out.push(text('source', 'Price source', p.source, { entity_category: 'diagnostic' }));
  return out;
}

function batteryPlan(p: Obj): EntitySpec[] {
  const out: EntitySpec[] = [eur('cost', 'Plan cost', p.costEur), eur('cost_without_battery', 'Cost without battery', p.noBatteryCostEur), eur('saving', 'Plan saving', p.savingEur)];
  if (has(p, 'reason')) out.push(text('reason', 'Reason', p.reason));
  return out;
}

/** The payload kinds this package's nodes send that become HA devices. */
export const KINDS: Readonly<Record<string, (p: Obj) => EntitySpec[]>> = {
  meter,
  battery,
  charger,
  'zero-export-status': zeroExport,
  'ev-charging-state': evCharging,
  'peak-shaving-state': peakShaving,
  tariff,
  'battery-plan': batteryPlan,
};

/** Component id / object id text: [a-zA-Z0-9_-] only (HA core mqtt/discovery.py TOPIC_MATCHER). */
export function safeKey(s: string): string {
  const k = s.replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '');
  return (k || 'x').slice(0, 64);
}

/** The entities of one payload, or null when its kind is not one HA gets devices for. */
export function entitiesOf(payload: unknown): EntitySpec[] | null {
  if (!isObj(payload) || typeof payload.kind !== 'string') return null;
  const f = KINDS[payload.kind];
  return f ? f(payload).map(inRange) : null;
}

/** HA logs a number's state outside min–max as invalid and keeps the old one: send unknown instead. */
function inRange(e: EntitySpec): EntitySpec {
  if (e.platform !== 'number' || typeof e.value !== 'number') return e;
  return (e.min !== undefined && e.value < e.min) || (e.max !== undefined && e.value > e.max) ? { ...e, value: null } : e;
}

const checks: Record<string, (v: unknown) => string | null> = {
  meter: validator(meterReadingSchema, 'payload'),
  battery: validator(batteryReadingSchema, 'payload'),
  charger: validator(chargerReadingSchema, 'payload'),
};

/**
 * A device reading is checked with the schema every node of this package uses for it (an error names
 * the field); controller states, which have no schema, are taken as they are (a missing or odd
 * value shows as unknown in HA).
 */
export function payloadProblem(payload: unknown): string | null {
  const kind = isObj(payload) ? payload.kind : undefined;
  const check = typeof kind === 'string' ? checks[kind] : undefined;
  return check ? check(payload) : null;
}
