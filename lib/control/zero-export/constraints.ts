/**
 * What zero export holds besides its own target (DESIGN.md §4.1): a `grid-target` band from another
 * controller, which expires, and the charger power it may leave to the grid. Pure, time injected;
 * the freshness rule is the package's one (lib/util/freshness.ts).
 */
import { Freshness } from '../../util/freshness';
import type { BandState, BatteryMode, ChargerSample, GridLimit, GridLimitState, GridTarget, ModeRequest, ModeState } from './types';

/** Update period assumed for grid-target messages until two have arrived, ms (so one message holds 2 min). */
export const GRID_TARGET_EXPECTED_MS = 60_000;
/** Update period assumed for charger readings until two have arrived, ms. */
export const CHARGER_EXPECTED_MS = 10_000;

/** Watts for reasons: "+1500 W", "−600 W", "0 W" (real minus). */
export function w(v: number): string {
  const r = Math.round(v);
  return `${r > 0 ? '+' : r < 0 ? '−' : ''}${Math.abs(r)} W`;
}

/** "0 W" for a point, "−500 W…0 W" for a band; an open edge (hold, charge): "≤ +2500 W", "≥ −800 W", "any". */
export function bandText(minW: number, maxW: number): string {
  if (minW === maxW) return w(minW);
  const lo = Number.isFinite(minW);
  const hi = Number.isFinite(maxW);
  if (!lo && !hi) return 'any';
  if (!lo) return `≤ ${w(maxW)}`;
  if (!hi) return `≥ ${w(minW)}`;
  return `${w(minW)}…${w(maxW)}`;
}

/**
 * Constraints of one kind, the latest per sender (`source`; messages without one are one sender),
 * each ending at its `until` or when its sender stops refreshing it (two update periods).
 */
class PerSource<T extends { source?: string; until?: number }> {
  private readonly held = new Map<string, { value: T; fresh: Freshness }>();

  constructor(private readonly expectedMs: number) {}

  get size(): number {
    return this.held.size;
  }

  values(): T[] {
    return [...this.held.values()].map((h) => h.value);
  }

  /** v arrived at `now` as its sender's latest; returns the one it replaced. */
  put(v: T, now: number): T | undefined {
    const key = v.source ?? '';
    const h = this.held.get(key);
    const prev = h?.value;
    if (h) h.value = v;
    else this.held.set(key, { value: v, fresh: new Freshness({ expectedMs: this.expectedMs, factor: 2 }) });
    this.held.get(key)!.fresh.good(now);
    return prev;
  }

  /** Drops those whose time is up: one line each, `<text> ended` or `<text> expired (no refresh for N s)`; `stale` when one went silent. */
  expire(now: number, text: (v: T) => string): { lines: string[]; stale: boolean } {
    const lines: string[] = [];
    let stale = false;
    for (const [key, h] of this.held) {
      if (h.value.until !== undefined && now >= h.value.until) lines.push(`${text(h.value)} ended`);
      else if (!h.fresh.fresh(now)) {
        lines.push(`${text(h.value)} expired (no refresh for ${(h.fresh.age(now) / 1000).toFixed(1)} s)`);
        stale = true;
      } else continue;
      this.held.delete(key);
    }
    return { lines, stale };
  }

  /** When the first of them ends: its `until` or when it goes stale, whichever comes first. */
  endsAt(now: number): number {
    let until = Infinity;
    for (const h of this.held.values()) {
      const staleAt = now - h.fresh.age(now) + h.fresh.limitMs();
      until = Math.min(until, h.value.until !== undefined ? Math.min(h.value.until, staleAt) : staleAt);
    }
    return until;
  }
}

/**
 * The grid-target bands while they hold, one per sender (`source`; messages without one are one
 * sender): each ends at its `until` or when its sender stops refreshing it, and the band held is
 * the most restrictive of them (DESIGN.md §4.1): their intersection; bands that do not overlap
 * give the lowest maxW (the least import) as a point.
 */
export class GridTargetHold {
  private held = new PerSource<GridTarget>(GRID_TARGET_EXPECTED_MS);
  private expired = false;

  /** A grid-target arrived at `now`; returns the reason line ('' for a refresh of the same band). */
  set(t: GridTarget, now: number): string {
    const target: GridTarget = {
      minW: Math.min(t.minW, t.maxW),
      maxW: Math.max(t.minW, t.maxW),
      ...(t.until !== undefined ? { until: t.until } : {}),
      ...(t.reason ? { reason: t.reason } : {}),
      ...(t.source ? { source: t.source } : {}),
    };
    const prev = this.held.put(target, now);
    this.expired = false;
    // A refresh of the same band is no news; a new or changed band is.
    if (prev && prev.minW === target.minW && prev.maxW === target.maxW && prev.reason === target.reason) return '';
    const line = `grid-target ${bandText(target.minW, target.maxW)}${t.reason ? ` (${t.reason})` : ''}`;
    if (this.held.size < 2) return line;
    const b = this.band(0, now);
    return `${line}; most restrictive of ${this.held.size}: ${bandText(b.minW, b.maxW)}${b.reason ? ` (${b.reason})` : ''}`;
  }

  /** Ends the bands whose time is up; returns the reason line when one ended now. */
  check(now: number, configured: number): string | null {
    const { lines, stale } = this.held.expire(now, (t) => `grid-target ${bandText(t.minW, t.maxW)}`);
    if (stale && this.held.size === 0) this.expired = true;
    if (!lines.length) return null;
    if (this.held.size === 0) return `${lines.join(', ')}: configured target ${w(configured)}`;
    const b = this.band(configured, now);
    return `${lines.join(', ')}: held ${bandText(b.minW, b.maxW)}${b.reason ? ` (${b.reason})` : ''}`;
  }

  /** The band held now (call check() first). */
  band(targetW: number, now: number): BandState {
    if (this.held.size === 0) return { minW: targetW, maxW: targetW, source: 'config', until: null, reason: null, expired: this.expired };
    const all = this.held.values();
    const hi = Math.min(...all.map((t) => t.maxW));
    const lo = Math.min(hi, Math.max(...all.map((t) => t.minW)));
    // The reasons of the bands that set an edge.
    const binding = all.filter((t) => t.minW === lo || t.maxW === hi).map((t) => t.reason ?? t.source).filter((r): r is string => !!r);
    return { minW: lo, maxW: hi, source: 'grid-target', until: this.held.endsAt(now), reason: binding.length ? [...new Set(binding)].join(' & ') : null, expired: false };
  }
}

/** Update period assumed for grid-limit messages until two have arrived, ms (as for grid-target). */
export const GRID_LIMIT_EXPECTED_MS = GRID_TARGET_EXPECTED_MS;

/** "import ≤ +2500 W, export ≤ 800 W". */
function limitText(l: { maxImportW?: number | null; maxExportW?: number | null }): string {
  const parts: string[] = [];
  if (typeof l.maxImportW === 'number') parts.push(`import ≤ ${w(l.maxImportW)}`);
  if (typeof l.maxExportW === 'number') parts.push(`export ≤ ${Math.round(l.maxExportW)} W`);
  return parts.join(', ');
}

/**
 * The grid-limits while they hold, one per sender (`source`): each ends at its `until` or when its
 * sender stops refreshing it; the lowest maxImportW and the lowest maxExportW of them hold
 * (DESIGN.md §4.1, most restrictive wins).
 */
export class GridLimitHold {
  private held = new PerSource<GridLimit>(GRID_LIMIT_EXPECTED_MS);

  /** A grid-limit arrived at `now`; returns the reason line ('' for a refresh of the same limit). */
  set(l: GridLimit, now: number): string {
    const prev = this.held.put({ ...l }, now);
    if (prev && prev.maxImportW === l.maxImportW && prev.maxExportW === l.maxExportW && prev.reason === l.reason) return '';
    return `grid-limit ${limitText(l)}${l.reason ? ` (${l.reason})` : ''}`;
  }

  /** Ends the limits whose time is up; returns the reason line when one ended now. */
  check(now: number): string | null {
    const { lines } = this.held.expire(now, (l) => `grid-limit ${limitText(l)}`);
    if (!lines.length) return null;
    const l = this.limit(now);
    return `${lines.join(', ')}: ${l ? `held ${limitText(l)}` : 'no grid-limit'}`;
  }

  /** The limit held now (call check() first), or null. */
  limit(now: number): GridLimitState | null {
    if (this.held.size === 0) return null;
    let imp: number | null = null;
    let exp: number | null = null;
    const reasons: string[] = [];
    for (const l of this.held.values()) {
      if (typeof l.maxImportW === 'number') imp = imp === null ? l.maxImportW : Math.min(imp, l.maxImportW);
      if (typeof l.maxExportW === 'number') exp = exp === null ? l.maxExportW : Math.min(exp, l.maxExportW);
    }
    for (const l of this.held.values()) {
      if (l.maxImportW === imp || l.maxExportW === exp) {
        const r = l.reason ?? l.source;
        if (r && !reasons.includes(r)) reasons.push(r);
      }
    }
    return { maxImportW: imp, maxExportW: exp, until: this.held.endsAt(now), reason: reasons.length ? reasons.join(' & ') : null };
  }
}

/**
 * The battery mode of `mode` messages (DESIGN.md §4.1): the latest one holds until its `until`
 * (or until the next one when it has none); then the configured behaviour (balance) holds again,
 * and `ended` says which mode ended until another mode arrives.
 */
export class ModeHold {
  private req: ModeRequest | null = null;
  private ended: BatteryMode | null = null;

  constructor(private readonly chargeW: number) {}

  /** A mode arrived; returns the reason line ('' for a repeat of the same mode and end). */
  set(m: ModeRequest): string {
    const prev = this.req;
    this.req = { ...m };
    this.ended = null;
    if (prev && prev.mode === m.mode && prev.chargeW === m.chargeW) return '';
    const charge = m.mode === 'charge' ? ` ${w(-this.charging())}` : '';
    return `mode ${m.mode}${charge}${m.reason ? ` (${m.reason})` : ''}`;
  }

  /** Ends the mode when its time is up; returns the reason line then. */
  check(now: number, configured: string): string | null {
    if (!this.req || this.req.until === undefined || now < this.req.until) return null;
    const m = this.req.mode;
    this.req = null;
    // The end of a balance changes nothing: no news, no "ended" in the status.
    if (m === 'balance') return null;
    this.ended = m;
    return `mode ${m} ended: ${configured}`;
  }

  /** The mode now (call check() first). */
  get mode(): BatteryMode {
    return this.req?.mode ?? 'balance';
  }

  /** The charge power of `charge` mode, W ≥ 0. */
  charging(): number {
    const c = this.req?.chargeW;
    return typeof c === 'number' && Number.isFinite(c) ? Math.max(0, c) : this.chargeW;
  }

  state(): ModeState {
    const r = this.req;
    return {
      mode: this.mode,
      source: r ? 'mode' : 'config',
      until: r?.until ?? null,
      reason: r ? (r.reason ?? r.source ?? null) : null,
      ended: this.ended,
      chargeW: this.mode === 'charge' ? this.charging() : null,
    };
  }
}

/** The latest charger power, while fresh. */
export class ChargerPower {
  private sample: ChargerSample | null = null;
  private readonly fresh = new Freshness({ expectedMs: CHARGER_EXPECTED_MS, factor: 2 });

  set(c: ChargerSample, now: number): void {
    this.fresh.good(now);
    this.sample = { power: Math.max(0, c.power), timestamp: c.timestamp };
  }

  /** W to leave to the grid now: the latest power while fresh, else 0. `stale` says whether there was one that went stale. */
  now(now: number): { power: number; stale: boolean } {
    if (!this.sample) return { power: 0, stale: false };
    if (!this.fresh.fresh(now)) return { power: 0, stale: true };
    return { power: this.sample.power, stale: false };
  }
}
