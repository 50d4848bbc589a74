/**
 * Report of the zero-export benchmark: the Markdown table and hand-written SVG line charts (no dependency).
 */
import type { ControllerScores, ScenarioResult } from './index';

export const CONTENDERS = ['ours', 'oracle', 'noBattery', 'openems', 'pd', 'naive'] as const;
export type ContenderKey = (typeof CONTENDERS)[number];

export const COLORS: Record<ContenderKey | 'netLoad', string> = {
  ours: '#d62728',
  oracle: '#2ca02c',
  noBattery: '#7f7f7f',
  openems: '#1f77b4',
  pd: '#ff7f0e',
  naive: '#9467bd',
  netLoad: '#bbbbbb',
};

const fmt = (v: number | null, digits: number): string => (v === null ? '–' : v.toFixed(digits));

/** Short name of a scenario, used in file names: "1bat-1s-poll1s". */
export function scenarioTag(r: ScenarioResult): string {
  const p = r.scenario.plant;
  return `${p.batteries}bat-${p.meterPeriodS}s-poll${p.batteryPollS}s`;
}

/** The table rows (one per scenario × controller). */
export function tableLines(results: ScenarioResult[]): string[] {
  const lines = [
    '| scenario | controller | import kWh | export kWh | regret % | settle s | crossings/h | commands/h |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const p = r.scenario.plant;
    const name = `${p.batteries} batt., ${p.meterPeriodS} s meter, ${p.batteryPollS} s poll`;
    for (const k of CONTENDERS) {
      const c: ControllerScores = r.results[k];
      lines.push(
        `| ${name} | ${k} | ${(c.gridImportWh / 1000).toFixed(3)} | ${(c.gridExportWh / 1000).toFixed(3)} | ${fmt(c.regretPct, 1)} | ${fmt(c.settleS, 1)} | ${fmt(c.crossingsPerHour, 1)} | ${fmt(c.commandsPerHour, 0)} |`,
      );
    }
  }
  return lines;
}

export interface Series {
  name: string;
  color: string;
  /** [x, y] points. */
  points: Array<[number, number]>;
  width?: number;
  dash?: string;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Horizontal reference lines (e.g. ±25 W). */
  hlines?: Array<{ y: number; color: string; dash?: string }>;
  /** Vertical reference lines. */
  vlines?: Array<{ x: number; color: string; label?: string }>;
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
  /** Formats an x tick label. */
  xTick?: (x: number) => string;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceStep(range: number, ticks: number): number {
  const raw = range / Math.max(1, ticks);
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/** A line chart as a standalone SVG document. */
export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 960;
  const H = o.height ?? 420;
  const m = { l: 70, r: 190, t: 36, b: 48 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const s of o.series) {
    for (const [x, y] of s.points) {
      if (x < xmin) xmin = x;
      if (x > xmax) xmax = x;
      if (y < ymin) ymin = y;
      if (y > ymax) ymax = y;
    }
  }
  if (!Number.isFinite(xmin)) {
    xmin = 0;
    xmax = 1;
    ymin = 0;
    ymax = 1;
  }
  if (o.yMin !== undefined) ymin = o.yMin;
  if (o.yMax !== undefined) ymax = o.yMax;
  if (ymax - ymin < 1) {
    ymax += 1;
    ymin -= 1;
  }
  const ystep = niceStep(ymax - ymin, 6);
  ymin = Math.floor(ymin / ystep) * ystep;
  ymax = Math.ceil(ymax / ystep) * ystep;
  if (xmax === xmin) xmax = xmin + 1;
  const X = (x: number): number => m.l + ((x - xmin) / (xmax - xmin)) * pw;
  const Y = (y: number): number => m.t + (1 - (Math.max(ymin, Math.min(ymax, y)) - ymin) / (ymax - ymin)) * ph;
  const r1 = (v: number): string => (Math.round(v * 10) / 10).toString();
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${m.l}" y="22" font-size="14" font-weight="bold">${esc(o.title)}</text>`);
  // grid + y ticks
  for (let y = ymin; y <= ymax + 1e-9; y += ystep) {
    out.push(`<line x1="${m.l}" y1="${r1(Y(y))}" x2="${m.l + pw}" y2="${r1(Y(y))}" stroke="#eeeeee"/>`);
    out.push(`<text x="${m.l - 6}" y="${r1(Y(y) + 4)}" text-anchor="end">${r1(y)}</text>`);
  }
  const xstep = niceStep(xmax - xmin, 8);
  for (let x = Math.ceil(xmin / xstep) * xstep; x <= xmax + 1e-9; x += xstep) {
    out.push(`<line x1="${r1(X(x))}" y1="${m.t}" x2="${r1(X(x))}" y2="${m.t + ph}" stroke="#f4f4f4"/>`);
    out.push(`<text x="${r1(X(x))}" y="${m.t + ph + 16}" text-anchor="middle">${esc(o.xTick ? o.xTick(x) : r1(x))}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999999"/>`);
  if (ymin < 0 && ymax > 0) out.push(`<line x1="${m.l}" y1="${r1(Y(0))}" x2="${m.l + pw}" y2="${r1(Y(0))}" stroke="#666666"/>`);
  for (const h of o.hlines ?? []) {
    if (h.y < ymin || h.y > ymax) continue;
    out.push(`<line x1="${m.l}" y1="${r1(Y(h.y))}" x2="${m.l + pw}" y2="${r1(Y(h.y))}" stroke="${h.color}"${h.dash ? ` stroke-dasharray="${h.dash}"` : ''}/>`);
  }
  for (const v of o.vlines ?? []) {
    out.push(`<line x1="${r1(X(v.x))}" y1="${m.t}" x2="${r1(X(v.x))}" y2="${m.t + ph}" stroke="${v.color}" stroke-dasharray="4 3"/>`);
    if (v.label) out.push(`<text x="${r1(X(v.x) + 4)}" y="${m.t + 12}" fill="${v.color}">${esc(v.label)}</text>`);
  }
  out.push(`<clipPath id="plot"><rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/></clipPath>`);
  for (const s of o.series) {
    if (!s.points.length) continue;
    const pts = s.points.map(([x, y]) => `${r1(X(x))},${r1(Y(y))}`).join(' ');
    out.push(
      `<polyline clip-path="url(#plot)" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.2}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts}"/>`,
    );
  }
  // legend
  o.series.forEach((s, i) => {
    const y = m.t + 10 + i * 18;
    out.push(`<line x1="${m.l + pw + 12}" y1="${y}" x2="${m.l + pw + 36}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    out.push(`<text x="${m.l + pw + 42}" y="${y + 4}">${esc(s.name)}</text>`);
  });
  out.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
