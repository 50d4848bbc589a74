/** `home-energy bench planner`: the CLI definition of the planner benchmark (index.ts runs it). */
import type { BenchDefinition } from '../index';
import { BenchUsageError, str, type BenchArgs } from '../options';
import { plannerBenchMarkdown, runPlannerBench, type PlannerBenchOptions, type PlannerBenchResult } from './index';

const VALUES = ['prices', 'export-prices', 'export-factor', 'from', 'days', 'capacity', 'charge-w', 'discharge-w', 'efficiency', 'min-soc', 'wear', 'horizon', 'forecast-noise', 'seed'];

function fileCol(spec: string): { file: string; column?: string } {
  const m = /^(.*?):([^:/\\]+)$/.exec(spec);
  return m && !/^[a-zA-Z]$/.test(m[1]) ? { file: m[1], column: m[2] } : { file: spec };
}

function num(a: BenchArgs, key: string, min: number, max: number): number | undefined {
  const v = str(a, key);
  if (v === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < min || Number(v) > max) throw new BenchUsageError(`--${key} must be a number ${min}–${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

export function plannerOptions(a: BenchArgs): PlannerBenchOptions {
  const prices = str(a, 'prices');
  if (!prices) throw new BenchUsageError('--prices FILE[:COL] is required (day-ahead prices, EUR/MWh)');
  const p = fileCol(prices);
  const e = str(a, 'export-prices');
  const ex = e ? fileCol(e) : undefined;
  const from = str(a, 'from');
  if (from !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(from)) throw new BenchUsageError(`--from must be a date YYYY-MM-DD, got ${JSON.stringify(from)}`);
  return {
    prices: p.file,
    column: p.column,
    exportPrices: ex?.file,
    exportColumn: ex?.column,
    exportFactor: num(a, 'export-factor', 0, 10),
    from,
    days: num(a, 'days', 1, 400),
    capacityWh: num(a, 'capacity', 100, 1_000_000),
    chargeW: num(a, 'charge-w', 1, 100_000),
    dischargeW: num(a, 'discharge-w', 1, 100_000),
    efficiency: num(a, 'efficiency', 0.5, 1),
    minSocPct: num(a, 'min-soc', 0, 100),
    wear: num(a, 'wear', 0, 10),
    horizonH: num(a, 'horizon', 1, 48),
    forecastNoise: num(a, 'forecast-noise', 0, 5),
    seed: num(a, 'seed', 0, 2 ** 31),
  };
}

export const plannerBench: BenchDefinition<PlannerBenchResult> = {
  summary: 'dynamic-tariff battery planner in virtual time on day-ahead prices: ours vs the perfect-foresight oracle, balancing, price threshold, greedy hours, no battery',
  options:
    '--prices FILE[:COL] [--export-prices FILE[:COL] | --export-factor F] [--from DATE] [--days N] [--capacity WH] [--charge-w W] [--discharge-w W] [--efficiency F] [--min-soc PCT] [--wear EUR_PER_KWH] [--horizon H] [--forecast-noise F] [--seed N] [--json]',
  valueOptions: VALUES,
  async run(opts) {
    return runPlannerBench(plannerOptions(opts.args));
  },
  markdown: (r) => plannerBenchMarkdown(r).split('\n'),
};
