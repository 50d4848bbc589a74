/**
 * `home-energy bench <name> [--seconds S] [--json] [bench options]`.
 *
 * Benchmarks live in bench/ (compiled to dist/bench/) and are loaded only when asked for. To add one,
 * export a `BenchDefinition` from bench/<name>.ts and add one line to BENCHES below.
 */
import { Args, parseArgs, str, UsageError } from './args';
import type { Out } from './main';

export interface BenchRunOptions {
  /** Measuring budget in seconds, when given with --seconds (each bench has its own default). */
  seconds?: number;
  json: boolean;
  /** All parsed arguments, for bench-specific options. */
  args: Args;
}

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
}

/** name → loader. Loaded lazily so `bench p1-parse` does not load the other benchmarks' code. */
const BENCHES: Record<string, () => BenchDefinition<any>> = {
  'p1-parse': () => require('../../bench/p1-parse').p1ParseBench,
  'zero-export': () => require('../../bench/zero-export').zeroExportBench,
};

export function benchNames(): string[] {
  return Object.keys(BENCHES);
}

function list(): string {
  return benchNames()
    .map((n) => {
      const b = BENCHES[n]();
      return `  ${n} ${b.options ?? ''}\n      ${b.summary}`;
    })
    .join('\n');
}

export async function runBench(args: string[], out: Out, err: Out): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h' || name === 'list') {
    (name === undefined ? err : out)(`usage: home-energy bench <name> [--seconds S] [--json]\n\nbenchmarks:\n${list()}`);
    return name === undefined ? 2 : 0;
  }
  const load = Object.prototype.hasOwnProperty.call(BENCHES, name) ? BENCHES[name] : undefined;
  if (!load) {
    err(`home-energy bench: unknown benchmark ${JSON.stringify(name)}; available: ${benchNames().join(', ')}`);
    return 2;
  }
  const bench = load();
  const a = parseArgs(rest, { values: ['seconds', ...(bench.valueOptions ?? [])], booleans: ['json'] });
  const s = str(a, 'seconds');
  const seconds = s === undefined ? undefined : Number(s);
  if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0)) throw new UsageError(`--seconds must be a positive number, got ${JSON.stringify(s)}`);
  const result = await bench.run({ seconds, json: a.json === true, args: a });
  if (a.json === true) out(JSON.stringify(result));
  else for (const line of bench.markdown(result)) out(line);
  return 0;
}
