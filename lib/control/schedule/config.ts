/**
 * The schedule node's configuration: one schema for runtime and editor (lib/api/config.ts) and its
 * translation into a ScheduleSpec. The table is saved as JSON (7 rows of 24 or 96 cells, null =
 * default); exceptions as lines "2026-12-25 Sun # Christmas" or "2026-07-01..2026-07-14 lock # away".
 * With output `grid-target` a cell is a grid target in W (a point, minW = maxW) or a band "min..max";
 * with output `grid-limit` a cell is the import limit in W (maxImportW).
 */
import { oneOf, text, type ConfigSchema } from '../../api/config';
import { CONSTRAINT_MAX_W } from '../../api/control-schemas';
import { DAY_NAMES, checkSpec, emptyTable, type ScheduleException, type ScheduleSpec, type ScheduleValue } from './schedule';

export const SCHEDULE_OUTPUTS = ['mode', 'value', 'grid-target', 'grid-limit'] as const;
export type ScheduleOutput = (typeof SCHEDULE_OUTPUTS)[number];

export const scheduleConfigSchema: ConfigSchema = {
  type: 'object',
  properties: {
    output: oneOf([...SCHEDULE_OUTPUTS], 'mode'),
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
  output: ScheduleOutput;
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

/** A cell value → the constraint it stands for with output grid-target / grid-limit; undefined when it is none. */
export function constraintOf(v: ScheduleValue, output: ScheduleOutput): { minW: number; maxW: number } | { maxImportW: number } | undefined {
  if (output === 'grid-target') {
    const ok = (n: number) => Number.isFinite(n) && Math.abs(n) <= CONSTRAINT_MAX_W;
    if (typeof v === 'number') return ok(v) ? { minW: v, maxW: v } : undefined;
    const m = typeof v === 'string' ? /^\s*([-+]?\d+(?:\.\d+)?)\s*(?:\.\.\s*([-+]?\d+(?:\.\d+)?)\s*)?$/.exec(v) : null;
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    return ok(lo) && ok(hi) && lo <= hi ? { minW: lo, maxW: hi } : undefined;
  }
  if (output === 'grid-limit') {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\+?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
    return Number.isFinite(n) && n >= 0 && n <= CONSTRAINT_MAX_W ? { maxImportW: n } : undefined;
  }
  return undefined;
}

/** What a cell must be, for errors: "a number", "a grid target in W or a band min..max in W", … */
export function cellRule(type: ScheduleNodeConfig['valueType'], output: ScheduleOutput): string {
  if (output === 'grid-target') return `a grid target in W (−${CONSTRAINT_MAX_W} … ${CONSTRAINT_MAX_W}) or a band "min..max" in W`;
  if (output === 'grid-limit') return `an import limit in W (0 … ${CONSTRAINT_MAX_W})`;
  return type === 'number' ? 'a number' : type === 'boolean' ? 'true or false' : 'a text';
}

/** A saved cell, default or override value → its typed value, or undefined when it does not fit the value type and output. */
export function cellValue(v: unknown, type: ScheduleNodeConfig['valueType'], output: ScheduleOutput = 'value'): ScheduleValue | undefined {
  const t = typedValue(v, type);
  if (t === undefined) return undefined;
  if ((output === 'grid-target' || output === 'grid-limit') && !constraintOf(t, output)) return undefined;
  return t;
}

/** Parses exception lines; throws naming the line. */
export function parseExceptions(src: string | undefined, type: ScheduleNodeConfig['valueType'], output: ScheduleOutput = 'value'): ScheduleException[] {
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
      const v = cellValue(m[3], type, output);
      if (v === undefined) throw new Error(`config.exceptions line ${i + 1}: "${m[3]}" is neither ${cellRule(type, output)} nor a weekday (Mon … Sun)`);
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
    // A painted cell that does not fit the value type is an error, not silently the default.
    table = raw.map((row, d) =>
      Array.isArray(row)
        ? row.map((v, i) => {
            if (v === null || v === undefined || v === '') return null;
            const x = cellValue(v, c.valueType, c.output);
            if (x === undefined) {
              const m = (i * 24 * 60) / row.length;
              const at = `${DAY_NAMES[d] ?? `day ${d}`} ${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
              throw new Error(`config.table[${d}][${i}] (${at}): ${JSON.stringify(v)} is not ${cellRule(c.valueType, c.output)}; repaint it or change Values`);
            }
            return x;
          })
        : row,
    );
  }
  const dflt = cellValue(c.default, c.valueType, c.output);
  if (dflt === undefined) throw new Error(`config.default: "${c.default}" is not ${cellRule(c.valueType, c.output)}`);
  const spec: ScheduleSpec = { timeZone: c.timeZone, cellMinutes, table, default: dflt, exceptions: parseExceptions(c.exceptions, c.valueType, c.output) };
  const problem = checkSpec(spec);
  if (problem) throw new Error(`config.${problem}`);
  return spec;
}
