/** `home-energy p1 parse` and `home-energy p1 read`. */
import * as fs from 'node:fs';
import { P1Framer } from '../devices/p1/framer';
import { parseTelegram } from '../devices/p1/parser';
import { P1Source, P1SourceConfig, validateSourceConfig } from '../devices/p1/source';
import type { P1Telegram } from '../devices/p1/types';
import { parseArgs, str, UsageError } from './args';
import type { Out } from './main';

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

function readInput(file: string | undefined): Promise<Buffer> {
  if (file && file !== '-') return fs.promises.readFile(file);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks)));
    process.stdin.on('error', reject);
  });
}

async function parseCmd(args: string[], out: Out, err: Out): Promise<number> {
  const a = parseArgs(args);
  if (a._.length > 1) throw new UsageError('p1 parse takes at most one FILE');
  let data: Buffer;
  try {
    data = await readInput(a._[0]);
  } catch (e) {
    err(`home-energy p1 parse: cannot read ${a._[0]}: ${(e as Error).message}`);
    return 2;
  }
  const framer = new P1Framer();
  const frames = framer.push(data);
  // A file may end right after the CRC digits without a line end: close the last frame.
  frames.push(...framer.push('\r\n'));
  if (frames.length === 0) {
    err('home-energy p1 parse: no telegram found (a telegram starts with "/" and ends with "!" and its CRC)');
    return 1;
  }
  let allValid = true;
  for (const f of frames) {
    const t = parseTelegram(f);
    if (!t.crcValid) allValid = false;
    out(JSON.stringify(telegramSummary(t)));
  }
  return allValid ? 0 : 1;
}

function sourceFromArgs(a: ReturnType<typeof parseArgs>): P1SourceConfig {
  const serial = str(a, 'serial');
  const tcp = str(a, 'tcp');
  const sessy = str(a, 'sessy');
  if ([serial, tcp, sessy].filter(Boolean).length !== 1) throw new UsageError('p1 read needs exactly one of --serial PATH, --tcp HOST:PORT, --sessy URL');
  let c: P1SourceConfig;
  if (serial) {
    const baud = str(a, 'baud') ?? 'auto';
    c = { type: 'serial', path: serial, baudRate: baud === 'auto' ? 'auto' : Number(baud), framing: str(a, 'framing') === '7E1' ? '7E1' : '8N1' };
  } else if (tcp) {
    const i = tcp.lastIndexOf(':');
    if (i <= 0) throw new UsageError('--tcp needs HOST:PORT');
    c = { type: 'tcp', host: tcp.slice(0, i), port: Number(tcp.slice(i + 1)) };
  } else {
    c = { type: 'sessy', url: sessy!, user: str(a, 'user'), password: str(a, 'password'), pollMs: Number(str(a, 'interval') ?? 2) * 1000 };
  }
  const problem = validateSourceConfig(c);
  if (problem) throw new UsageError(problem);
  return c;
}

async function readCmd(args: string[], out: Out, err: Out): Promise<number> {
  const a = parseArgs(args, { values: ['serial', 'tcp', 'sessy', 'baud', 'framing', 'user', 'password', 'interval', 'count'], booleans: ['raw'] });
  const config = sourceFromArgs(a);
  const count = str(a, 'count') ? Number(str(a, 'count')) : Infinity;
  const source = new P1Source(config);
  let n = 0;
  return new Promise<number>((resolve) => {
    const finish = (code: number) => {
      source.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(code);
    };
    const onSignal = () => finish(0);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    source.on('reading', (ev) => {
      out(JSON.stringify(a.raw ? { ...ev.reading, raw: ev.raw } : ev.reading));
      if (++n >= count) finish(0);
    });
    source.on('invalid', (ev: { reason: string }) => err(`telegram rejected: ${ev.reason}`));
    source.on('problem', (e: Error) => err(e.message));
    err(`reading ${source.description} (Ctrl-C to stop)`);
    source.start();
  });
}

export async function runP1(args: string[], out: Out, err: Out): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'parse') return parseCmd(rest, out, err);
  if (sub === 'read') return readCmd(rest, out, err);
  throw new UsageError(`unknown p1 command ${JSON.stringify(sub ?? '')}: use "p1 parse" or "p1 read"`);
}
