/**
 * Load and PV profiles for the planner benchmark from a CSV file (`--load FILE[:COL]`,
 * `--pv FILE[:COL]`): one power column (W, or kW when its header says kW), turned into 15-minute
 * values that replay from the profile's first local midnight, so the time of day lines up with the
 * run's (the profile's own year and weekday are not kept; it repeats when shorter than the run).
 * Times are read as written (their wall clock, a UTC offset ignored); the first column whose name
 * contains "local" is the time, else the first column. Rows finer than 15 minutes are averaged,
 * coarser ones held; a blank value holds the one before.
 */
const Q = 15 * 60_000;
const DAY = 86_400_000;

/** The wall-clock instant written in `s` ("2016-07-01 00:15:00-07:00", "2015-10-04T03:00:00+0200") as ms, offset ignored. */
function wallMs(s: string): number | undefined {
  const m = /^\s*"?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?/.exec(s);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0)) : undefined;
}

/** 15-minute power values (W) from the CSV text; `column` by name (default: the first column that is not a time). */
export function profileFromCsv(text: string, column?: string, clampNegative = false): number[] | { error: string } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) return { error: 'no rows' };
  const head = lines[0].split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  const timeCol = Math.max(0, head.findIndex((h) => /local/i.test(h)));
  const isTime = (h: string) => /time|stamp|date|measured_on|interval_start/i.test(h);
  const col = column !== undefined ? head.indexOf(column) : head.findIndex((h, i) => i !== timeCol && !isTime(h));
  if (col < 0) return { error: column !== undefined ? `no column "${column}" (columns: ${head.join(', ')})` : 'no value column' };
  const scale = /kw/i.test(head[col]) ? 1000 : 1;
  const bins = new Map<number, { sum: number; n: number }>();
  let first: number | undefined;
  let last = -Infinity;
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',');
    const t = wallMs(cells[timeCol] ?? '');
    if (t === undefined) return { error: `row ${i + 1}: "${cells[timeCol]}" is not a time` };
    const raw = (cells[col] ?? '').trim();
    if (raw === '') continue;
    const v = Number(raw);
    if (!Number.isFinite(v)) return { error: `row ${i + 1}: "${raw}" is not a number` };
    const w = clampNegative ? Math.max(0, v * scale) : v * scale;
    const q = Math.floor(t / Q) * Q;
    const b = bins.get(q) ?? { sum: 0, n: 0 };
    b.sum += w;
    b.n++;
    bins.set(q, b);
    first = first === undefined ? q : Math.min(first, q);
    last = Math.max(last, q);
  }
  if (first === undefined) return { error: `column "${head[col]}" has no values` };
  const out: number[] = [];
  let hold = (bins.get(first) as { sum: number; n: number }).sum / (bins.get(first) as { n: number }).n;
  for (let q = Math.floor(first / DAY) * DAY; q <= last; q += Q) {
    const b = bins.get(q);
    if (b) hold = b.sum / b.n;
    out.push(hold);
  }
  return out;
}
