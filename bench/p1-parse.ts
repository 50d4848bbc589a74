/**
 * `home-energy bench p1-parse`: throughput of our DSMR/e-MUCS P1 parser against the npm packages
 * dsmr-parser and p1-reader, on the same telegrams, in one run.
 *
 * Two telegram sets:
 *  - "fixtures": the single-telegram files in ../shared/data/p1_telegrams (next to the package root),
 *    normalised to CRLF; only telegrams that every contender accepts are measured (the per-contender
 *    acceptance counts are reported). Without shared/ a built-in set (p1-dsmr.md §2.9 V1, V2, V7) is used.
 *  - "typical": generated telegrams of the common real load, one per second from a DSMR 5 meter
 *    (NL, 3-phase, gas) and from a Belgian e-MUCS 1.7 meter (3-phase, 13-month peak history, gas, water).
 *
 * Method: identical inputs for all contenders, a warm-up, then several rounds in which the contenders
 * take turns (order rotated every round), each for the same time slice; the figure is the median of the
 * rounds. Results are telegrams per second and ratios between contenders measured in the same run; the
 * absolute numbers depend on the machine and mean little on their own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DsmrMeter } from '../lib/sim/dsmr-writer';
import { Household } from '../lib/sim/household';
import { VirtualClock } from '../lib/util/clock';
import { P1Framer } from '../lib/devices/p1/framer';
import { parseTelegram } from '../lib/devices/p1/parser';
import type { P1Telegram } from '../lib/devices/p1/types';
import type { BenchDefinition } from './index';
import { str } from './options';

export interface BenchP1ParseOptions {
  /** Total measuring budget in seconds (warm-up + rounds, both sets). Default 6. */
  seconds?: number;
  /** Only used by the CLI (JSON instead of Markdown); the result is the same. */
  json?: boolean;
  /** Directory with telegram .txt files (searched recursively). Default ../shared/data/p1_telegrams. */
  telegramsDir?: string;
}

export interface ContenderResult {
  label: string;
  /** Telegrams in the measured set (the same for every contender of a set). */
  telegrams: number;
  /** Median over the rounds. */
  telegramsPerSecond: number;
  microsecondsPerTelegram: number;
  /** Telegrams per second of every round, in round order. */
  rounds: number[];
  /** (max − min) / median of the rounds, in percent: how noisy this machine was. */
  spreadPct: number;
}

/** fixtures, typical (DSMR 5 + e-MUCS), and the typical set split by meter type. */
export type SetName = 'fixtures' | 'typical' | 'typical-dsmr5' | 'typical-emucs';

export interface SetResult {
  name: SetName;
  description: string;
  /** Where the telegrams came from: a directory, "built-in" or "generated". */
  source: string;
  /** Telegrams measured (accepted by every contender). */
  telegrams: number;
  /** Telegrams offered to the contenders before filtering. */
  offered: number;
  /** How many of the offered telegrams each contender accepts. */
  accepted: Record<string, number>;
  /** Offered telegrams left out, with the contenders that rejected them and why. */
  excluded: Array<{ name: string; rejectedBy: Record<string, string> }>;
  averageBytes: number;
  results: Record<string, ContenderResult>;
  /** "a/b" = telegrams per second of a divided by b; > 1 means a is faster. */
  ratios: Record<string, number>;
  /** The faster of the npm packages on this set. */
  fastestOther: string | null;
  /** Cross-check of a few values between the contenders on the measured telegrams. */
  agreement: { compared: number; mismatches: string[] };
}

export interface Result {
  benchmark: 'p1-parse';
  node: string;
  seconds: number;
  roundsPerSet: number;
  /** Headline figures: the fixture set. */
  telegrams: number;
  results: Record<string, ContenderResult>;
  ratios: Record<string, number>;
  fastestOther: string | null;
  target: { ratio: number; basis: string; fixtures: number | null; typical: number | null; met: boolean };
  sets: Record<SetName, SetResult>;
  contenders: Record<string, { label: string; version: string | null; does: string }>;
  notes: string[];
}

/** Contender keys, as used in `results` and `ratios`. */
export const OURS = 'ours';
export const OURS_PARSE_ONLY = 'ours-parse-only';
export const DSMR_PARSER = 'dsmr-parser';
export const P1_READER = 'p1-reader';
const TARGET_RATIO = 2;

// ---------------------------------------------------------------------------------------------
// Telegram sets

/** A telegram as wire text: '/' … '!' CRC CR LF, CRLF line ends, one char per byte (latin1). */
export interface NamedTelegram {
  name: string;
  text: string;
}

const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n';

/** p1-dsmr.md §2.9 V1, V2 and V7 (CRCs given in the telegrams and recomputed there). */
export const BUILT_IN_TELEGRAMS: NamedTelegram[] = [
  {
    name: 'V1 NL DSMR 5.0 3-phase Iskra AM550',
    text: crlf([
      '/ISK5\\2M550T-1012',
      '',
      '1-3:0.2.8(50)',
      '0-0:1.0.0(191229233714W)',
      '0-0:96.1.1(4530303434303037313138353239333138)',
      '1-0:1.8.1(004000.647*kWh)',
      '1-0:1.8.2(001154.948*kWh)',
      '1-0:2.8.1(000000.000*kWh)',
      '1-0:2.8.2(000000.000*kWh)',
      '0-0:96.14.0(0001)',
      '1-0:1.7.0(01.765*kW)',
      '1-0:2.7.0(00.000*kW)',
      '0-0:96.7.21(00009)',
      '0-0:96.7.9(00004)',
      '1-0:99.97.0(2)(0-0:96.7.19)(180327064111S)(0000000180*s)(190108105923W)(0000002603*s)',
      '1-0:32.32.0(00001)',
      '1-0:52.32.0(00001)',
      '1-0:72.32.0(00001)',
      '1-0:32.36.0(00001)',
      '1-0:52.36.0(00001)',
      '1-0:72.36.0(00001)',
      '0-0:96.13.0()',
      '1-0:32.7.0(236.9*V)',
      '1-0:52.7.0(235.1*V)',
      '1-0:72.7.0(234.9*V)',
      '1-0:31.7.0(000*A)',
      '1-0:51.7.0(000*A)',
      '1-0:71.7.0(006*A)',
      '1-0:21.7.0(00.132*kW)',
      '1-0:41.7.0(00.037*kW)',
      '1-0:61.7.0(01.596*kW)',
      '1-0:22.7.0(00.000*kW)',
      '1-0:42.7.0(00.000*kW)',
      '1-0:62.7.0(00.000*kW)',
      '!58E5',
    ]),
  },
  {
    name: 'V2 NL DSMR 5.0 1-phase Landis+Gyr, gas',
    text: crlf([
      '/XMX5LGBBLA4415290514',
      '',
      '1-3:0.2.8(50)',
      '0-0:1.0.0(180901194246S)',
      '0-0:96.1.1(4530303435303034303134363938333137)',
      '1-0:1.8.1(001362.372*kWh)',
      '1-0:1.8.2(000851.129*kWh)',
      '1-0:2.8.1(000000.000*kWh)',
      '1-0:2.8.2(000000.000*kWh)',
      '0-0:96.14.0(0001)',
      '1-0:1.7.0(00.276*kW)',
      '1-0:2.7.0(00.000*kW)',
      '0-0:96.7.21(00002)',
      '0-0:96.7.9(00000)',
      '1-0:99.97.0(0)(0-0:96.7.19)',
      '1-0:32.32.0(00002)',
      '1-0:32.36.0(00000)',
      '0-0:96.13.0()',
      '1-0:32.7.0(230.0*V)',
      '1-0:31.7.0(002*A)',
      '1-0:21.7.0(00.276*kW)',
      '1-0:22.7.0(00.000*kW)',
      '0-1:24.1.0(003)',
      '0-1:96.1.0(4730303339303031373637383534313137)',
      '0-1:24.2.1(180901194004S)(00485.627*m3)',
      '!22EE',
    ]),
  },
  {
    name: 'V7 BE e-MUCS 50217 3-phase, null timestamp in 98.1.0',
    text: crlf([
      '/FLU5\\253769484_A',
      '',
      '0-0:96.1.4(50217)',
      '0-0:96.1.1(3153414733313030373231333236)',
      '0-0:1.0.0(231102121548W)',
      '1-0:1.8.1(000301.548*kWh)',
      '1-0:1.8.2(000270.014*kWh)',
      '1-0:2.8.1(000000.005*kWh)',
      '1-0:2.8.2(000000.000*kWh)',
      '0-0:96.14.0(0001)',
      '1-0:1.4.0(00.052*kW)',
      '1-0:1.6.0(231102114500W)(03.064*kW)',
      '0-0:98.1.0(4)(1-0:1.6.0)(1-0:1.6.0)(230801000000S)(632525252525W)(00.000*kW)(230901000000S)(230831181500S)(01.862*kW)(231001000000S)(230910183000S)(04.229*kW)(231101000000W)(231016130000S)(04.927*kW)',
      '1-0:1.7.0(00.338*kW)',
      '1-0:2.7.0(00.000*kW)',
      '1-0:21.7.0(00.047*kW)',
      '1-0:41.7.0(00.179*kW)',
      '1-0:61.7.0(00.111*kW)',
      '1-0:22.7.0(00.000*kW)',
      '1-0:42.7.0(00.000*kW)',
      '1-0:62.7.0(00.000*kW)',
      '1-0:32.7.0(232.9*V)',
      '1-0:52.7.0(228.1*V)',
      '1-0:72.7.0(228.1*V)',
      '1-0:31.7.0(000.27*A)',
      '1-0:51.7.0(000.88*A)',
      '1-0:71.7.0(000.52*A)',
      '0-0:96.3.10(1)',
      '0-0:17.0.0(999.9*kW)',
      '1-0:31.4.0(999*A)',
      '0-0:96.13.0()',
      '0-1:24.1.0(003)',
      '0-1:96.1.1(37464C4F32313233303838303237)',
      '0-1:24.4.0(1)',
      '0-1:24.2.3(231102121002W)(00092.287*m3)',
      '0-2:24.1.0(007)',
      '0-2:96.1.1(3853455430303030393631313733)',
      '0-2:24.2.1(231102121532W)(00008.579*m3)',
      '!C4B0',
    ]),
  },
];

/** The package root (the directory whose package.json names this package), from src or dist. */
function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'package.json');
    if (fs.existsSync(p)) {
      try {
        if (JSON.parse(fs.readFileSync(p, 'utf8')).name === 'node-red-contrib-home-energy') return dir;
      } catch {
        /* not ours, keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.resolve(__dirname, '..', '..');
}

export function defaultTelegramsDir(): string {
  return path.resolve(packageRoot(), '..', 'shared', 'data', 'p1_telegrams');
}

/**
 * Wire form of a telegram file: from the first '/' to the CRC digits after the last '!', every line end
 * turned into CR LF, ending in CR LF. Null when the text holds no '/' … '!' (e.g. an encrypted frame in hex).
 */
export function normaliseTelegram(raw: string): string | null {
  const start = raw.indexOf('/');
  if (start < 0) return null;
  const text = raw.slice(start).replace(/\r?\n/g, '\r\n');
  const bang = text.lastIndexOf('!');
  if (bang < 0) return null;
  let end = bang + 1;
  while (end < text.length && end < bang + 5 && /[0-9A-Fa-f]/.test(text[end])) end++;
  return text.slice(0, end) + '\r\n';
}

/** Telegram files under `dir` (recursive, *.txt, sorted); null when the directory does not exist. */
export function loadTelegramDir(dir: string): { telegrams: NamedTelegram[]; skipped: string[] } | null {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return null;
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.txt')) files.push(p);
    }
  };
  walk(dir);
  files.sort();
  const telegrams: NamedTelegram[] = [];
  const skipped: string[] = [];
  for (const f of files) {
    const name = path.relative(dir, f).split(path.sep).join('/');
    // latin1: one char per byte, so odd bytes (0x02 in an Irish Iskra header, 0xFF padding) survive.
    const text = normaliseTelegram(fs.readFileSync(f, 'latin1'));
    if (text) telegrams.push({ name, text });
    else skipped.push(name);
  }
  return { telegrams, skipped };
}

// --- generated "typical" telegrams ----------------------------------------------------------

/**
 * `count` consecutive 1-s telegrams of the virtual home's meter model (lib/sim): a 3-phase NL DSMR 5.0
 * meter (gas on M-Bus 1) or a BE e-MUCS meter (gas, water, 1-0:1.4.0/1.6.0 and a 13-month 0-0:98.1.0
 * history), fed by the shipped sample household at midday in winter, on a virtual clock.
 */
function generate(profile: 'NL' | 'BE', count: number, startUtcMs: number): NamedTelegram[] {
  const clock = new VirtualClock(startUtcMs);
  const household = new Household({ clock });
  const meter = new DsmrMeter({ profile, clock, household, history: { syntheticMonths: 13, seed: 7 } });
  const out: NamedTelegram[] = [];
  for (let n = 0; n < count; n++) {
    out.push({ name: `typical ${profile === 'NL' ? 'DSMR 5' : 'e-MUCS'} #${n + 1}`, text: meter.telegram() });
    clock.advance(1000);
  }
  return out;
}

export const generateDsmr5 = (count: number, startUtcMs = Date.UTC(2024, 0, 15, 11, 0, 0)): NamedTelegram[] => generate('NL', count, startUtcMs);
export const generateEmucs = (count: number, startUtcMs = Date.UTC(2024, 0, 15, 11, 0, 0)): NamedTelegram[] => generate('BE', count, startUtcMs);

/** The typical set: 60 s of a DSMR 5 meter followed by 60 s of an e-MUCS meter. */
export function typicalTelegrams(): NamedTelegram[] {
  return [...generateDsmr5(60), ...generateEmucs(60)];
}

// ---------------------------------------------------------------------------------------------
// Contenders

interface Contender {
  key: string;
  label: string;
  version: string | null;
  does: string;
  /** The input in the form this contender takes, prepared once outside the timed loop. */
  prepare(text: string): unknown;
  /** null when the contender parses the input, else why not. */
  check(input: unknown): string | null;
  /** The measured operation. */
  parse(input: unknown): unknown;
  /** Called around every timed slice and every check (e.g. to silence a parser's console output). */
  enter?(): void;
  leave?(): void;
  /** Messages the contender wrote to the console while silenced, so far. */
  silenced?(): number;
}

type DsmrParserModule = { parse(telegram: string): { objects: Record<string, unknown> } };
type P1ReaderParse = (packet: string) => P1ReaderPacket;
interface P1ReaderReading {
  reading: number | null;
  unit: string | null;
}
interface P1ReaderPacket {
  electricity: { received: { tariff1: P1ReaderReading; actual: P1ReaderReading } };
}

function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

function ourContenders(): Contender[] {
  const framer = new P1Framer();
  const viaFramer: Contender = {
    key: OURS,
    label: 'ours (framer + parse, bytes in)',
    version: null,
    does:
      'bytes → P1Framer (7-bit mask, frame /…!CRC) → parseTelegram: CRC-16/ARC checked, every line split into OBIS + groups, ' +
      'typed decoding of all known objects to integers in W/Wh, V, A, ISO UTC timestamps (DST flag), hex ids decoded, ' +
      'M-Bus gas/water/heat, power-failure log, e-MUCS capacity registers and 13-month history; unknown lines kept',
    prepare: (text) => Buffer.from(text, 'latin1'),
    check: (input) => {
      framer.flush(); // a rejected telegram must not leave a partial frame behind
      const frames = framer.push(input as Buffer);
      if (frames.length !== 1) return `framer returned ${frames.length} frames`;
      const t = parseTelegram(frames[0]);
      return t.crcValid ? null : `crc ${t.crc}`;
    },
    parse: (input) => {
      const frames = framer.push(input as Buffer);
      let last: P1Telegram | undefined;
      for (let i = 0; i < frames.length; i++) last = parseTelegram(frames[i]);
      return last;
    },
  };
  const parseOnly: Contender = {
    key: OURS_PARSE_ONLY,
    label: 'ours (parse only, string in)',
    version: null,
    does: 'parseTelegram on the telegram string (same work as above without the framer)',
    prepare: (text) => text,
    check: (input) => {
      const t = parseTelegram(input as string);
      return t.crcValid ? null : `crc ${t.crc}`;
    },
    parse: (input) => parseTelegram(input as string),
  };
  return [viaFramer, parseOnly];
}

/** The npm contenders that can be loaded (devDependencies), plus notes on the ones that cannot. */
function npmContenders(notes: string[]): Contender[] {
  const list: Contender[] = [];
  try {
    const dsmr = require('dsmr-parser') as DsmrParserModule;
    list.push({
      key: DSMR_PARSER,
      label: 'dsmr-parser',
      version: packageVersion('dsmr-parser'),
      does:
        'parse(string): whole-telegram regex (header must match "/…5", 4-hex CRC required), CRC-16/ARC checked ' +
        '(crc package, a second regex pass over the telegram), then one regex per known field over the body ' +
        '(~45 fields, NL DSMR 4/5 names; e-MUCS demand registers, M-Bus channels > first and power-failure log not decoded), ' +
        'values as JS numbers in the telegram\'s own unit, timestamps as local-time Date objects',
      prepare: (text) => text,
      check: (input) => {
        try {
          dsmr.parse(input as string);
          return null;
        } catch (e) {
          return `threw ${(e as Error).message}`;
        }
      },
      parse: (input) => dsmr.parse(input as string),
    });
  } catch (e) {
    notes.push(`dsmr-parser could not be loaded (${(e as Error).message}); it is a devDependency: run npm install in the package`);
  }
  try {
    const parsePacket = require('p1-reader/lib/parsePacket') as P1ReaderParse;
    let silenced = 0;
    let saved: typeof console.error | null = null;
    list.push({
      key: P1_READER,
      label: 'p1-reader',
      version: packageVersion('p1-reader'),
      does:
        'lib/parsePacket(string), the function its serial reader calls per packet: NO CRC check (the reader splits the ' +
        'stream on "!" and drops the CRC, so it gets the text up to but excluding "!"), split into lines, OBIS switch, ' +
        'parseFloat/parseInt into a nested object with units, timestamps as ISO strings (local time taken as UTC); ' +
        'unknown lines go to console.error (silenced and counted during the bench)',
      prepare: (text) => text.slice(0, text.lastIndexOf('!')),
      check: (input) => {
        try {
          parsePacket(input as string);
          return null;
        } catch (e) {
          return `threw ${(e as Error).message}`;
        }
      },
      parse: (input) => parsePacket(input as string),
      enter: () => {
        saved = console.error;
        console.error = () => {
          silenced++;
        };
      },
      leave: () => {
        if (saved) console.error = saved;
        saved = null;
      },
      silenced: () => silenced,
    });
  } catch (e) {
    notes.push(`p1-reader could not be loaded in-process (${(e as Error).message}); it is a devDependency: run npm install in the package`);
  }
  notes.push(
    'p1-reader exposes only a serial-port reader; the bench calls its internal lib/parsePacket.js (no "exports" map blocks it), ' +
      'which is exactly what the reader runs for every packet, so no substitute package was needed.',
  );
  return list;
}

const silencedCount = (c: Contender): number => (c.silenced ? c.silenced() : 0);

// ---------------------------------------------------------------------------------------------
// Measuring

let sink = 0;

/** Run `parse` over all inputs, repeatedly, for at least `sliceNs`; returns telegrams per second. */
function timeSlice(c: Contender, inputs: unknown[], sliceNs: bigint): number {
  const parse = c.parse;
  const n = inputs.length;
  let count = 0;
  c.enter?.();
  const start = process.hrtime.bigint();
  const until = start + sliceNs;
  let now = start;
  try {
    do {
      for (let i = 0; i < n; i++) {
        if (parse(inputs[i]) !== undefined) sink++;
      }
      count += n;
      now = process.hrtime.bigint();
    } while (now < until);
  } finally {
    c.leave?.();
  }
  return count / (Number(now - start) / 1e9);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

interface PreparedSet {
  name: SetResult['name'];
  description: string;
  source: string;
  offered: NamedTelegram[];
}

interface Plan {
  /** Total warm-up time, spread round-robin over every (set, contender) pair. */
  warmupNs: bigint;
  warmupSliceNs: bigint;
  sliceNs: bigint;
  rounds: number;
}

/** A set after acceptance filtering, with each contender's inputs prepared. */
interface ReadySet {
  partial: Omit<SetResult, 'results' | 'ratios' | 'fastestOther'>;
  silenced: Record<string, number>;
  inputs: Map<string, unknown[]>;
  rounds: Record<string, number[]>;
}

/** Acceptance filtering, cross-check and the agreement of a few values. */
function filterSet(set: PreparedSet, contenders: Contender[]) {
  const accepted: Record<string, number> = {};
  const excluded: SetResult['excluded'] = [];
  const keep: NamedTelegram[] = [];
  for (const c of contenders) accepted[c.key] = 0;
  const silencedBefore = new Map(contenders.map((c) => [c.key, silencedCount(c)]));
  for (const t of set.offered) {
    const rejectedBy: Record<string, string> = {};
    for (const c of contenders) {
      c.enter?.();
      let why: string | null;
      try {
        why = c.check(c.prepare(t.text));
      } catch (e) {
        why = `threw ${(e as Error).message}`;
      } finally {
        c.leave?.();
      }
      if (why === null) accepted[c.key]++;
      else rejectedBy[c.key] = why;
    }
    if (Object.keys(rejectedBy).length) excluded.push({ name: t.name, rejectedBy });
    else keep.push(t);
  }
  const silenced: Record<string, number> = {};
  for (const c of contenders) silenced[c.key] = silencedCount(c) - (silencedBefore.get(c.key) ?? 0);
  return { accepted, excluded, keep, silenced };
}

/** Compare 1-0:1.7.0 (W) and 1-0:1.8.1 (Wh) between the contenders on the measured telegrams. */
function crossCheck(keep: NamedTelegram[], contenders: Contender[]): SetResult['agreement'] {
  const mismatches: string[] = [];
  let compared = 0;
  const dsmr = contenders.find((c) => c.key === DSMR_PARSER);
  const p1r = contenders.find((c) => c.key === P1_READER);
  const scale = (r: P1ReaderReading, k: string): number | null =>
    r.reading === null ? null : r.unit === k ? Math.round(r.reading * 1000) : r.unit === k.slice(1) ? Math.round(r.reading) : null;
  for (const t of keep) {
    const ours = parseTelegram(t.text);
    const oursPower = ours.importPower;
    const oursT1 = ours.energy?.importTariffWh?.[0] ?? null;
    if (p1r) {
      p1r.enter?.();
      let pkt: P1ReaderPacket;
      try {
        pkt = p1r.parse(p1r.prepare(t.text)) as P1ReaderPacket;
      } finally {
        p1r.leave?.();
      }
      const rec = pkt.electricity.received;
      const w = scale(rec.actual, 'kW');
      const wh = scale(rec.tariff1, 'kWh');
      if (w !== null) {
        compared++;
        if (w !== oursPower) mismatches.push(`${t.name}: 1-0:1.7.0 ours ${oursPower} W, p1-reader ${rec.actual.reading} ${rec.actual.unit}`);
      }
      if (wh !== null) {
        compared++;
        if (wh !== oursT1) mismatches.push(`${t.name}: 1-0:1.8.1 ours ${oursT1} Wh, p1-reader ${rec.tariff1.reading} ${rec.tariff1.unit}`);
      }
      if (dsmr) {
        const o = (dsmr.parse(dsmr.prepare(t.text)) as { objects: Record<string, unknown> }).objects;
        const pairs: Array<[string, number | null]> = [
          ['actual electricity power delivered', rec.actual.reading],
          ['electricity delivered tariff 1', rec.tariff1.reading],
        ];
        for (const [k, v] of pairs) {
          if (v === null || o[k] === undefined) continue;
          compared++;
          if (o[k] !== v) mismatches.push(`${t.name}: dsmr-parser "${k}" ${String(o[k])}, p1-reader ${v}`);
        }
      }
    }
  }
  return { compared, mismatches };
}

function prepareSet(set: PreparedSet, contenders: Contender[]): ReadySet {
  const { accepted, excluded, keep, silenced } = filterSet(set, contenders);
  const agreement = crossCheck(keep, contenders);
  const rounds: Record<string, number[]> = {};
  for (const c of contenders) rounds[c.key] = [];
  const averageBytes = keep.length ? Math.round(keep.reduce((s, t) => s + t.text.length, 0) / keep.length) : 0;
  const partial = {
    name: set.name,
    description: set.description,
    source: set.source,
    telegrams: keep.length,
    offered: set.offered.length,
    accepted,
    excluded,
    averageBytes,
    agreement,
  };
  const inputs = new Map(contenders.map((c) => [c.key, keep.map((t) => c.prepare(t.text))]));
  return { partial, silenced, inputs, rounds };
}

/**
 * Warm-up, then the rounds. The warm-up visits every (set, contender) pair round-robin for the whole warm-up
 * time: a large function such as our parseText needs a few hundred ms of running before V8 has its final
 * optimised code, and round-robin lets every contender get there before the first measured round.
 * Each round visits every set, and within a set the contenders in an order rotated by one every round.
 */
function measure(sets: ReadySet[], contenders: Contender[], plan: Plan): void {
  const live = sets.filter((s) => s.partial.telegrams > 0);
  if (!live.length) return;
  const warmEnd = process.hrtime.bigint() + plan.warmupNs;
  do {
    for (const s of live) for (const c of contenders) timeSlice(c, s.inputs.get(c.key)!, plan.warmupSliceNs);
  } while (process.hrtime.bigint() < warmEnd);
  for (let r = 0; r < plan.rounds; r++) {
    for (const s of live) {
      for (let j = 0; j < contenders.length; j++) {
        const c = contenders[(j + r) % contenders.length];
        s.rounds[c.key].push(timeSlice(c, s.inputs.get(c.key)!, plan.sliceNs));
      }
    }
  }
}

function summarise(
  partial: Omit<SetResult, 'results' | 'ratios' | 'fastestOther'>,
  rounds: Record<string, number[]>,
  contenders: Contender[],
): SetResult {
  const results: Record<string, ContenderResult> = {};
  for (const c of contenders) {
    const rs = rounds[c.key];
    if (!rs.length) continue;
    const med = median(rs);
    results[c.key] = {
      label: c.label + (c.version ? ` ${c.version}` : ''),
      telegrams: partial.telegrams,
      telegramsPerSecond: Math.round(med),
      microsecondsPerTelegram: Math.round((1e6 / med) * 100) / 100,
      rounds: rs.map((x) => Math.round(x)),
      spreadPct: Math.round(((Math.max(...rs) - Math.min(...rs)) / med) * 1000) / 10,
    };
  }
  const ratios: Record<string, number> = {};
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  const others = [DSMR_PARSER, P1_READER].filter((k) => results[k]);
  let fastestOther: string | null = null;
  for (const k of others) if (!fastestOther || results[k].telegramsPerSecond > results[fastestOther].telegramsPerSecond) fastestOther = k;
  for (const ours of [OURS, OURS_PARSE_ONLY]) {
    if (!results[ours]) continue;
    for (const k of others) ratios[`${ours}/${k}`] = r2(results[ours].telegramsPerSecond / results[k].telegramsPerSecond);
    if (fastestOther) ratios[`${ours}/fastest-other`] = r2(results[ours].telegramsPerSecond / results[fastestOther].telegramsPerSecond);
  }
  if (results[DSMR_PARSER] && results[P1_READER]) ratios[`${DSMR_PARSER}/${P1_READER}`] = r2(results[DSMR_PARSER].telegramsPerSecond / results[P1_READER].telegramsPerSecond);
  return { ...partial, results, ratios, fastestOther };
}

/** Run the benchmark. Takes about `seconds` (default 6) plus a fraction of a second of set-up. */
export async function benchP1Parse(opts: BenchP1ParseOptions = {}): Promise<Result> {
  const seconds = opts.seconds ?? 6;
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new RangeError(`seconds must be a positive number, got ${seconds}`);
  const notes: string[] = [];
  const contenders = [...ourContenders(), ...npmContenders(notes)];

  const dir = opts.telegramsDir ?? defaultTelegramsDir();
  const loaded = loadTelegramDir(dir);
  let fixtures: PreparedSet;
  if (loaded && loaded.telegrams.length) {
    fixtures = { name: 'fixtures', description: 'telegram files from shared/data/p1_telegrams, normalised to CRLF', source: dir, offered: loaded.telegrams };
    if (loaded.skipped.length) notes.push(`fixtures: skipped ${loaded.skipped.length} file(s) without a "/" … "!" telegram (encrypted, or no end marker): ${loaded.skipped.join(', ')}`);
  } else {
    fixtures = { name: 'fixtures', description: 'built-in p1-dsmr.md §2.9 vectors V1, V2, V7 (CRLF)', source: 'built-in', offered: BUILT_IN_TELEGRAMS };
    notes.push(`fixtures: ${dir} not found or empty; using the built-in vectors V1, V2, V7`);
  }
  const dsmr5 = generateDsmr5(60);
  const emucs = generateEmucs(60);
  const generated: PreparedSet[] = [
    {
      name: 'typical',
      description:
        'generated: 60 s of an NL DSMR 5.0 3-phase meter with gas, then 60 s of a BE e-MUCS 1.7 3-phase meter with 13-month peak history, gas and water (1 telegram/s each)',
      source: 'generated',
      offered: [...dsmr5, ...emucs],
    },
    { name: 'typical-dsmr5', description: 'the DSMR 5.0 half of the typical set', source: 'generated', offered: dsmr5 },
    { name: 'typical-emucs', description: 'the e-MUCS half of the typical set', source: 'generated', offered: emucs },
  ];
  const all = [fixtures, ...generated];

  // Budget: 20 % warm-up, 80 % rounds, the rounds split evenly over sets × contenders × rounds.
  const slots = all.length * contenders.length;
  const totalNs = seconds * 1e9;
  // Many short rounds rather than few long ones: the median then shrugs off bursts of load from other processes.
  let rounds = 9;
  while (rounds > 3 && (totalNs * 0.8) / (slots * rounds) < 25e6) rounds -= 2;
  const plan: Plan = {
    warmupNs: BigInt(Math.round(totalNs * 0.2)),
    warmupSliceNs: BigInt(Math.max(1e6, Math.min(20e6, Math.round((totalNs * 0.2) / (slots * 4))))),
    sliceNs: BigInt(Math.max(1e6, Math.round((totalNs * 0.8) / (slots * rounds)))),
    rounds,
  };

  const ready = all.map((s) => prepareSet(s, contenders));
  measure(ready, contenders, plan);
  const sets: Partial<Record<SetName, SetResult>> = {};
  ready.forEach((m, i) => {
    const s = all[i];
    sets[s.name] = summarise(m.partial, m.rounds, contenders);
    const unknownLines = m.silenced[P1_READER];
    if (unknownLines) notes.push(`${s.name}: p1-reader wrote ${unknownLines} "Unable to parse line" message(s) while checking the ${s.offered.length} offered telegrams (console.error silenced while it runs)`);
    if (m.partial.agreement.mismatches.length) notes.push(`${s.name}: ${m.partial.agreement.mismatches.length} value mismatch(es) between parsers, see sets.${s.name}.agreement`);
    if (s.source === 'generated' && m.partial.excluded.length) notes.push(`${s.name}: ${m.partial.excluded.length} generated telegram(s) rejected — generator or parser bug`);
  });
  const fx = sets.fixtures!;
  const ty = sets.typical!;
  const fxRatio = fx.ratios[`${OURS}/fastest-other`] ?? null;
  const tyRatio = ty.ratios[`${OURS}/fastest-other`] ?? null;
  notes.push(
    `method: same inputs for every contender; ${(Number(plan.warmupNs) / 1e6).toFixed(0)} ms warm-up visiting every set and contender round-robin; then ${plan.rounds} rounds, ` +
      `each giving every contender one ${(Number(plan.sliceNs) / 1e6).toFixed(0)} ms slice per set, contender order rotated every round; figure = median round (process.hrtime.bigint)` +
      '; garbage collection is not forced: each contender pays for the garbage it makes, mostly within its own slices',
  );
  notes.push('absolute telegrams/s depend on the machine; compare the ratios, which come from one run');
  if (ty.results[OURS]) {
    const us = ty.results[OURS].microsecondsPerTelegram;
    notes.push(`at 1 telegram/s (DSMR 5 / e-MUCS) our framer + parser needs ≈ ${us} µs per second, ${((us / 1e6) * 100).toFixed(3)} % of one core`);
  }
  const contenderInfo: Result['contenders'] = {};
  for (const c of contenders) contenderInfo[c.key] = { label: c.label, version: c.version, does: c.does };

  return {
    benchmark: 'p1-parse',
    node: process.version,
    seconds,
    roundsPerSet: plan.rounds,
    telegrams: fx.telegrams,
    results: fx.results,
    ratios: fx.ratios,
    fastestOther: fx.fastestOther,
    target: {
      ratio: TARGET_RATIO,
      basis: `ours (framer + parse) / fastest npm parser, telegrams per second, on each set`,
      fixtures: fxRatio,
      typical: tyRatio,
      met: fxRatio !== null && tyRatio !== null && fxRatio >= TARGET_RATIO && tyRatio >= TARGET_RATIO,
    },
    sets: sets as Record<SetName, SetResult>,
    contenders: contenderInfo,
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// Markdown report

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtRatio = (x: number | undefined | null): string => (x === undefined || x === null ? '–' : `${x.toFixed(2)}×`);

function setTable(s: SetResult): string[] {
  const lines: string[] = [];
  const acc = Object.entries(s.accepted)
    .map(([k, v]) => `${k} ${v}/${s.offered}`)
    .join(', ');
  lines.push(`### ${s.name}: ${s.telegrams} telegrams, ${s.averageBytes} bytes on average`);
  lines.push('');
  lines.push(`${s.description}. Source: ${s.source}. Accepted of ${s.offered} offered: ${acc}; measured: the ${s.telegrams} every contender accepts.`);
  lines.push('');
  lines.push('| parser | telegrams/s | µs/telegram | spread of rounds | ours (framer+parse) ÷ this | ours (parse only) ÷ this |');
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const [k, r] of Object.entries(s.results)) {
    const vsF = k === OURS ? '–' : fmtRatio(s.results[OURS] ? s.results[OURS].telegramsPerSecond / r.telegramsPerSecond : null);
    const vsP = k === OURS_PARSE_ONLY ? '–' : fmtRatio(s.results[OURS_PARSE_ONLY] ? s.results[OURS_PARSE_ONLY].telegramsPerSecond / r.telegramsPerSecond : null);
    lines.push(`| ${r.label} | ${fmtInt(r.telegramsPerSecond)} | ${r.microsecondsPerTelegram.toFixed(2)} | ${r.spreadPct.toFixed(1)} % | ${vsF} | ${vsP} |`);
  }
  lines.push('');
  if (s.fastestOther) {
    lines.push(
      `ours ÷ fastest other (${s.fastestOther}): framer + parse ${fmtRatio(s.ratios[`${OURS}/fastest-other`])}, parse only ${fmtRatio(s.ratios[`${OURS_PARSE_ONLY}/fastest-other`])}. ` +
        `Cross-check of 1.7.0 / 1.8.1 values: ${s.agreement.compared} compared, ${s.agreement.mismatches.length} mismatch(es).`,
    );
    lines.push('');
  }
  return lines;
}

export function p1ParseMarkdown(r: Result): string[] {
  const lines: string[] = [];
  lines.push(`## Benchmark p1-parse (node ${r.node}, budget ${r.seconds} s, median of ${r.roundsPerSet} alternating rounds)`);
  lines.push('');
  lines.push(...setTable(r.sets.fixtures));
  lines.push(...setTable(r.sets.typical));
  const split = [r.sets['typical-dsmr5'], r.sets['typical-emucs']].filter((s) => s && s.results[OURS]);
  if (split.length) {
    const keys = Object.keys(split[0].results);
    lines.push('### typical set by meter type (telegrams/s)');
    lines.push('');
    lines.push(`| set | ${keys.join(' | ')} | ours ÷ fastest other | ours (parse only) ÷ fastest other |`);
    lines.push(`|---|${keys.map(() => '---:').join('|')}|---:|---:|`);
    for (const s of split) {
      lines.push(
        `| ${s.name} (${s.averageBytes} B) | ${keys.map((k) => (s.results[k] ? fmtInt(s.results[k].telegramsPerSecond) : '–')).join(' | ')} | ` +
          `${fmtRatio(s.ratios[`${OURS}/fastest-other`])} | ${fmtRatio(s.ratios[`${OURS_PARSE_ONLY}/fastest-other`])} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    r.fastestOther === null
      ? `Target: ours (framer + parse) ≥ ${r.target.ratio}× the fastest npm parser — not measured: no comparison parser is installed`
      : `Target: ours (framer + parse) ≥ ${r.target.ratio}× the fastest npm parser — fixtures ${fmtRatio(r.target.fixtures)}, typical ${fmtRatio(r.target.typical)}: **${r.target.met ? 'met' : 'NOT met'}**`,
  );
  lines.push('');
  lines.push('### What each contender does');
  lines.push('');
  for (const [k, c] of Object.entries(r.contenders)) lines.push(`- **${k}**${c.version ? ` ${c.version}` : ''}: ${c.does}`);
  lines.push('');
  lines.push('### Notes');
  lines.push('');
  for (const n of r.notes) lines.push(`- ${n}`);
  for (const s of Object.values(r.sets)) for (const m of s.agreement.mismatches) lines.push(`- ${s.name} mismatch: ${m}`);
  return lines;
}

/** Registration for `home-energy bench p1-parse` (bench/index.ts). */
export const p1ParseBench: BenchDefinition<Result> = {
  summary: 'P1 telegram parser throughput against dsmr-parser and p1-reader',
  options: '[--seconds S] [--json] [--telegrams DIR]',
  valueOptions: ['telegrams'],
  run: (o) => benchP1Parse({ seconds: o.seconds, json: o.json, telegramsDir: str(o.args, 'telegrams') }),
  markdown: p1ParseMarkdown,
  warnings: (r) => {
    const missing = [DSMR_PARSER, P1_READER].filter((k) => !r.contenders[k]);
    if (!missing.length) return [];
    return [
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed, so ours is measured alone` +
        ` (the comparison parsers are devDependencies: run the bench in a clone of the repository after \`npm install\`)`,
    ];
  },
};
