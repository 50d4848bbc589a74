/** `home-energy bench planner`: the CLI definition of the planner benchmark (index.ts runs it). */
import fs from 'node:fs';
import path from 'node:path';
import type { BenchDefinition } from '../index';
import { BenchUsageError, numberOption, parseFileSpec, str, type BenchArgs } from '../options';
import { PRESETS } from '../../lib/tariff/formula';
import { plannerBenchMarkdown, runPlannerBench, type PlannerBenchOptions, type PlannerBenchResult, type PlannerTrace } from './index';
import { profileFromCsv } from './profile';
import { plannerBenchSvg } from './svg';

const VALUES = ['prices', 'export-prices', 'load', 'pv', 'export-factor', 'from', 'days', 'capacity', 'charge-w', 'discharge-w', 'efficiency', 'min-soc', 'wear', 'horizon', 'forecast-noise', 'seed', 'preset', 'out'];



/** A `--load` / `--pv` FILE[:COL] as 15-minute values (W). */
function profileOption(a: BenchArgs, key: 'load' | 'pv'): { values: number[]; label: string } | undefined {
  const v = str(a, key);
  if (!v) return undefined;
  const spec = parseFileSpec(v);
  let text: string;
  try {
    text = fs.readFileSync(spec.file, 'utf8');
  } catch (e) {
    throw new BenchUsageError(`--${key}: cannot read ${spec.file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const p = profileFromCsv(text, spec.column, key === 'pv');
  if ('error' in p) throw new BenchUsageError(`--${key} ${spec.file}: ${p.error}`);
  return { values: p, label: spec.column ? `${spec.file}:${spec.column}` : spec.file };
}

/** Writes planner.json, planner.md and planner.svg (prices, SoC, grid per day, from `trace`) into `dir`; returns the paths. */
export function writePlannerReport(dir: string, result: PlannerBenchResult, trace: PlannerTrace): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files = ['planner.json', 'planner.md', 'planner.svg'].map((f) => path.join(dir, f));
  fs.writeFileSync(files[0], JSON.stringify(result, null, 2) + '\n');
  fs.writeFileSync(files[1], `${plannerBenchMarkdown(result)}\n![prices, SoC and grid](planner.svg)\n`);
  fs.writeFileSync(files[2], plannerBenchSvg({ ...result, trace }));
  return files;
}

export function plannerOptions(a: BenchArgs): PlannerBenchOptions & { out?: string } {
  const prices = str(a, 'prices');
  if (!prices) throw new BenchUsageError('--prices FILE[:COL] is required (day-ahead prices, EUR/MWh)');
  const p = parseFileSpec(prices);
  const e = str(a, 'export-prices');
  const ex = e ? parseFileSpec(e) : undefined;
  const from = str(a, 'from');
  if (from !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(from)) throw new BenchUsageError(`--from must be a date YYYY-MM-DD, got ${JSON.stringify(from)}`);
  const preset = str(a, 'preset');
  if (preset !== undefined && !Object.hasOwn(PRESETS, preset)) throw new BenchUsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got ${JSON.stringify(preset)}`);
  const load = profileOption(a, 'load');
  const pv = profileOption(a, 'pv');
  return {
    ...(load ? { load: load.values, loadLabel: load.label } : {}),
    ...(pv ? { pv: pv.values, pvLabel: pv.label } : {}),
    prices: p.file,
    column: p.column,
    exportPrices: ex?.file,
    exportColumn: ex?.column,
    exportFactor: numberOption(a, 'export-factor', 0, 10),
    from,
    days: numberOption(a, 'days', 1, 400),
    capacityWh: numberOption(a, 'capacity', 100, 1_000_000),
    chargeW: numberOption(a, 'charge-w', 1, 100_000),
    dischargeW: numberOption(a, 'discharge-w', 1, 100_000),
    efficiency: numberOption(a, 'efficiency', 0.5, 1),
    minSocPct: numberOption(a, 'min-soc', 0, 100),
    wear: numberOption(a, 'wear', 0, 10),
    horizonH: numberOption(a, 'horizon', 1, 48),
    forecastNoise: numberOption(a, 'forecast-noise', 0, 5),
    seed: numberOption(a, 'seed', 0, 2 ** 31),
    ...(preset ? { formula: PRESETS[preset as keyof typeof PRESETS] } : {}),
    out: str(a, 'out'),
  };
}

export const plannerBench: BenchDefinition<PlannerBenchResult & { files?: string[] }> = {
  summary: 'dynamic-tariff battery planner in virtual time on day-ahead prices: ours vs the perfect-foresight oracle, balancing, price threshold, greedy hours, no battery',
  options:
    '--prices FILE[:COL] [--export-prices FILE[:COL] | --export-factor F] [--load FILE[:COL]] [--pv FILE[:COL]] [--from DATE] [--days N] [--capacity WH] [--charge-w W] [--discharge-w W] [--efficiency F] [--min-soc PCT] [--wear EUR_PER_KWH] [--horizon H] [--forecast-noise F] [--seed N] [--preset NL|BE|spot (spot: prices as they are; NL/BE: the consumer-price presets of the tariff node)] [--out DIR (bench-results/planner)] [--json]',
  valueOptions: VALUES,
  async run(opts) {
    const { out, ...o } = plannerOptions(opts.args);
    if (opts.json) return runPlannerBench(o);
    const { trace, ...result } = runPlannerBench({ ...o, trace: true });
    return { ...result, files: writePlannerReport(out ?? path.join('bench-results', 'planner'), result, trace as PlannerTrace) };
  },
  markdown: (r) => [...plannerBenchMarkdown(r).split('\n'), ...(r.files ? [`Written: ${r.files.join(', ')}`] : [])],
};
