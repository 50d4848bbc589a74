/**
 * One config path for every node (house rule 2, issue 10): a node's configuration is described by
 * one JSON Schema; the runtime reads the saved config through `configReader(schema)` and the build
 * turns the same schema into the edit dialog's validators (nodes/_shared/editor.js
 * `HomeEnergyEditor.check`). Nothing else validates config.
 *
 * Node-RED editors save number fields as numbers or as text, and an empty field means "use the
 * default" (or "auto" / "off"). Properties built with `num()` / `int()` accept both forms: decimal
 * text is converted to a number (never hex, never "1e400"), an empty field takes the default or is
 * removed. The schema subset the editor understands: type number / integer / string / boolean,
 * minimum, maximum, enum, minLength, pattern, and the `x-*` annotations below.
 */
import { validator } from './validate';

/** Annotations the builders add (ajv ignores `x-` keywords in non-strict mode). */
export interface FieldSchema {
  type?: 'number' | 'integer' | 'string' | 'boolean';
  minimum?: number;
  maximum?: number;
  enum?: readonly unknown[];
  minLength?: number;
  pattern?: string;
  default?: unknown;
  description?: string;
  /** An empty field is allowed (the default applies, or the feature is off / automatic). */
  'x-empty'?: boolean;
  /** 0 is allowed besides the range ("0 = off"). */
  'x-zero'?: boolean;
  /** Unit, for messages ("must be 1–3600 s"). */
  'x-unit'?: string;
}

export interface ConfigSchema {
  type: 'object';
  properties: Record<string, FieldSchema>;
  required?: readonly string[];
  /** Cross-field rules for the runtime (ajv if/then); the editor expresses them with `when`. */
  allOf?: readonly Record<string, unknown>[];
}

interface NumOptions {
  default?: number;
  /** An empty field is valid (default applies when given, else the property is left out). */
  empty?: boolean;
  /** 0 is valid besides the range. */
  zero?: boolean;
  unit?: string;
  description?: string;
}

function numberField(type: 'number' | 'integer', min: number, max: number, o: NumOptions): FieldSchema {
  const f: FieldSchema = { type, minimum: min, maximum: max };
  if (o.default !== undefined) f.default = o.default;
  if (o.empty || o.default !== undefined) f['x-empty'] = true;
  if (o.zero) f['x-zero'] = true;
  if (o.unit) f['x-unit'] = o.unit;
  if (o.description) f.description = o.description;
  return f;
}

/** A number field from min to max. */
export function num(min: number, max: number, o: NumOptions = {}): FieldSchema {
  return numberField('number', min, max, o);
}

/** A whole-number field from min to max. */
export function int(min: number, max: number, o: NumOptions = {}): FieldSchema {
  return numberField('integer', min, max, o);
}

/** One of the given values. */
export function oneOf<T extends string | number>(values: readonly T[], dflt?: T): FieldSchema {
  const f: FieldSchema = { enum: values };
  if (dflt !== undefined) {
    f.default = dflt;
    f['x-empty'] = true;
  }
  return f;
}

/** A text field; `minLength: 1` unless `empty`. */
export function text(o: { empty?: boolean; pattern?: string; default?: string; description?: string } = {}): FieldSchema {
  const f: FieldSchema = { type: 'string' };
  if (!o.empty && o.default === undefined) f.minLength = 1;
  if (o.pattern) f.pattern = o.pattern;
  if (o.default !== undefined) f.default = o.default;
  if (o.empty || o.default !== undefined) f['x-empty'] = true;
  if (o.description) f.description = o.description;
  return f;
}

/** A checkbox. */
export function bool(dflt = false): FieldSchema {
  return { type: 'boolean', default: dflt, 'x-empty': true };
}

/** A decimal number as text: "12", "-3.5", " 7 ". Not hex, not exponents, not "Infinity". */
export const DECIMAL = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$/;

/** A finite number, or decimal text as a number (never hex, never "Infinity"); else undefined. For numbers in messages. */
export function decimalNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || !DECIMAL.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined; // 400 digits of text are Infinity
}

const ON = new Set(['true', 'on', '1', 'enable', 'enabled']);
const OFF = new Set(['false', 'off', '0', 'disable', 'disabled']);

/** A switch from a message: true/false, "on"/"off", 1/0, "enable"/"disable" (any case); else undefined. */
export function onOff(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim().toLowerCase() : '';
  return ON.has(s) ? true : OFF.has(s) ? false : undefined;
}

/** A time from a message: a number as it is (ms since epoch), or ISO 8601 text with a date and a time; else NaN. */
export function msOrIso(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = typeof v === 'string' ? v.trim() : '';
  return /^\d{4}-\d{2}-\d{2}T/.test(s) ? Date.parse(s) : NaN;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/**
 * Converts the saved form of one field to what its schema wants: decimal text → number, "true" /
 * "false" / "on" → boolean, empty → default or undefined. Anything else is left as it is, so the
 * schema rejects it with a message naming the field.
 */
export function coerceField(f: FieldSchema, v: unknown): unknown {
  if (isEmpty(v)) return f.default !== undefined ? f.default : f['x-empty'] || f.type === 'string' ? undefined : v;
  if (f.type === 'number' || f.type === 'integer' || (f.enum && typeof f.enum[0] === 'number')) {
    if (typeof v === 'string' && DECIMAL.test(v)) return Number(v);
    return v;
  }
  if (f.type === 'boolean') {
    if (v === 'true' || v === 'on') return true;
    if (v === 'false' || v === 'off' || v === '') return false;
    return v;
  }
  if (f.type === 'string' && typeof v === 'string') return v.trim();
  return v;
}

export type ConfigResult<T> = { ok: true; config: T } | { ok: false; error: string };

/**
 * A reader for a node's saved config: coerces every schema property (others pass unchanged),
 * drops empty optional fields, validates with ajv and explains the first problem as
 * "config.port: must be <= 65535". A non-finite number never passes (NaN, ±Infinity, 1e400).
 */
export function configReader<T extends object>(schema: ConfigSchema, root = 'config'): (raw: unknown) => ConfigResult<T> {
  const check = validator(schema as unknown as Record<string, unknown>, root);
  return (raw) => {
    if (raw === null || typeof raw !== 'object') return { ok: false, error: `${root}: must be an object` };
    const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
    for (const [name, f] of Object.entries(schema.properties)) {
      const v = coerceField(f, out[name]);
      if (v === undefined) delete out[name];
      else out[name] = v;
      const n = out[name];
      if (typeof n === 'number' && !Number.isFinite(n)) return { ok: false, error: `${root}.${name}: must be a finite number` };
      if (typeof n === 'number' && n === 0 && f['x-zero']) continue;
    }
    // `x-zero` fields: 0 passes besides the range; ajv would reject it, so check the others only.
    const zeroed = Object.entries(schema.properties).filter(([name, f]) => f['x-zero'] && out[name] === 0);
    const probe = zeroed.length ? { ...out, ...Object.fromEntries(zeroed.map(([name, f]) => [name, f.minimum ?? 0])) } : out;
    const err = check(probe);
    return err ? { ok: false, error: err } : { ok: true, config: out as T };
  };
}

/** The schema's editor-facing part (what the build hands the edit dialog). */
export function editorSchema(schema: ConfigSchema): Record<string, FieldSchema> {
  return schema.properties;
}
