/**
 * The zero-export node's configuration (version 1): one schema (lib/api/config.ts builders) that the
 * runtime reads the saved config with and the build hands to the edit dialog (validators, defaults);
 * the defaults are the controller's (ZERO_EXPORT_DEFAULTS), in the units the editor shows (s, not ms).
 * readZeroExportConfig() turns a saved config into the controller's parameters and the node's own
 * settings; every error names the field and the rule.
 */
import { bool, configReader, num, oneOf, text, type ConfigSchema, type FieldSchema } from '../../api/config';
import { ZERO_EXPORT_DEFAULTS as D } from './controller';
import type { ZeroExportParams, ZeroExportUnitConfig } from './types';

/** Most battery units one node drives (one output each). */
export const MAX_UNITS = 16;

const W = { unit: 'W' };
const S = { unit: 's' };
const PCT = { unit: '%' };

/** One battery unit of the node's list (one output). */
export const unitConfigSchema: ConfigSchema = {
  type: 'object',
  properties: {
    label: text({ description: "the output's name and the unit's id (unique)" }),
    serial: text({ empty: true, description: 'payload.serial of its battery readings' }),
    topic: text({ empty: true, description: 'msg.topic of its battery readings' }),
    maxChargeW: num(0, 100000, { empty: true, ...W, description: 'cap below the limits the unit reports; blank = none' }),
    maxDischargeW: num(0, 100000, { empty: true, ...W, description: 'cap below the limits the unit reports; blank = none' }),
    capacityWh: num(1, 10000000, { empty: true, unit: 'Wh', description: `used to share power until the unit reports it; blank = ${D.unit.capacityWh} Wh` }),
  },
  required: ['label'],
};

/** The list of units: a JSON Schema array (the editor reads its item fields). */
const unitsField = { type: 'array', minItems: 1, maxItems: MAX_UNITS, items: unitConfigSchema } as unknown as FieldSchema;

export const zeroExportConfigSchema: ConfigSchema = {
  type: 'object',
  properties: {
    name: text({ empty: true }),
    units: unitsField,
    targetW: num(-100000, 100000, { default: D.targetW, ...W }),
    exportCapW: num(0, 100000, { empty: true, ...W, description: 'blank = no cap' }),
    deadbandW: num(0, 5000, { default: D.deadbandW, ...W }),
    failSafe: oneOf(['zero', 'release'], D.failSafe),
    meterTimeoutS: num(0.5, 3600, { default: D.meterTimeoutMs / 1000, zero: true, ...S, description: '0 = auto: 2 meter periods, at least 2.5 s' }),
    batteryTimeoutS: num(1, 3600, { default: D.batteryTimeoutMs / 1000, ...S }),
    minSocPct: num(0, 100, { default: D.minSocPct, ...PCT }),
    maxSocPct: num(0, 100, { default: D.maxSocPct, ...PCT }),
    reserveSocPct: num(0, 100, { default: D.reserveSocPct, ...PCT }),
    reserveChargeW: num(0, 100000, { default: D.reserveChargeW, ...W }),
    modeChargeW: num(0, 100000, { default: D.modeChargeW, ...W, description: 'grid charging power in mode "charge" (a mode message), within the batteries\' limits and any grid-limit' }),
    dryRun: bool(false),
    startEnabled: bool(true),
    leaveChargerToGrid: bool(D.excludeChargerPower),
    latencyMinS: num(0, 120, { default: D.unit.latencyMinMs / 1000, ...S }),
    latencyMaxS: num(0, 120, { default: D.unit.latencyMaxMs / 1000, ...S }),
    rampWPerS: num(1, 1000000, { default: D.unit.rampWPerS, unit: 'W/s' }),
    stageUnits: bool(D.stageUnits),
    unitEfficientW: num(1, 100000, { default: D.unitEfficientW, ...W }),
    shareToleranceW: num(0, 5000, { default: D.shareToleranceW, ...W, description: '0 = every unit is set each time' }),
    refreshS: num(1, 86400, { default: D.refreshMs / 1000, zero: true, ...S, description: '0 = never' }),
    slewWPerS: num(1, 1000000, { default: D.slewWPerS, unit: 'W/s' }),
    errorBudgetWs: num(0, 1000000, { default: D.errorBudgetWs, unit: 'W·s' }),
    offTargetS: num(1, 3600, { default: D.offTargetMs / 1000, zero: true, ...S, description: '0 = auto: 3 meter periods, at least 10 s' }),
  },
  required: ['units'],
};

/** How the node recognises a unit's readings (lib/control/zero-export/router.ts). */
export interface ZeroExportUnitRoute {
  label: string;
  /** Upper case, or null. */
  serial: string | null;
  topic: string | null;
}

export interface ZeroExportSettings {
  params: ZeroExportParams;
  units: ZeroExportUnitRoute[];
  dryRun: boolean;
  startEnabled: boolean;
}

type Raw = Record<string, unknown>;

/** A value for a message: JSON, cut short; never throws (BigInt, circular). */
export function shown(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? typeof v : s.length > 60 ? s.slice(0, 57) + '…' : s;
  } catch {
    return typeof v;
  }
}

/** What a field accepts, from its schema: "a decimal number from 0 to 5000 W", "one of …". */
export function accepts(f: FieldSchema): string {
  if (f.type === 'number' || f.type === 'integer') {
    const range = `${f['x-zero'] ? '0 or ' : ''}a decimal number from ${f.minimum} to ${f.maximum}${f['x-unit'] ? ` ${f['x-unit']}` : ''}`;
    return f['x-empty'] ? `${range}, or blank` : range;
  }
  if (f.enum) return `one of ${f.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (f.type === 'boolean') return 'true or false';
  return 'a text';
}

const fieldReaders = new Map<FieldSchema, (raw: unknown) => { ok: boolean }>();
/** The first field of `schema` that its reader rejects in `raw`, explained with what it accepts and what it got. */
function explain(schema: ConfigSchema, raw: Raw, where: string, fallback: string): string {
  for (const [name, f] of Object.entries(schema.properties)) {
    if ((f as { type?: string }).type === ('array' as string)) continue;
    let read = fieldReaders.get(f);
    if (!read) fieldReaders.set(f, (read = configReader({ type: 'object', properties: { [name]: f } })));
    if (read({ [name]: raw[name] }).ok) continue;
    if (f.type === 'string' && f.minLength) return `${where}.${name}: is required`;
    return `${where}.${name}: must be ${accepts(f)} (got ${shown(raw[name])})`;
  }
  return fallback;
}

function reader<T extends object>(schema: ConfigSchema) {
  const read = configReader<T>(schema);
  return (raw: Raw, where: string): T => {
    const r = read(raw);
    if (!r.ok) throw new ConfigError(explain(schema, raw, where, r.error.replace(/^config/, where)));
    return r.config;
  };
}

class ConfigError extends Error {}

const readTop = reader<Raw>({ ...zeroExportConfigSchema, properties: { ...zeroExportConfigSchema.properties, units: { 'x-empty': true } as FieldSchema }, required: [] });
const readUnit = reader<Raw>(unitConfigSchema);

/** Checks the saved configuration and builds the controller's parameters; `{ error }` names the field of the first problem. */
export function readZeroExportConfig(raw: unknown): ZeroExportSettings | { error: string } {
  try {
    return build(raw && typeof raw === 'object' ? (raw as Raw) : {});
  } catch (e) {
    if (e instanceof ConfigError) return { error: e.message };
    throw e;
  }
}

const ms = (s: unknown): number | undefined => (typeof s === 'number' ? Math.round(s * 1000) : undefined);
const optional = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function build(raw: Raw): ZeroExportSettings {
  const list = raw.units;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError('config.units: add at least one battery unit');
  if (list.length > MAX_UNITS) throw new ConfigError(`config.units: at most ${MAX_UNITS} units (got ${list.length})`);
  const c = readTop(raw, 'config');
  const n = (k: string) => c[k] as number;
  if (n('latencyMinS') > n('latencyMaxS')) throw new ConfigError(`config.latencyMaxS: must be at least latencyMinS (${n('latencyMinS')} s) (got ${n('latencyMaxS')})`);
  if (n('minSocPct') >= n('maxSocPct')) {
    const blankMin = raw.minSocPct === undefined || raw.minSocPct === '' || raw.minSocPct === null;
    const blankMax = raw.maxSocPct === undefined || raw.maxSocPct === '' || raw.maxSocPct === null;
    throw new ConfigError(
      !blankMin && blankMax ? `config.minSocPct: must be below maxSocPct (${n('maxSocPct')} %) (got ${n('minSocPct')})` : `config.maxSocPct: must be above minSocPct (${n('minSocPct')} %) (got ${n('maxSocPct')})`,
    );
  }
  if (n('reserveSocPct') > n('maxSocPct')) throw new ConfigError(`config.reserveSocPct: must be at most maxSocPct (${n('maxSocPct')} %) (got ${n('reserveSocPct')})`);

  const labels = new Map<string, number>();
  const serials = new Map<string, string>();
  const routes: ZeroExportUnitRoute[] = [];
  const units: ZeroExportUnitConfig[] = list.map((item, i) => {
    const where = `config.units[${i}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new ConfigError(`${where}: must be an object with a label`);
    const u = readUnit(item as Raw, where);
    const label = u.label as string;
    const key = label.toLowerCase();
    if (labels.has(key)) throw new ConfigError(`${where}.label: "${label}" is used twice (also units[${labels.get(key)}]); labels must be unique`);
    labels.set(key, i);
    const serial = typeof u.serial === 'string' && u.serial ? u.serial.toUpperCase() : null;
    if (serial && serials.has(serial)) throw new ConfigError(`config.units: serial ${serial} is given for both "${serials.get(serial)}" and "${label}"`);
    if (serial) serials.set(serial, label);
    routes.push({ label, serial, topic: typeof u.topic === 'string' && u.topic ? u.topic : null });
    const cfg: ZeroExportUnitConfig = { id: label, latencyMinMs: ms(c.latencyMinS), latencyMaxMs: ms(c.latencyMaxS), rampWPerS: n('rampWPerS') };
    for (const k of ['maxChargeW', 'maxDischargeW', 'capacityWh'] as const) if (optional(u[k]) !== undefined) cfg[k] = optional(u[k]);
    return cfg;
  });

  const params: ZeroExportParams = {
    targetW: n('targetW'),
    exportCapW: optional(c.exportCapW) ?? null,
    deadbandW: n('deadbandW'),
    errorBudgetWs: n('errorBudgetWs'),
    slewWPerS: n('slewWPerS'),
    meterTimeoutMs: ms(c.meterTimeoutS),
    batteryTimeoutMs: ms(c.batteryTimeoutS),
    failSafe: c.failSafe as 'zero' | 'release',
    minSocPct: n('minSocPct'),
    maxSocPct: n('maxSocPct'),
    reserveSocPct: n('reserveSocPct'),
    reserveChargeW: n('reserveChargeW'),
    modeChargeW: n('modeChargeW'),
    stageUnits: c.stageUnits === true,
    unitEfficientW: n('unitEfficientW'),
    shareToleranceW: n('shareToleranceW'),
    refreshMs: ms(c.refreshS),
    offTargetMs: ms(c.offTargetS),
    excludeChargerPower: c.leaveChargerToGrid === true,
    units,
  };
  return { params, units: routes, dryRun: c.dryRun === true, startEnabled: c.startEnabled !== false };
}
