/**
 * The shape of a CLI command and the one runner every command goes through: `--help`/`-h` on every
 * command and subcommand, the command's own usage on a usage error, and the same exit codes
 * everywhere — 0 success, 1 device or data failure, 2 usage error.
 */
import { isUsageError } from './args';
import { describeError } from './hints';
import type { Io } from './io';

export type Out = (line: string) => void;

/** One runnable form: `p1 parse`, `sessy status`, `sim`, `bench p1-parse`. */
export interface CliAction {
  /** One line for the global help. */
  summary: string;
  /** Usage text; the first line starts "usage: home-energy …". */
  usage: string[];
  /** Runs with the arguments after the command words; returns the exit code. */
  run(args: string[], io: Io): Promise<number>;
}

/** A top-level command: either one action or a group of subcommands. */
export interface CliCommand {
  name: string;
  summary: string;
  /** Extra lines after a group's list of subcommands (options shared by all of them, say). */
  notes?: string[];
  subcommands?: Readonly<Record<string, CliAction>>;
  action?: CliAction;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** True when the arguments ask for help (before a "--"). */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** The usage of a group: one line per subcommand, then the notes. */
export function groupUsage(cmd: CliCommand): string[] {
  if (cmd.action) return cmd.action.usage;
  const subs = Object.values(cmd.subcommands ?? {});
  const lines = subs.map((s, i) => `${i === 0 ? 'usage:' : '      '} ${firstUsage(s).replace(/^usage:\s*/, '')}`);
  return [...lines, ...(cmd.notes ?? []), `Run "home-energy ${cmd.name} <command> --help" for the options of one command.`];
}

function firstUsage(a: CliAction): string {
  return a.usage[0] ?? '';
}

/** Runs one action: help, usage errors and failures handled the same way for every command. */
export async function runAction(prefix: string, action: CliAction, args: string[], io: Io): Promise<number> {
  if (wantsHelp(args)) {
    for (const l of action.usage) io.out(l);
    return EXIT_OK;
  }
  try {
    return await action.run(args, io);
  } catch (e) {
    if (isUsageError(e)) {
      io.err(`home-energy ${prefix}: ${(e as Error).message}`);
      for (const l of action.usage) io.err(l);
      return EXIT_USAGE;
    }
    io.err(`home-energy ${prefix}: ${describeError(e)}`);
    return EXIT_FAILURE;
  }
}

/** Runs a command with the arguments after its name. */
export async function runCommand(cmd: CliCommand, args: string[], io: Io): Promise<number> {
  if (cmd.action) return runAction(cmd.name, cmd.action, args, io);
  const [sub, ...rest] = args;
  const subs = cmd.subcommands ?? {};
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    for (const l of groupUsage(cmd)) io.out(l);
    return EXIT_OK;
  }
  const action = sub !== undefined && Object.prototype.hasOwnProperty.call(subs, sub) ? subs[sub] : undefined;
  if (!action) {
    const names = Object.keys(subs).join(', ');
    io.err(`home-energy ${cmd.name}: ${sub === undefined ? `which command? (${names})` : `unknown ${sub.startsWith('-') ? 'option' : 'command'} ${JSON.stringify(sub)} (${names})`}`);
    for (const l of groupUsage(cmd)) io.err(l);
    return EXIT_USAGE;
  }
  return runAction(`${cmd.name} ${sub}`, action, rest, io);
}
