/** `home-energy p1 parse` and `home-energy p1 read`. */
import * as fs from 'node:fs';
import { P1Framer } from '../../lib/devices/p1/framer';
import { parseTelegram } from '../../lib/devices/p1/parser';
import { P1Source, P1SourceConfig, validateSourceConfig } from '../../lib/devices/p1/source';
import type { P1Telegram } from '../../lib/devices/p1/types';
import { parseArgs, seconds, str, UsageError, type Args } from '../args';
import type { CliCommand } from '../command';
import { credentials } from '../credentials';
import { describeError } from '../hints';
import { ENV_PASSWORD, ENV_USER, type Io } from '../io';

/** The CLI's JSON shape of one telegram (documented in the README). */
export function telegramSummary(t: P1Telegram): Record<string, unknown> {
  const o: Record<string, unknown> = {
    crcValid: t.crcValid,
    crc: t.crc,
    version: t.version,
    protocol: t.protocol,
    header: t.header,
    equipmentId: t.equipmentId,
    timestamp: t.timestamp,
    power: t.power,
    importPower: t.importPower,
    exportPower: t.exportPower,
    phases: t.phases,
    energy: t.energy,
    tariff: t.tariff,
  };
  if (t.capacity) {
    o.capacity = {
      currentAverageW: t.capacity.currentAverageW ?? null,
      monthPeakW: t.capacity.monthPeakW ?? null,
      monthPeakAt: t.capacity.monthPeakAt ?? null,
      history: t.capacity.history ?? [],
    };
  }
  if (t.gas) o.gas = t.gas;
  if (t.water) o.water = t.water;
  if (t.heat) o.heat = t.heat;
  if (t.warnings.length) o.warnings = t.warnings;
  return o;
}

export const PARSE_USAGE = [
  'usage: home-energy p1 parse [FILE]',
  '  parses the telegrams in FILE (or stdin, or "-"), one JSON object per telegram and line;',
  '  exit 0 when every telegram is valid, 1 when one fails its CRC or none is found',
];

export const READ_USAGE = [
  'usage: home-energy p1 read (--serial PATH [--baud auto|115200|9600] [--framing 8N1|7E1] | --tcp HOST:PORT | --sessy URL) [options]',
  '  --serial PATH      P1 cable (USB); the speed is detected unless --baud is given',
  '  --tcp HOST:PORT    a P1-to-Ethernet/Wi-Fi gateway that passes the telegrams on (raw TCP)',
  '  --sessy URL        a Sessy P1 dongle (its HTTP API), polled every --interval seconds (default 2)',
  `  --user U           Sessy dongle user, if it asks for one (or ${ENV_USER}; user:password@ in the URL also works)`,
  `  --password P       its password; better ${ENV_PASSWORD}, or you are asked on a terminal (never printed)`,
  '  --count N          stop after N readings (default: until Ctrl-C)',
  '  --warn-after S     say so when no telegram has arrived after S seconds (default 12)',
  '  --raw              add the raw telegram to each reading',
];

function readInput(file: string | undefined): Promise<Buffer> {
  if (file && file !== '-') return fs.promises.readFile(file);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks)));
    process.stdin.on('error', reject);
  });
}

async function parseCmd(args: string[], io: Io): Promise<number> {
  const a = parseArgs(args);
  if (a._.length > 1) throw new UsageError('p1 parse takes at most one FILE');
  let data: Buffer;
  try {
    data = await readInput(a._[0]);
  } catch (e) {
    throw new UsageError(`cannot read ${a._[0] ?? 'stdin'}: ${(e as Error).message}`);
  }
  const framer = new P1Framer();
  const frames = framer.push(data);
  // A file may end right after the CRC digits without a line end: close the last frame.
  frames.push(...framer.push('\r\n'));
  if (frames.length === 0) {
    io.err('home-energy p1 parse: no telegram found (a telegram starts with "/" and ends with "!" and its CRC)');
    return 1;
  }
  let allValid = true;
  for (const f of frames) {
    const t = parseTelegram(f);
    if (!t.crcValid) allValid = false;
    io.out(JSON.stringify(telegramSummary(t)));
  }
  return allValid ? 0 : 1;
}

async function sourceFromArgs(a: Args, io: Io): Promise<P1SourceConfig> {
  const serial = str(a, 'serial');
  const tcp = str(a, 'tcp');
  const sessy = str(a, 'sessy');
  if ([serial, tcp, sessy].filter(Boolean).length !== 1) throw new UsageError('give exactly one of --serial PATH, --tcp HOST:PORT, --sessy URL');
  let c: P1SourceConfig;
  if (serial) {
    const baud = str(a, 'baud') ?? 'auto';
    if (baud !== 'auto' && !/^[1-9]\d{2,6}$/.test(baud)) throw new UsageError(`--baud is auto or a speed such as 115200 or 9600, got ${JSON.stringify(baud)}`);
    const framing = str(a, 'framing') ?? '8N1';
    if (framing !== '8N1' && framing !== '7E1') throw new UsageError(`--framing is 8N1 or 7E1, got ${JSON.stringify(framing)}`);
    c = { type: 'serial', path: serial, baudRate: baud === 'auto' ? 'auto' : Number(baud), framing };
  } else if (tcp) {
    const i = tcp.lastIndexOf(':');
    if (i <= 0) throw new UsageError('--tcp needs HOST:PORT');
    c = { type: 'tcp', host: tcp.slice(0, i), port: Number(tcp.slice(i + 1)) };
  } else {
    const cred = await credentials(a, io, { what: 'p1 read --sessy', urlOption: 'sessy', required: false });
    c = { type: 'sessy', url: cred.url, user: cred.user, password: cred.password, pollMs: Math.round(seconds(a, 'interval', 2) * 1000) };
  }
  const problem = validateSourceConfig(c);
  if (problem) throw new UsageError(problem);
  return c;
}

/** What to check when a source stays silent. */
function silentHint(c: P1SourceConfig): string {
  if (c.type === 'serial') return 'check the cable (the meter end in the P1 port), that the port is the P1 cable, and the speed (--baud 115200 for DSMR 4/5, --baud 9600 --framing 7E1 for DSMR 2.2/3)';
  if (c.type === 'tcp') return `check that ${c.host}:${c.port} is the P1 gateway's raw telegram port (not its web page or a Modbus port) and that the gateway is connected to the meter`;
  return 'check that the dongle is connected to the meter';
}

async function readCmd(args: string[], io: Io): Promise<number> {
  const a = parseArgs(args, { values: ['serial', 'tcp', 'sessy', 'baud', 'framing', 'user', 'password', 'interval', 'count', 'warn-after'], booleans: ['raw'] });
  if (a._.length) throw new UsageError(`p1 read takes no argument (got ${JSON.stringify(a._[0])})`);
  const config = await sourceFromArgs(a, io);
  const countText = str(a, 'count');
  const count = countText !== undefined ? Number(countText) : Infinity;
  if (countText !== undefined && !(Number.isInteger(count) && count > 0)) throw new UsageError(`--count needs a whole number ≥ 1, got ${JSON.stringify(countText)}`);
  const warnAfterMs = Math.round(seconds(a, 'warn-after', 12, 3600) * 1000);
  const source = new P1Source(config);
  const where = config.type === 'tcp' ? `${config.host}:${config.port}` : config.type === 'serial' ? config.path : config.type === 'sessy' ? config.url : 'input';
  let n = 0;
  let heard = false;
  return new Promise<number>((resolve) => {
    const silence = setTimeout(() => {
      if (!heard) io.err(`home-energy p1 read: no telegram from ${source.description} after ${warnAfterMs / 1000} s; ${silentHint(config)} (still waiting, Ctrl-C to stop)`);
    }, warnAfterMs);
    const finish = (code: number) => {
      clearTimeout(silence);
      source.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(code);
    };
    const onSignal = () => finish(0);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    source.on('reading', (ev) => {
      heard = true;
      io.out(JSON.stringify(a.raw ? { ...ev.reading, raw: ev.raw } : ev.reading));
      if (++n >= count) finish(0);
    });
    source.on('invalid', (ev: { reason: string }) => {
      heard = true;
      io.err(`telegram rejected: ${ev.reason}`);
    });
    source.on('problem', (e: Error) => io.err(describeError(e, { where })));
    io.err(`reading ${source.description} (Ctrl-C to stop)`);
    source.start();
  });
}

export const command: CliCommand = {
  name: 'p1',
  summary: 'P1 smart meters (DSMR, e-MUCS): parse telegrams, watch a live meter',
  subcommands: {
    parse: { summary: 'parse telegrams from FILE or stdin, one JSON object per line', usage: PARSE_USAGE, run: parseCmd },
    read: { summary: 'watch a live meter, one normalized reading per line', usage: READ_USAGE, run: readCmd },
  },
};
