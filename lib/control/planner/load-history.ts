/**
 * A load forecast from the household's own history: the average load of the same weekday and
 * local time of day over the last N weeks, per 15-minute slot. The history is built from the
 * readings the planner gets (grid power, battery power, PV power if it gets that too):
 * household load = grid (+ import) + battery (+ discharge) + PV production.
 *
 * Slots are keyed by their local wall-clock start ("as if local time were UTC",
 * lib/util/local-time.ts), so the same weekday and time N weeks ago is the key minus N × 7 days
 * whatever DST did in between; the repeated hour of an autumn day adds its two quarters into one
 * key (weighted by the time covered), a skipped spring hour has none. The state is plain JSON for
 * Node-RED context, so a restart loses nothing. Pure: time is passed in.
 */
import { localWallMs } from '../../util/local-time';

const Q = 15 * 60_000;
const WEEK = 7 * 86_400_000;
/** Readings further apart than this leave a gap (nothing is booked for it). */
export const MAX_GAP_MS = 5 * 60_000;
/** A slot counts once readings cover at least this share of it. */
export const MIN_COVER = 0.5;

export interface LoadHistoryState {
  version: 1;
  /** Wall-clock slot start (ms) → average household load (W) and the time it covers (ms, ≤ 15 min; more for a repeated hour). */
  slots: Record<string, { w: number; ms: number }>;
  /** The slot being filled: its UTC and wall-clock start, W·ms so far, ms covered. */
  open?: { q: number; wall: number; wms: number; ms: number };
  /** The last reading booked: instant and load (W). */
  last?: { at: number; w: number };
}

export function emptyHistory(): LoadHistoryState {
  return { version: 1, slots: {} };
}

/** A saved state (from context) if it has the right shape, else an empty one. */
export function restoreHistory(saved: unknown): LoadHistoryState {
  const s = saved as LoadHistoryState | undefined;
  if (!s || typeof s !== 'object' || s.version !== 1 || !s.slots || typeof s.slots !== 'object') return emptyHistory();
  const slots: LoadHistoryState['slots'] = {};
  for (const [k, v] of Object.entries(s.slots)) if (Number.isFinite(Number(k)) && v && Number.isFinite(v.w) && Number.isFinite(v.ms) && v.ms > 0) slots[k] = { w: v.w, ms: v.ms };
  const out: LoadHistoryState = { version: 1, slots };
  if (s.open && Number.isFinite(s.open.q) && Number.isFinite(s.open.wall) && Number.isFinite(s.open.wms) && Number.isFinite(s.open.ms)) out.open = { ...s.open };
  if (s.last && Number.isFinite(s.last.at) && Number.isFinite(s.last.w)) out.last = { ...s.last };
  return out;
}

function close(h: LoadHistoryState): void {
  const o = h.open;
  h.open = undefined;
  if (!o || o.ms < MIN_COVER * Q) return;
  const key = String(o.wall);
  const had = h.slots[key];
  // a repeated autumn hour: the second pass through the same wall slot adds to the first
  if (had) h.slots[key] = { w: (had.w * had.ms + o.wms) / (had.ms + o.ms), ms: had.ms + o.ms };
  else h.slots[key] = { w: o.wms / o.ms, ms: o.ms };
}

/** Books the load `w` (W) measured at `at`: the time since the previous reading at the previous load (sample and hold). */
export function addLoad(h: LoadHistoryState, at: number, w: number, timeZone: string, keepWeeks: number): void {
  if (!Number.isFinite(at) || !Number.isFinite(w)) return;
  const prev = h.last;
  if (prev && at <= prev.at) return; // an old or repeated reading
  h.last = { at, w };
  if (!prev || at - prev.at > MAX_GAP_MS) {
    close(h); // a gap: book nothing for it
    return;
  }
  // split prev.at … at at the quarter hours (UTC quarters are local quarters)
  for (let t = prev.at; t < at; ) {
    const q = Math.floor(t / Q) * Q;
    const end = Math.min(at, q + Q);
    if (h.open && h.open.q !== q) close(h);
    if (!h.open) h.open = { q, wall: localWallMs(q, timeZone), wms: 0, ms: 0 };
    h.open.wms += prev.w * (end - t);
    h.open.ms += end - t;
    t = end;
  }
  if (h.open && h.open.q + Q === at) close(h); // a reading on the boundary completes the slot
  prune(h, localWallMs(at, timeZone), keepWeeks);
}

function prune(h: LoadHistoryState, wallNow: number, keepWeeks: number): void {
  const oldest = wallNow - keepWeeks * WEEK - 86_400_000;
  for (const k of Object.keys(h.slots)) if (Number(k) < oldest) delete h.slots[k];
}

/**
 * The forecast load (W) for the slot starting at `t`: the mean over the last `weeks` weeks of the
 * same weekday and local time, over the weeks that have it; undefined when none has.
 */
export function historyLoadW(h: LoadHistoryState, t: number, timeZone: string, weeks: number): number | undefined {
  const wall = Math.floor(localWallMs(t, timeZone) / Q) * Q;
  let sum = 0;
  let n = 0;
  for (let k = 1; k <= weeks; k++) {
    const s = h.slots[String(wall - k * WEEK)];
    if (s) {
      sum += s.w;
      n++;
    }
  }
  return n ? sum / n : undefined;
}

/** How many past slots the history holds (for the status). */
export function historySize(h: LoadHistoryState): number {
  return Object.keys(h.slots).length;
}

/** A reading older than this (ms) no longer counts towards the household load. */
export const READING_FRESH_MS = 60_000;

/**
 * The household load (W) at `at` from a grid reading (+ import) and the latest battery powers
 * (+ discharge, by source) and PV production, those younger than READING_FRESH_MS.
 */
export function householdLoadW(gridW: number, at: number, batteries: Record<string, { w: number; at: number }>, pv?: { w: number; at: number }): number {
  let w = gridW;
  for (const b of Object.values(batteries)) if (Math.abs(at - b.at) <= READING_FRESH_MS) w += b.w;
  if (pv && Math.abs(at - pv.at) <= READING_FRESH_MS) w += pv.w;
  return w;
}
