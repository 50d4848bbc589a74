/**
 * Messages into and out of the schedule node, pure: input parsing (overrides, refresh) and the
 * two output payloads.
 */
import { localFields } from '../../util/local-time';
import { current, overrideUntil, quoted, upcoming, type Emission, type Override, type ScheduleSpec, type ScheduleValue } from './schedule';
import { cellRule, cellValue, constraintOf, type ScheduleOutput } from './config';

export type ScheduleInput = { what: 'override'; override: Override } | { what: 'clear' } | { what: 'refresh' } | { error: string };

/**
 * `{kind:"override", value, until?}` (until: ms, ISO time or "next" = the next boundary, the default),
 * `{kind:"override", clear:true}`, `{kind:"mode", mode, until?}`, topic "override" + a value,
 * topic or payload "refresh".
 */
export function scheduleInput(msg: { topic?: unknown; payload?: unknown }, s: ScheduleSpec, type: 'text' | 'number' | 'boolean', t: number, output: ScheduleOutput = 'value'): ScheduleInput {
  const p = msg.payload;
  if (msg.topic === 'refresh' || p === 'refresh') return { what: 'refresh' };
  let value: unknown;
  let until: unknown;
  if (p && typeof p === 'object' && !Array.isArray(p)) {
    const o = p as Record<string, unknown>;
    if (o.kind === 'override') {
      if (o.clear === true) return { what: 'clear' };
      value = o.value;
      until = o.until;
    } else if (o.kind === 'mode') {
      value = o.mode;
      until = o.until;
    } else return { error: `payload.kind: must be "override" or "mode", got ${quoted(o.kind)}` };
  } else if (msg.topic === 'override') {
    if (p === null || p === 'clear') return { what: 'clear' };
    value = p;
    until = (msg as Record<string, unknown>).until;
  } else return { error: 'msg: send {kind:"override", value, until?}, {kind:"mode", mode, until?}, topic "override" with a value, or "refresh"' };
  const v = cellValue(value, type, output);
  if (v === undefined) return { error: `payload.value: ${quoted(value)} is not ${cellRule(type, output)}` };
  const u = overrideUntil(s, t, until);
  if (typeof u !== 'number') return { error: `payload.${u.error}` };
  return { what: 'override', override: { value: v, until: u } };
}

/**
 * Output 1: a `mode` message, a `grid-target` or `grid-limit` constraint (DESIGN.md §4.1; `source`
 * names this schedule, e.g. "schedule:<node id>", so zero export keeps its band apart from other
 * senders'), or the bare value with `until`.
 */
export function valueMessage(e: Emission, output: ScheduleOutput, topic: string, source = 'schedule'): Record<string, unknown> {
  if (output === 'mode') return { topic, payload: { kind: 'mode', mode: e.value, until: e.until, reason: e.reason, source } };
  if (output === 'grid-target' || output === 'grid-limit') {
    // (The config and the overrides are checked with the same rule, so the constraint is always there.)
    return { topic, payload: { kind: output, ...constraintOf(e.value, output), until: e.until, reason: e.reason, source } };
  }
  return { topic, payload: e.value, until: e.until, source: e.source, reason: e.reason };
}

/** Output 2: the whole week for dashboards. */
export function weekPayload(s: ScheduleSpec, t: number, o: Override | undefined): Record<string, unknown> {
  const now = current(s, t, o);
  return {
    kind: 'schedule-week',
    timeZone: s.timeZone,
    cellMinutes: s.cellMinutes,
    default: s.default,
    table: s.table,
    exceptions: s.exceptions,
    override: o && o.until > t ? o : null,
    current: now,
    intervals: upcoming(s, t, o),
  };
}

/** "08:00" / "Tue 08:00" (another day) in the schedule's zone. */
export function localLabel(s: ScheduleSpec, t: number, until: number): string {
  const a = localFields(t, s.timeZone);
  const b = localFields(until, s.timeZone);
  const hm = `${String(b.hour).padStart(2, '0')}:${String(b.minute).padStart(2, '0')}`;
  return a.date === b.date ? hm : `${['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][b.weekday]} ${hm}`;
}

export function sameEmission(a: Emission | undefined, b: Emission): boolean {
  return !!a && a.value === b.value && a.until === b.until && a.source === b.source;
}

export type { ScheduleValue };
