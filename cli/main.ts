/**
 * The `home-energy` command, the program's composition root: device commands (cli/devices/<name>.ts,
 * one file per device, found by name), the virtual home (sim) and the benchmarks (bench/index.ts).
 * The device list in the help comes from the device registry (lib/registry.ts), so a new device needs
 * no change here: its command file is enough.
 *
 * Exit codes, the same for every command: 0 success, 1 device or data failure, 2 usage error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEVICES, findDevice } from '../lib/registry';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, groupUsage, runCommand, type CliCommand, type Out } from './command';
import { ENV_PASSWORD, ENV_USER, processIo, type Io } from './io';

export type { Out } from './command';

const DEVICE_DIR = path.join(__dirname, 'devices');

/** Names of the device command files (cli/devices/<name>.ts). */
export function deviceCommandNames(): string[] {
  let files: string[] = [];
  try {
    files = fs.readdirSync(DEVICE_DIR);
  } catch {
    return [];
  }
  const names = files.filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3));
  // Registry order first, then the rest alphabetically.
  const order = DEVICES.map((d) => d.descriptor.name);
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function isCommand(v: unknown): v is CliCommand {
  const c = v as CliCommand | undefined;
  return !!c && typeof c.name === 'string' && (typeof c.action === 'object' || typeof c.subcommands === 'object');
}

/** The command of a device, from its command file; undefined when there is none. */
export function deviceCommand(name: string): CliCommand | undefined {
  if (!/^[a-z0-9-]+$/.test(name) || !deviceCommandNames().includes(name)) return undefined;
  // A device command file exports `command: CliCommand` (checked here: the file is found by name).
  const mod = require(path.join(DEVICE_DIR, name)) as { command?: unknown };
  if (!isCommand(mod.command)) throw new Error(`cli/devices/${name}: no command export`);
  return mod.command;
}

/** `home-energy bench` when the benchmarks are not installed (they are not in the npm package). */
const BENCH_MISSING: CliCommand = {
  name: 'bench',
  summary: 'benchmarks (not installed with the package)',
  action: {
    summary: 'benchmarks',
    usage: ['usage: home-energy bench <name> [options]', '  the benchmarks are not part of the installed package: run them in a clone of the repository (npm ci && npm run build)'],
    async run(_args, io) {
      io.err('home-energy bench: the benchmarks are not part of the installed package; run them in a clone of the repository (npm ci && npm run build, then npx home-energy bench …)');
      return EXIT_FAILURE;
    },
  },
};

async function otherCommand(name: string): Promise<CliCommand | undefined> {
  if (name === 'sim') return (await import('./sim')).command;
  if (name === 'bench') {
    try {
      return (await import('./bench')).command;
    } catch (e) {
      if ((e as { code?: string }).code === 'MODULE_NOT_FOUND' && /bench/.test((e as Error).message)) return BENCH_MISSING;
      throw e;
    }
  }
  return undefined;
}

async function loadCommand(name: string): Promise<CliCommand | undefined> {
  return (await otherCommand(name)) ?? deviceCommand(name);
}

export function version(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { name?: string; version?: string };
    return `home-energy ${pkg.version ?? '?'} (${pkg.name ?? 'node-red-contrib-home-energy'}, node ${process.version})`;
  } catch {
    return `home-energy (version unknown, node ${process.version})`;
  }
}

const indent = (lines: string[], by: string) => lines.map((l) => by + l.replace(/^(usage:)?\s*/, ''));

/** The short text for a bare `home-energy` or an unknown command. */
function shortUsage(): string[] {
  return [
    'usage: home-energy <command> [options]',
    `commands: ${[...deviceCommandNames(), 'sim', 'bench', 'help'].join(', ')}`,
    'Run "home-energy help" for every command, "home-energy <command> --help" for one, "home-energy --version" for the version.',
  ];
}

/** `home-energy help`: every command, the devices from the registry, environment and exit codes. */
export async function fullHelp(): Promise<string[]> {
  const lines = ['usage: home-energy <command> [options]', '', 'devices:'];
  const names = deviceCommandNames();
  for (const n of names) {
    const d = findDevice(n);
    let c: CliCommand;
    try {
      c = deviceCommand(n)!;
    } catch (e) {
      // One broken device (a dependency missing, say) does not take the whole help with it.
      lines.push(`  ${n} — cannot be loaded: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    lines.push(`  ${n} — ${d ? `${d.descriptor.title} (${d.descriptor.models})` : c.summary}`);
    lines.push(...indent(groupUsage(c).filter((l) => /^(usage:|\s+home-energy )/.test(l)), '      '));
  }
  const without = DEVICES.filter((d) => !names.includes(d.descriptor.name));
  if (without.length) {
    lines.push('', 'devices without a command (use their Node-RED nodes; `home-energy sim` simulates them):');
    for (const d of without) lines.push(`  ${d.descriptor.name} — ${d.descriptor.title} (${d.descriptor.models})`);
  }
  lines.push('', 'other commands:');
  for (const n of ['sim', 'bench']) {
    const c = (await otherCommand(n))!;
    lines.push(`  ${n} — ${c.summary}`);
    lines.push(...indent(groupUsage(c).filter((l) => /^(usage:|\s+home-energy )/.test(l)), '      '));
  }
  lines.push('  help [COMMAND [SUBCOMMAND]] — this text, or the usage of one command');
  lines.push('  --version — the version');
  lines.push('', 'Every command and subcommand takes --help (-h).');
  lines.push('', 'environment:');
  lines.push(`  ${ENV_USER}       user of a device that asks for one (Sessy: the serial on the dongle sticker)`);
  lines.push(`  ${ENV_PASSWORD}   its password; used instead of --password, which other users can see (ps) and which stays in`);
  lines.push('                         the shell history. Without either, commands that need it ask on the terminal. Never printed.');
  lines.push('', 'exit codes: 0 success, 1 device or data failure, 2 usage error');
  return lines;
}

async function help(args: string[], io: Io): Promise<number> {
  const [name, sub, ...rest] = args;
  if (name === undefined || ((name === '--help' || name === '-h') && sub === undefined)) {
    for (const l of await fullHelp()) io.out(l);
    return EXIT_OK;
  }
  const cmd = name.startsWith('-') || rest.length ? undefined : await loadCommand(name);
  if (!cmd || (sub !== undefined && !cmd.subcommands?.[sub])) {
    io.err(`home-energy help: ${cmd ? `unknown ${name} command ${JSON.stringify(sub)}` : `unknown command ${JSON.stringify(args.join(' '))}`}`);
    for (const l of shortUsage()) io.err(l);
    return EXIT_USAGE;
  }
  const lines = sub !== undefined ? cmd.subcommands![sub].usage : groupUsage(cmd);
  for (const l of lines) io.out(l);
  return EXIT_OK;
}

export async function main(argv: string[], out?: Out, err?: Out, env?: Io['env']): Promise<number> {
  const io = processIo(out, err, env);
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    for (const l of shortUsage()) io.err(l);
    return EXIT_USAGE;
  }
  if (cmd === '--version') {
    if (rest.length) {
      io.err('home-energy: --version takes no argument');
      return EXIT_USAGE;
    }
    io.out(version());
    return EXIT_OK;
  }
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') return help(rest, io);
  const command = cmd.startsWith('-') ? undefined : await loadCommand(cmd);
  if (!command) {
    io.err(`home-energy: unknown ${cmd.startsWith('-') ? 'option' : 'command'} ${JSON.stringify(cmd)}`);
    for (const l of shortUsage()) io.err(l);
    return EXIT_USAGE;
  }
  return runCommand(command, rest, io);
}
