/**
 * Day-ahead price slots: parsing from messages (a list of slots, a Home Assistant price sensor's
 * attributes) and CSV files, and a book that keeps them. Slots carry their own length, so the
 * day-ahead market's change from 60-minute to 15-minute slots (delivery from 2025-10-01) needs no
 * setting: before it a slot is 60 min, after it 15 min, and a feed may mix both.
 */
export interface SpotSlot {
  /** ms UTC */
  start: number;
  end: number;
  /** EUR/MWh, excluding VAT and taxes. */
  spot: number;
}

export type PriceUnit = 'EUR/MWh' | 'EUR/kWh';
const MIN = 60_000;
/** Largest price magnitude taken, EUR/MWh (100 EUR/kWh): far beyond any day-ahead market's limits; a larger one is a broken feed. */
export const MAX_SPOT = 100_000;
const START_KEYS = ['start', 'startsAt', 'start_time', 'interval_start_utc', 'from', 'time', 'datetime_utc'];
const END_KEYS = ['end', 'endsAt', 'end_time', 'till', 'to'];
const PRICE_KEYS = ['price', 'value', 'spot', 'price_eur_per_mwh', 'price_per_kwh', 'marketPrice', 'total'];

function time(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v; // seconds or ms
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v)) {
    const ms = Date.parse(v.replace(' ', 'T'));
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

function pick(o: Record<string, unknown>, keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined) return o[k];
  return undefined;
}

/** Fills in missing ends: the gap to the next start, at most 60 min (a hole stays a hole). */
function withEnds(rows: Array<{ start: number; end?: number; durationMin?: number; spot: number }>): SpotSlot[] {
  rows.sort((a, b) => a.start - b.start);
  return rows.map((r, i) => {
    let end = r.end ?? (r.durationMin ? r.start + r.durationMin * MIN : undefined);
    if (end === undefined) {
      const next = rows[i + 1]?.start;
      const prev = i > 0 ? r.start - rows[i - 1].start : 60 * MIN;
      end = r.start + (next !== undefined ? Math.min(next - r.start, 60 * MIN) : Math.min(prev, 60 * MIN));
    }
    return { start: r.start, end, spot: r.spot };
  });
}

/**
 * Slots from a message payload: an array of `{ start, end?, price }` (keys as Home Assistant price
 * sensors and supplier APIs name them: start/startsAt/start_time, end/endsAt, price/value/total),
 * `{ kind: "prices", unit?, slots: [...] }`, or an object with `raw_today` / `raw_tomorrow` /
 * `prices` / `forecast` lists. Times are ms, seconds or ISO 8601 with an offset.
 */
export function parsePriceMessage(payload: unknown, unit: PriceUnit): SpotSlot[] | { error: string } {
  let list: unknown[] | undefined;
  let u = unit;
  if (Array.isArray(payload)) list = payload;
  else if (payload && typeof payload === 'object') {
    const o = payload as Record<string, unknown>;
    if (o.unit === 'EUR/MWh' || o.unit === 'EUR/kWh') u = o.unit;
    const parts = ['slots', 'raw_today', 'raw_tomorrow', 'prices', 'forecast', 'data'].filter((k) => Array.isArray(o[k]));
    if (parts.length) list = parts.flatMap((k) => o[k] as unknown[]);
  }
  if (!list) return { error: 'payload: not a price list (an array of {start, price}, or {kind:"prices", slots})' };
  const rows: Array<{ start: number; end?: number; durationMin?: number; spot: number }> = [];
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    if (!r || typeof r !== 'object') return { error: `payload[${i}]: must be an object {start, price}` };
    const o = r as Record<string, unknown>;
    const start = time(pick(o, START_KEYS));
    if (start === undefined) return { error: `payload[${i}].start: missing or not a time` };
    const endRaw = pick(o, END_KEYS);
    const end = endRaw === undefined ? undefined : time(endRaw);
    if (endRaw !== undefined && (end === undefined || end <= start)) return { error: `payload[${i}].end: not a time after start` };
    const p = pick(o, PRICE_KEYS);
    const price = typeof p === 'string' && p.trim() !== '' ? Number(p) : p;
    if (typeof price !== 'number' || !Number.isFinite(price)) return { error: `payload[${i}].price: must be a number` };
    const spot = u === 'EUR/kWh' ? price * 1000 : price;
    if (Math.abs(spot) > MAX_SPOT) return { error: `payload[${i}].price: ${price} ${u} is beyond ±${u === 'EUR/kWh' ? MAX_SPOT / 1000 : MAX_SPOT} ${u}` };
    const d = o.durationMin ?? o.duration_min;
    rows.push({ start, end, durationMin: typeof d === 'number' && d > 0 && d <= 24 * 60 ? d : undefined, spot });
  }
  return withEnds(rows);
}

/**
 * Slots from CSV text with a header row: the time column is `column`'s first header containing
 * "start", "time" or "date" (UTC columns preferred), the price column `column` or the first header
 * containing "price"; a `duration_min` column sets the slot length. `,` or `;` separated (`;` allows a
 * decimal comma). The unit follows the price column's name ("mwh" or "kwh"), else `unit`.
 */
export function parsePriceCsv(text: string, unit: PriceUnit, column?: string): SpotSlot[] | { error: string } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) return { error: 'csv: needs a header row and data' };
  const sep = lines[0].includes(';') && !lines[0].includes(',') ? ';' : ',';
  const head = lines[0].split(sep).map((h) => h.trim().replace(/^"|"$/g, ''));
  const lower = head.map((h) => h.toLowerCase());
  const tCol = [lower.findIndex((h) => /start.*utc|utc/.test(h)), lower.findIndex((h) => /start|time|date/.test(h))].find((i) => i >= 0) ?? -1;
  const pCol = column ? head.indexOf(column) : lower.findIndex((h) => /price|prijs|value/.test(h));
  const dCol = lower.indexOf('duration_min');
  if (tCol < 0) return { error: 'csv: no time column (a header with start, time or date)' };
  if (pCol < 0) return { error: column ? `csv: no column "${column}"` : 'csv: no price column (a header with price)' };
  const u: PriceUnit = /mwh/.test(lower[pCol]) ? 'EUR/MWh' : /kwh/.test(lower[pCol]) ? 'EUR/kWh' : unit;
  const rows: Array<{ start: number; durationMin?: number; spot: number }> = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(sep).map((c) => c.trim().replace(/^"|"$/g, ''));
    const start = time(cells[tCol]);
    const raw = sep === ';' ? cells[pCol]?.replace(',', '.') : cells[pCol];
    const price = raw === undefined || raw === '' ? NaN : Number(raw);
    if (start === undefined || !Number.isFinite(price)) return { error: `csv line ${i + 1}: needs a time and a price` };
    if (Math.abs(u === 'EUR/kWh' ? price * 1000 : price) > MAX_SPOT) return { error: `csv line ${i + 1}: price ${price} ${u} is beyond ±${u === 'EUR/kWh' ? MAX_SPOT / 1000 : MAX_SPOT} ${u}` };
    const d = dCol >= 0 ? Number(cells[dCol]) : NaN;
    rows.push({ start, durationMin: d > 0 ? d : undefined, spot: u === 'EUR/kWh' ? price * 1000 : price });
  }
  return withEnds(rows);
}

/** The known slots, sorted, without overlaps (newer data replaces older), pruned behind `keepMs`. */
export class PriceBook {
  private slots: SpotSlot[] = [];
  constructor(private keepMs = 2 * 24 * 3_600_000) {}

  add(slots: SpotSlot[], now: number): void {
    if (!slots.length) return;
    const lo = Math.min(...slots.map((s) => s.start));
    const hi = Math.max(...slots.map((s) => s.end));
    const kept = this.slots.filter((s) => s.end <= lo || s.start >= hi);
    this.slots = [...kept, ...slots].filter((s) => s.end > now - this.keepMs).sort((a, b) => a.start - b.start);
  }

  /** Loads a whole series (a CSV file) without pruning. */
  load(slots: SpotSlot[]): void {
    this.slots = [...slots].sort((a, b) => a.start - b.start);
  }

  at(t: number): SpotSlot | undefined {
    let lo = 0;
    let hi = this.slots.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.slots[mid];
      if (t < s.start) hi = mid - 1;
      else if (t >= s.end) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** Slots that end after `t` and start before `t + spanMs`. */
  between(t: number, spanMs: number): SpotSlot[] {
    return this.slots.filter((s) => s.end > t && s.start < t + spanMs);
  }

  get size(): number {
    return this.slots.length;
  }

  /** The last known instant (end of the last slot), or undefined. */
  get knownUntil(): number | undefined {
    return this.slots.length ? this.slots[this.slots.length - 1].end : undefined;
  }
}

/** Splits slots into 15-minute slots (a 60-minute price holds for its four quarters). */
export function toQuarters(slots: SpotSlot[]): SpotSlot[] {
  const out: SpotSlot[] = [];
  for (const s of slots) for (let t = s.start; t < s.end; t += 15 * MIN) out.push({ start: t, end: Math.min(t + 15 * MIN, s.end), spot: s.spot });
  return out;
}
