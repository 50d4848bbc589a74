/**
 * zero-export node configuration (as the editor saves it, version 1) → the controller's parameters
 * (lib/control/zero-export/types.ts ZeroExportParams, seconds → ms) and the node's own settings.
 * Every field is checked here with a range; an error names the field and the rule. An empty field
 * means the controller's default. Pure: the node file only calls it; test/unit/zero-export-config.test.js.
 */
import { ZERO_EXPORT_DEFAULTS as D } from '../../lib/control/zero-export/controller';
import type { ZeroExportParams, ZeroExportUnitConfig } from '../../lib/control/zero-export/types';
import { configNumber } from '../../lib/util/config-number';

/** One battery unit as the editor's list saves it. */
export interface ZeroExportUnitNodeConfig {
  /** Required, unique: the output's label and the unit's id in the controller. */
  label?: string;
  /** The unit's serial as its battery node reports it (payload.serial); optional. */
  serial?: string;
  /** msg.topic of the unit's battery readings; optional. */
  topic?: string;
  maxChargeW?: number | string;
  maxDischargeW?: number | string;
  capacityWh?: number | string;
}

export interface ZeroExportNodeConfig {
  name?: string;
  units?: ZeroExportUnitNodeConfig[];
  targetW?: number | string;
  /** Empty = no cap. */
  exportCapW?: number | string | null;
  deadbandW?: number | string;
  failSafe?: string;
  /** 0 = auto (two meter periods, at least 2.5 s). */
  meterTimeoutS?: number | string;
  batteryTimeoutS?: number | string;
  minSocPct?: number | string;
  maxSocPct?: number | string;
  reserveSocPct?: number | string;
  reserveChargeW?: number | string;
  dryRun?: boolean;
  startEnabled?: boolean;
  latencyMinS?: number | string;
  latencyMaxS?: number | string;
  rampWPerS?: number | string;
  unitEfficientW?: number | string;
  /** 0 = never. */
  refreshS?: number | string;
  slewWPerS?: number | string;
  errorBudgetWs?: number | string;
  outputs?: number;
  version?: number;
}

/** A configured unit as the node routes to it. */
export interface ZeroExportUnitRoute {
  label: string;
  /** Upper case, or null. */
  serial: string | null;
  topic: string | null;
}

export interface ZeroExportNodeSettings {
  params: ZeroExportParams;
  units: ZeroExportUnitRoute[];
  dryRun: boolean;
  startEnabled: boolean;
}

/** At most this many units (outputs) per node. */
export const MAX_UNITS = 16;

/** Ranges of the number fields: [min, max, unit text, extra rule]. */
const RANGES = {
  targetW: [-100000, 100000, 'W'],
  exportCapW: [0, 100000, 'W'],
  deadbandW: [0, 5000, 'W'],
  meterTimeoutS: [0.5, 3600, 's', 'zero'],
  batteryTimeoutS: [1, 3600, 's'],
  minSocPct: [0, 100, '%'],
  maxSocPct: [0, 100, '%'],
  reserveSocPct: [0, 100, '%'],
  reserveChargeW: [0, 100000, 'W'],
  latencyMinS: [0, 120, 's'],
  latencyMaxS: [0, 120, 's'],
  rampWPerS: [1, 1000000, 'W/s'],
  unitEfficientW: [1, 100000, 'W'],
  refreshS: [1, 86400, 's', 'zero'],
  slewWPerS: [1, 1000000, 'W/s'],
  errorBudgetWs: [0, 1000000, 'W·s'],
  maxChargeW: [0, 100000, 'W'],
  maxDischargeW: [0, 100000, 'W'],
  capacityWh: [1, 10000000, 'Wh'],
} as const satisfies Record<string, readonly [number, number, string, ...Array<'zero'>]>;

type Field = keyof typeof RANGES;

class ConfigError extends Error {}

/** The number in a field, or undefined when empty (the default applies); throws naming the field. */
function number(where: string, field: Field, v: unknown): number | undefined {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return undefined;
  const r = RANGES[field] as readonly [number, number, string, ...string[]];
  const [min, max, unit] = r;
  const zero = r[3] === 'zero';
  const n = typeof v === 'number' || typeof v === 'string' ? configNumber(v) : undefined;
  if (n === undefined || !((zero && n === 0) || (n >= min && n <= max))) {
    throw new ConfigError(`${where}.${field}: must be ${zero ? '0 or ' : ''}a number from ${min} to ${max} ${unit} (got ${JSON.stringify(v)})`);
  }
  return n;
}

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

/** Seconds → ms, undefined stays undefined. */
const ms = (s: number | undefined): number | undefined => (s === undefined ? undefined : Math.round(s * 1000));

/** Drops the keys whose value is undefined (so the controller's defaults apply). */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * Checks the saved configuration and builds the controller's parameters. Returns `{ error }` with
 * the first problem, naming the field (`config.units[1].label: ...`).
 */
export function settingsFromConfig(c: ZeroExportNodeConfig): ZeroExportNodeSettings | { error: string } {
  try {
    return build(c ?? {});
  } catch (e) {
    if (e instanceof ConfigError) return { error: e.message };
    throw e;
  }
}

function build(c: ZeroExportNodeConfig): ZeroExportNodeSettings {
  const f = (field: Field) => number('config', field, (c as Record<string, unknown>)[field]);
  if (!Array.isArray(c.units) || c.units.length === 0) throw new ConfigError('config.units: add at least one battery unit');
  if (c.units.length > MAX_UNITS) throw new ConfigError(`config.units: at most ${MAX_UNITS} units (got ${c.units.length})`);
  const latencyMinS = f('latencyMinS');
  const latencyMaxS = f('latencyMaxS');
  // Cross-checks compare with the controller's default where a field is blank.
  const latencyMin = latencyMinS ?? D.unit.latencyMinMs / 1000;
  if (latencyMaxS !== undefined && latencyMin > latencyMaxS) {
    throw new ConfigError(`config.latencyMaxS: must be at least latencyMinS (${latencyMin} s) (got ${latencyMaxS})`);
  }
  const rampWPerS = f('rampWPerS');
  const seen = new Map<string, number>();
  const routes: ZeroExportUnitRoute[] = [];
  const units: ZeroExportUnitConfig[] = c.units.map((u, i) => {
    const where = `config.units[${i}]`;
    if (!u || typeof u !== 'object') throw new ConfigError(`${where}: must be an object with a label`);
    const label = text(u.label);
    if (!label) throw new ConfigError(`${where}.label: is required (the output's name)`);
    const key = label.toLowerCase();
    if (seen.has(key)) throw new ConfigError(`${where}.label: "${label}" is used twice (also units[${seen.get(key)}]); labels must be unique`);
    seen.set(key, i);
    const serial = text(u.serial);
    const topic = text(u.topic);
    routes.push({ label, serial: serial ? serial.toUpperCase() : null, topic: topic || null });
    return defined({
      id: label,
      maxChargeW: number(where, 'maxChargeW', u.maxChargeW),
      maxDischargeW: number(where, 'maxDischargeW', u.maxDischargeW),
      capacityWh: number(where, 'capacityWh', u.capacityWh),
      latencyMinMs: ms(latencyMinS),
      latencyMaxMs: ms(latencyMaxS),
      rampWPerS,
    });
  });
  const serials = new Map<string, string>();
  for (const r of routes) {
    if (!r.serial) continue;
    if (serials.has(r.serial)) throw new ConfigError(`config.units: serial ${r.serial} is given for both "${serials.get(r.serial)}" and "${r.label}"`);
    serials.set(r.serial, r.label);
  }

  const failSafe = c.failSafe === undefined || c.failSafe === '' ? undefined : c.failSafe;
  if (failSafe !== undefined && failSafe !== 'zero' && failSafe !== 'release') {
    throw new ConfigError(`config.failSafe: must be one of "zero", "release" (got ${JSON.stringify(c.failSafe)})`);
  }
  const minSocPct = f('minSocPct');
  const maxSocPct = f('maxSocPct');
  const minSoc = minSocPct ?? D.minSocPct;
  const maxSoc = maxSocPct ?? D.maxSocPct;
  if (minSoc >= maxSoc) {
    throw new ConfigError(minSocPct === undefined || maxSocPct !== undefined ? `config.maxSocPct: must be above minSocPct (${minSoc} %) (got ${maxSoc})` : `config.minSocPct: must be below maxSocPct (${maxSoc} %) (got ${minSoc})`);
  }
  const reserveSocPct = f('reserveSocPct');
  if (reserveSocPct !== undefined && reserveSocPct > maxSoc) {
    throw new ConfigError(`config.reserveSocPct: must be at most maxSocPct (${maxSoc} %) (got ${reserveSocPct})`);
  }
  for (const k of ['dryRun', 'startEnabled'] as const) {
    if (c[k] !== undefined && typeof c[k] !== 'boolean') throw new ConfigError(`config.${k}: must be true or false (got ${JSON.stringify(c[k])})`);
  }
  const exportCap = f('exportCapW');
  const params: ZeroExportParams = defined({
    targetW: f('targetW'),
    exportCapW: exportCap === undefined ? null : exportCap,
    deadbandW: f('deadbandW'),
    errorBudgetWs: f('errorBudgetWs'),
    slewWPerS: f('slewWPerS'),
    meterTimeoutMs: ms(f('meterTimeoutS')),
    batteryTimeoutMs: ms(f('batteryTimeoutS')),
    failSafe: failSafe as 'zero' | 'release' | undefined,
    minSocPct,
    maxSocPct,
    reserveSocPct,
    reserveChargeW: f('reserveChargeW'),
    unitEfficientW: f('unitEfficientW'),
    refreshMs: ms(f('refreshS')),
    units,
  });
  return { params, units: routes, dryRun: c.dryRun === true, startEnabled: c.startEnabled !== false };
}
