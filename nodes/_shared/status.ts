/** Status text helpers shared by device nodes (DESIGN.md §2: colour from data age, short text). */
import type { NodeStatus } from './red';

export function formatPower(w: number): string {
  const sign = w > 0 ? '+' : w < 0 ? '−' : '';
  const a = Math.abs(w);
  return a >= 10000 ? `${sign}${(a / 1000).toFixed(1)} kW` : `${sign}${Math.round(a)} W`;
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

/** Green while fresh, yellow ring when stale. */
export function freshness(ageMs: number, staleMs: number, text: string): NodeStatus {
  return ageMs <= staleMs ? { fill: 'green', shape: 'dot', text } : { fill: 'yellow', shape: 'ring', text };
}
