/**
 * SVG plots for the planner benchmark: the import price, and the SoC of ours and of the oracle,
 * over the run (one panel each, shared time axis with a tick per local day). No dependencies.
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

/** Two stacked panels (price, SoC); needs a result run with `trace: true`. */
export function plannerBenchSvg(r: PlannerBenchResult): string {
  const t = r.trace;
  if (!t || !t.start.length) throw new Error('plannerBenchSvg: run runPlannerBench with trace: true');
  const pLo = Math.min(...t.importPrice, ...t.exportPrice);
  const pHi = Math.max(...t.importPrice, ...t.exportPrice);
  const days: string[] = [];
  const t0 = t.start[0];
  const t1 = t.start[t.start.length - 1];
  for (let d = t0; d <= t1; d += 86_400_000) {
    const x = PAD + ((d - t0) / (t1 - t0 || 1)) * (W - 2 * PAD);
    days.push(`<line x1="${x.toFixed(1)}" y1="10" x2="${x.toFixed(1)}" y2="${2 * H}" stroke="#ddd"/>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + 10}" font-family="sans-serif" font-size="11">`,
    ...days,
    `<text x="${PAD}" y="14">import / feed-in price, EUR/kWh (${pLo.toFixed(3)} … ${pHi.toFixed(3)})</text>`,
    `<path d="${path(t.start, t.importPrice, pLo, pHi, 0)}" fill="none" stroke="#c62828" stroke-width="1"/>`,
    `<path d="${path(t.start, t.exportPrice, pLo, pHi, 0)}" fill="none" stroke="#ef9a9a" stroke-width="1"/>`,
    `<text x="${PAD}" y="${H + 14}">SoC %: ours (blue), oracle (grey)</text>`,
    `<path d="${path(t.start, t.socOracle, 0, 100, H)}" fill="none" stroke="#9e9e9e" stroke-width="1.5"/>`,
    `<path d="${path(t.start, t.socOurs, 0, 100, H)}" fill="none" stroke="#1565c0" stroke-width="1"/>`,
    '</svg>',
    '',
  ].join('\n');
}
