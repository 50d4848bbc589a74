/**
 * SVG plots for the planner benchmark: the import and feed-in price, the SoC of ours and of the
 * oracle, and ours' grid power (+ import) over the run, with the energy bought and sold each day
 * written under it; one panel each on a shared time axis with a line per day. No dependencies.
 */
import type { PlannerBenchResult } from './index';

const W = 900;
const H = 160;
const PAD = 40;

function path(xs: number[], ys: number[], lo: number, hi: number, y0: number): string {
  const t0 = xs[0];
  const t1 = xs[xs.length - 1] || t0 + 1;
  const sx = (t: number) => PAD + ((t - t0) / (t1 - t0 || 1)) * (W - 2 * PAD);
  const sy = (v: number) => y0 + H - 20 - ((v - lo) / (hi - lo || 1)) * (H - 40);
  return ys.map((v, i) => `${i ? 'L' : 'M'}${sx(xs[i]).toFixed(1)},${sy(v).toFixed(1)}`).join(' ');
}

/** Three stacked panels (price, SoC, grid); needs a result run with `trace: true`. */
export function plannerBenchSvg(r: PlannerBenchResult): string {
  const t = r.trace;
  if (!t || !t.start.length) throw new Error('plannerBenchSvg: run runPlannerBench with trace: true');
  const pLo = Math.min(...t.importPrice, ...t.exportPrice);
  const pHi = Math.max(...t.importPrice, ...t.exportPrice);
  const gLo = Math.min(0, ...t.gridOurs);
  const gHi = Math.max(0, ...t.gridOurs);
  const days: string[] = [];
  const t0 = t.start[0];
  const t1 = t.start[t.start.length - 1];
  const x = (tm: number) => PAD + ((tm - t0) / (t1 - t0 || 1)) * (W - 2 * PAD);
  // each day's grid energy, one pass: bought (+) and sold (−), kWh
  const buy: number[] = [];
  const sell: number[] = [];
  t.start.forEach((s, i) => {
    const d = Math.floor((s - t0) / 86_400_000);
    const kWh = (t.gridOurs[i] * ((t.start[i + 1] ?? s + 900_000) - s)) / 3_600_000_000;
    buy[d] = (buy[d] ?? 0) + Math.max(0, kWh);
    sell[d] = (sell[d] ?? 0) + Math.max(0, -kWh);
  });
  for (let d = t0, k = 0; d <= t1; d += 86_400_000, k++) {
    days.push(`<line x1="${x(d).toFixed(1)}" y1="10" x2="${x(d).toFixed(1)}" y2="${3 * H}" stroke="#ddd"/>`);
    if (d + 43_200_000 <= t1) days.push(`<text x="${(x(d) + 3).toFixed(1)}" y="${3 * H + 4}" font-size="9">+${buy[k].toFixed(1)}/−${sell[k].toFixed(1)}</text>`);
  }
  const zero = 2 * H + H - 20 - ((0 - gLo) / (gHi - gLo || 1)) * (H - 40);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${3 * H + 10}" font-family="sans-serif" font-size="11">`,
    ...days,
    `<text x="${PAD}" y="14">import / feed-in price, EUR/kWh (${pLo.toFixed(3)} … ${pHi.toFixed(3)})</text>`,
    `<path d="${path(t.start, t.importPrice, pLo, pHi, 0)}" fill="none" stroke="#c62828" stroke-width="1"/>`,
    `<path d="${path(t.start, t.exportPrice, pLo, pHi, 0)}" fill="none" stroke="#ef9a9a" stroke-width="1"/>`,
    `<text x="${PAD}" y="${H + 14}">SoC %: ours (blue), oracle (grey)</text>`,
    `<path d="${path(t.start, t.socOracle, 0, 100, H)}" fill="none" stroke="#9e9e9e" stroke-width="1.5"/>`,
    `<path d="${path(t.start, t.socOurs, 0, 100, H)}" fill="none" stroke="#1565c0" stroke-width="1"/>`,
    `<text x="${PAD}" y="${2 * H + 14}">grid W, ours (+ import; ${Math.round(gLo)} … ${Math.round(gHi)}); per day kWh bought/sold</text>`,
    `<line x1="${PAD}" y1="${zero.toFixed(1)}" x2="${W - PAD}" y2="${zero.toFixed(1)}" stroke="#bbb"/>`,
    `<path d="${path(t.start, t.gridOurs, gLo, gHi, 2 * H)}" fill="none" stroke="#2e7d32" stroke-width="1"/>`,
    '</svg>',
    '',
  ].join('\n');
}
