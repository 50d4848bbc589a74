/**
 * The schedule node's configuration: one schema for runtime and editor (lib/api/config.ts) and its
 * translation into a ScheduleSpec. The table is saved as JSON (7 rows of 24 or 96 cells, null =
 * default); exceptions as lines "2026-12-25 Sun # Christmas" or "2026-07-01..2026-07-14 lock # away".
 */
import { oneOf, text, type ConfigSchema } from '../../api/config';
import { DAY_NAMES, checkSpec, emptyTable, type ScheduleException, type ScheduleSpec, type ScheduleValue } from './schedule';

export const scheduleConfigSchema: ConfigSchema = {
  type: 'object',
  properties: {
    output: oneOf(['mode', 'value'], 'mode'),
    valueType: oneOf(['text', 'number', 'boolean'], 'text'),
    cellMinutes: oneOf(['60', '15'], '60'),
    table: text({ empty: true }),
    default: text({ default: 'balance' }),
    values: text({ empty: true }),
    exceptions: text({ empty: true }),
    timeZone: text({ default: 'Europe/Amsterdam' }),
    topic: text({ empty: true }),
  },
};

export interface ScheduleNodeConfig {
  output: 'mode' | 'value';
  valueType: 'text' | 'number' | 'boolean';
  cellMinutes: '60' | '15';
  table?: string;
  default: string;
  values?: string;
  exceptions?: string;
  timeZone: string;
  topic?: string;
}

/** A cell or default as saved (text) → the configured value type; undefined when it does not fit. */
export function typedValue(v: unknown, type: ScheduleNodeConfig['valueType']): ScheduleValue | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (type === 'number') {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$/.test(v) ? Number(v) : NaN;
    return Number.isFinite(n) ? n : undefined;
  }
  if (type === 'boolean') return v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined;
  // A number becomes its text; NaN and ±Infinity are no value ("NaN" would go out as a mode).
  return typeof v === 'string' ? v.trim() : (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' ? String(v) : undefined;
}

/** Parses exception lines; throws naming the line. */
export function parseExceptions(src: string | undefined, type: ScheduleNodeConfig['valueType']): ScheduleException[] {
  const out: ScheduleException[] = [];
  const lines = (src ?? '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const [body, ...rest] = raw.split('#');
    const line = body.trim();
    if (!line) return;
    const m = /^(\d{4}-\d{2}-\d{2})(?:\s*\.\.\s*(\d{4}-\d{2}-\d{2}))?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`config.exceptions line ${i + 1}: write "YYYY-MM-DD[..YYYY-MM-DD] value-or-weekday [# label]"`);
    const e: ScheduleException = { from: m[1], ...(m[2] ? { to: m[2] } : {}) };
    const label = rest.join('#').trim();
    if (label) e.label = label;
    const day = DAY_NAMES.findIndex((d) => d.toLowerCase() === m[3].toLowerCase());
    if (day >= 0) e.asDay = day;
    else {
      const v = typedValue(m[3], type);
      if (v === undefined) throw new Error(`config.exceptions line ${i + 1}: "${m[3]}" is not a ${type} value or a weekday (Mon … Sun)`);
      e.value = v;
    }
    out.push(e);
  });
  return out;
}

/** The spec from a checked config; throws with a message naming the field. */
export function scheduleSpec(c: ScheduleNodeConfig): ScheduleSpec {
  const cellMinutes = c.cellMinutes === '15' ? 15 : 60;
  let table = emptyTable(cellMinutes);
  if (c.table) {
    let raw: unknown;
    try {
      raw = JSON.parse(c.table);
    } catch {
      throw new Error('config.table: not valid JSON');
    }
    if (!Array.isArray(raw)) throw new Error('config.table: must be 7 days (Monday first)');
    table = raw.map((row) => (Array.isArray(row) ? row.map((v) => typedValue(v, c.valueType) ?? null) : row));
  }
  const dflt = typedValue(c.default, c.valueType);
  if (dflt === undefined) throw new Error(`config.default: "${c.default}" is not a ${c.valueType} value`);
  const spec: ScheduleSpec = { timeZone: c.timeZone, cellMinutes, table, default: dflt, exceptions: parseExceptions(c.exceptions, c.valueType) };
  const problem = checkSpec(spec);
  if (problem) throw new Error(`config.${problem}`);
  return spec;
}
