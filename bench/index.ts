/**
 * The benchmark registry: name → { description, usage, run(args) }. `home-energy bench` (cli/bench.ts)
 * lists and runs what is here; nothing under bench/ imports the CLI. To add a benchmark, export a
 * `BenchDefinition` from bench/<name>.ts and add one line to BENCHMARKS below.
 */
import { BenchUsageError, parseBenchArgs, str, type BenchArgs } from './options';
import { p1ParseBench } from './p1-parse';
import { zeroExportBench } from './zero-export';
import { evChargingBench } from './ev-charging';

export { BenchUsageError, type BenchArgs } from './options';

export interface BenchRunOptions {
  /** Measuring budget in seconds, when given with --seconds (each bench has its own default). */
  seconds?: number;
  json: boolean;
  /** All parsed arguments, for bench-specific options. */
  args: BenchArgs;
}

/** What a benchmark module exports. */
export interface BenchDefinition<R = unknown> {
  /** One line for the list of benchmarks. */
  summary: string;
  /** Bench-specific options for the usage text, e.g. "[--telegrams DIR]". */
  options?: string;
  /** Names of the bench-specific options that take a value (e.g. ["telegrams"]). */
  valueOptions?: string[];
  run(opts: BenchRunOptions): Promise<R>;
  /** Human-readable report (Markdown lines); --json prints the result object instead. */
  markdown(result: R): string[];
  /** Things the user must know about this run (e.g. a comparison parser is not installed). */
  warnings?(result: R): string[];
}

/** What a run gives the caller: lines for stdout (Markdown, or one JSON line) and warnings for stderr. */
export interface BenchReport {
  lines: string[];
  warnings: string[];
}

export interface BenchEntry {
  description: string;
  /** The usage line, starting "home-energy bench <name>". */
  usage: string;
  /** Parses `args` (a bad option throws BenchUsageError) and runs the benchmark. */
  run(args: readonly string[]): Promise<BenchReport>;
}

function entry<R>(name: string, def: BenchDefinition<R>): BenchEntry {
  return {
    description: def.summary,
    usage: `home-energy bench ${name} ${def.options ?? '[--seconds S] [--json]'}`.trimEnd(),
    async run(args) {
      const a = parseBenchArgs(args, ['seconds', ...(def.valueOptions ?? [])], ['json']);
      const s = str(a, 'seconds');
      const seconds = s === undefined ? undefined : Number(s);
      if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0)) throw new BenchUsageError(`--seconds must be a positive number, got ${JSON.stringify(s)}`);
      const result = await def.run({ seconds, json: a.json === true, args: a });
      return { lines: a.json === true ? [JSON.stringify(result)] : def.markdown(result), warnings: def.warnings?.(result) ?? [] };
    },
  };
}

export const BENCHMARKS: Readonly<Record<string, BenchEntry>> = {
  'p1-parse': entry('p1-parse', p1ParseBench),
  'zero-export': entry('zero-export', zeroExportBench),
  'ev-charging': entry('ev-charging', evChargingBench),
};
