/**
 * `home-energy bench <name> [options]`: the benchmarks of bench/index.ts (compiled to dist/bench/).
 * The registry there names them; this file only turns each into a subcommand.
 */
import { BENCHMARKS, type BenchEntry } from '../bench/index';
import { runCommand, type CliAction, type CliCommand, type Out } from './command';
import { makeIo, type Io } from './io';

function action(name: string, b: BenchEntry): CliAction {
  return {
    summary: b.description,
    usage: [`usage: ${b.usage}`, `  ${b.description}`],
    async run(args: string[], io: Io): Promise<number> {
      const report = await b.run(args);
      for (const w of report.warnings) io.err(`home-energy bench ${name}: note: ${w}`);
      for (const l of report.lines) io.out(l);
      return 0;
    },
  };
}

export const command: CliCommand = {
  name: 'bench',
  summary: 'benchmarks: ' + Object.keys(BENCHMARKS).join(', '),
  subcommands: Object.fromEntries(Object.entries(BENCHMARKS).map(([name, b]) => [name, action(name, b)])),
};

/** `home-energy bench …` with plain output functions (tests). */
export function runBench(args: string[], out: Out, err: Out): Promise<number> {
  return runCommand(command, args, makeIo({ out, err }));
}
