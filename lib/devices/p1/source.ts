/**
 * A live P1 meter: serial port, raw TCP gateway or Sessy P1 dongle (HTTP), normalized into one
 * stream of `kind: "meter"` readings. Events:
 *   'reading'  ({ reading, telegram?, raw? })   every valid telegram / every successful poll
 *   'invalid'  ({ telegram, raw, reason })      a telegram that failed its CRC, or whose power value is unusable
 *                                               (counted, not emitted as reading)
 *   'problem'  (Error)                          transport or reply problem (the source keeps retrying)
 *   'state'    ('connecting' | 'connected' | 'disconnected')
 */
import { EventEmitter } from 'node:events';
import type { MeterReading } from '../../api/types';
import { ReconnectingByteStream, SerialFraming } from '../../transport/byte-stream';
import { httpJson, baseUrl } from '../../transport/http';
import { Clock, systemClock, Timer } from '../../util/clock';
import { SingleFlight } from '../../util/single-flight';
import { obisCode } from './descriptor';
import { P1Framer } from './framer';
import { telegramToReading } from './normalize';
import { parseTelegram } from './parser';
import { QuarterHourTracker } from './quarter-hour';
import { SESSY_P1_PATH, sessyP1ToReading } from './sessy-p1';
import type { P1Telegram } from './types';

export type P1SourceConfig =
  | { type: 'serial'; path: string; baudRate?: number | 'auto'; framing?: SerialFraming }
  | { type: 'tcp'; host: string; port: number }
  | { type: 'sessy'; url: string; user?: string; password?: string; pollMs?: number; timeoutMs?: number }
  /** No transport: the caller feeds bytes with onBytes() (telegrams arriving on a node's input, files). */
  | { type: 'input' };

export interface P1Counters {
  telegrams: number;
  crcErrors: number;
  /** Values left out of accepted telegrams because they were unusable (telegram.invalid, issue 11 defect 4). */
  badValues: number;
  /** Telegrams with a valid frame whose import or export power was unusable: no reading. */
  rejected: number;
  incomplete: number;
  problems: number;
  lastReadingAt: number | null;
}

export interface P1ReadingEvent {
  reading: MeterReading;
  telegram?: P1Telegram;
  raw?: string;
}

/**
 * A frame still open after this long is dropped as incomplete: DSMR 2.2–4 telegrams finish within their
 * 10 s period, DSMR 5 and e-MUCS within 1 s (p1-dsmr.md §2.11), so the rest will never come.
 */
export const MAX_FRAME_MS = 12_000;

/** How long to wait for a frame before trying the other speed in auto mode (p1-dsmr.md §2.1: ~12 s). */
export const AUTO_BAUD_SWITCH_MS = 12_000;

/** OBIS ids of the total import and export power: a telegram without usable ones gives no reading. */
const POWER_CODES = [obisCode('importPower'), obisCode('exportPower')];

export function validateSourceConfig(c: P1SourceConfig): string | null {
  if (c.type === 'serial') {
    if (!c.path) return 'serial port path is empty';
    if (c.baudRate !== undefined && c.baudRate !== 'auto' && !(Number.isInteger(c.baudRate) && c.baudRate > 0)) return `invalid baud rate ${c.baudRate}`;
  } else if (c.type === 'tcp') {
    if (!c.host) return 'TCP host is empty';
    if (!(Number.isInteger(c.port) && c.port > 0 && c.port < 65536)) return `invalid TCP port ${c.port}`;
  } else if (c.type === 'sessy') {
    if (!c.url) return 'Sessy P1 dongle address is empty';
    if (c.pollMs !== undefined && !(c.pollMs >= 200)) return 'poll interval must be at least 200 ms';
  } else if (c.type !== 'input') return `unknown source type ${(c as { type: string }).type}`;
  return null;
}

export class P1Source extends EventEmitter {
  readonly counters: P1Counters = { telegrams: 0, crcErrors: 0, badValues: 0, rejected: 0, incomplete: 0, problems: 0, lastReadingAt: null };
  private stream?: ReconnectingByteStream;
  private framer = new P1Framer();
  private tracker = new QuarterHourTracker();
  private pollTimer?: Timer;
  private autoTimer?: Timer;
  private running = false;
  private baud: number;
  private readonly polls = new SingleFlight<void>();
  private frameOpenSince: number | null = null;

  constructor(
    readonly config: P1SourceConfig,
    private readonly clock: Clock = systemClock,
    private readonly options: { computeCapacity?: boolean; backoff?: { minMs?: number; maxMs?: number } } = {},
  ) {
    super();
    const err = validateSourceConfig(config);
    if (err) throw new Error(err);
    this.baud = config.type === 'serial' && typeof config.baudRate === 'number' ? config.baudRate : 115200;
  }

  get description(): string {
    const c = this.config;
    if (c.type === 'sessy') return `${baseUrl(c.url)}${SESSY_P1_PATH}`;
    if (c.type === 'input') return 'input';
    return this.stream?.description ?? (c.type === 'tcp' ? `tcp://${c.host}:${c.port}` : c.path);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const c = this.config;
    if (c.type === 'input') return;
    this.emit('state', 'connecting');
    if (c.type === 'sessy') {
      this.poll();
      this.pollTimer = this.clock.setInterval(() => this.poll(), c.pollMs ?? 5000);
      return;
    }
    const streamCfg =
      c.type === 'tcp'
        ? ({ type: 'tcp', host: c.host, port: c.port } as const)
        : ({ type: 'serial', path: c.path, baudRate: this.baud, framing: c.framing ?? '8N1' } as const);
    this.stream = new ReconnectingByteStream(streamCfg, this.clock, this.options.backoff);
    this.stream.on('data', (b: Buffer) => this.onBytes(b));
    this.stream.on('connected', () => {
      this.framer.flush();
      this.emit('state', 'connected');
      this.armAutoBaud();
    });
    this.stream.on('disconnected', () => {
      this.framer.flush();
      this.emit('state', 'disconnected');
    });
    this.stream.on('error', (e: Error) => this.problem(e));
    this.stream.start();
  }

  stop(): void {
    this.running = false;
    this.pollTimer?.cancel();
    this.autoTimer?.cancel();
    this.stream?.stop();
    this.stream?.removeAllListeners();
    this.stream = undefined;
  }

  /** Feed bytes directly (used by the stream, and by tests and the CLI for files). */
  onBytes(b: Uint8Array | string): void {
    const now = this.clock.now();
    if (this.frameOpenSince !== null && now - this.frameOpenSince > MAX_FRAME_MS && this.framer.collecting) {
      this.framer.flush();
      this.counters.incomplete++;
    }
    const before = this.framer.counters.aborted + this.framer.counters.oversize;
    const frames = this.framer.push(b);
    this.counters.incomplete += this.framer.counters.aborted + this.framer.counters.oversize - before;
    if (!this.framer.collecting) this.frameOpenSince = null;
    else if (frames.length || this.frameOpenSince === null) this.frameOpenSince = now;
    for (const raw of frames) this.onFrame(raw);
  }

  private onFrame(raw: string): void {
    const now = this.clock.now();
    const telegram = parseTelegram(raw);
    if (!telegram.crcValid) {
      this.counters.crcErrors++;
      this.emit('invalid', { telegram, raw, reason: telegram.crc === 'missing' ? 'telegram has no CRC' : `CRC mismatch (sent ${telegram.crcGiven}, computed ${telegram.crcComputed})` });
      return;
    }
    this.autoTimer?.cancel();
    if (telegram.invalid) this.counters.badValues += telegram.invalid.length;
    if (telegram.power === null && telegram.invalid && POWER_CODES.some((c) => telegram.invalid!.includes(c))) {
      this.counters.rejected++;
      this.emit('invalid', { telegram, raw, reason: `unusable power value (${telegram.invalid.filter((c) => POWER_CODES.includes(c)).join(', ')})` });
      return;
    }
    const reading = telegramToReading(telegram, now, this.options.computeCapacity === false ? undefined : this.tracker);
    if (!reading) return;
    this.counters.telegrams++;
    this.counters.lastReadingAt = now;
    this.emit('reading', { reading, telegram, raw } satisfies P1ReadingEvent);
  }

  private armAutoBaud(): void {
    const c = this.config;
    if (c.type !== 'serial' || c.baudRate !== 'auto') return;
    this.autoTimer?.cancel();
    this.autoTimer = this.clock.setTimeout(() => {
      if (!this.running || !this.stream) return;
      this.baud = this.baud === 115200 ? 9600 : 115200;
      this.problem(Object.assign(new Error(`no telegram at the current speed; trying ${this.baud} baud`), { short: `no telegram, trying ${this.baud} Bd`, code: 'autobaud' }));
      this.stream.reconfigure({ type: 'serial', path: c.path, baudRate: this.baud, framing: c.framing ?? '8N1' });
    }, AUTO_BAUD_SWITCH_MS);
  }

  private problem(e: Error): void {
    this.counters.problems++;
    this.emit('problem', e);
  }

  /** Polls the Sessy P1 endpoint unless a poll is still in flight. */
  private poll(): void {
    if (this.running) this.polls.poke(() => this.pollOnce());
  }

  private async pollOnce(): Promise<void> {
    const c = this.config;
    if (c.type !== 'sessy') return;
    try {
      const body = await httpJson(baseUrl(c.url) + SESSY_P1_PATH, { user: c.user, password: c.password, timeoutMs: c.timeoutMs ?? 4000, retries: 1 });
      if (!this.running) return;
      const now = this.clock.now();
      const reading = sessyP1ToReading(body, now);
      if (this.options.computeCapacity !== false) reading.capacity = this.tracker.update(reading.timestamp, reading.importPower ?? Math.max(0, reading.power));
      this.counters.telegrams++;
      this.counters.lastReadingAt = now;
      this.emit('state', 'connected');
      this.emit('reading', { reading, raw: JSON.stringify(body) } satisfies P1ReadingEvent);
    } catch (e) {
      if (this.running) this.problem(e as Error);
    }
  }
}
