/**
 * Loopback servers that put the meter model behind the transports P1 readers use:
 *  - P1TcpServer: raw TCP, like ser2net or an ESP "P1 to Wi-Fi" bridge: every period the current
 *    telegram goes to every connected client; nothing is sent on connect.
 *  - P1PtyServer: a serial pty pair made by socat; the meter writes into one end (`meterPath`),
 *    consumers open the other (`devicePath`) with a serial port library.
 *  - SessyP1HttpServer: the Sessy P1 dongle's `GET /api/v2/p1/details` JSON
 *    (shared/protocols/sessy.md §1.5.10, p1-dsmr.md §2.8).
 *
 * All timers run on the injected Clock. Faults are injected on demand (DESIGN.md §5).
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as net from 'node:net';
import * as tty from 'node:tty';
import { closeServer, listen } from '../transport/net-server';
import { systemClock, type Clock, type Timer } from '../util/clock';
import type { DsmrMeter, MeterSnapshot } from './dsmr-writer';
import { SimHttpServer, basicCredentials, sendJson, sendText } from './http-sim';
import { SocatPair } from './pty';

/** Anything that produces telegrams (DsmrMeter does). */
export interface TelegramSource {
  telegram(): string;
  readonly periodMs?: number;
}

export interface TelegramStreamOptions {
  source: TelegramSource;
  /** Default systemClock. */
  clock?: Clock;
  /** Send period, ms of the clock. Default the source's periodMs, else 1000. */
  periodMs?: number;
}

/**
 * Shared part of the streaming servers: the send timer and the faults.
 * Events: 'telegram' (text actually sent, after faults), 'error'.
 */
abstract class TelegramStreamer extends EventEmitter {
  readonly source: TelegramSource;
  readonly clock: Clock;
  readonly periodMs: number;
  private timer?: Timer;
  private corruptCount = 0;
  private truncateCount = 0;
  private pausedUntil = -Infinity;
  private pauseTimer?: Timer;
  /** Telegrams sent (including faulty ones) since start. */
  sent = 0;
  /** Last asynchronous error (also emitted as 'error' when someone listens). */
  lastError?: Error;

  constructor(opts: TelegramStreamOptions) {
    super();
    this.source = opts.source;
    this.clock = opts.clock ?? systemClock;
    this.periodMs = opts.periodMs ?? opts.source.periodMs ?? 1000;
    if (!(this.periodMs > 0)) throw new Error(`invalid period ${this.periodMs}`);
  }

  protected startTimer(): void {
    this.stopTimer();
    this.timer = this.clock.setInterval(() => this.tick(), this.periodMs);
  }

  protected stopTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.pauseTimer?.cancel();
    this.pauseTimer = undefined;
  }

  protected abstract deliver(data: Buffer): void;

  /** Reports an asynchronous error without crashing a process that does not listen for 'error'. */
  protected fail(e: Error): void {
    this.lastError = e;
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  /** Builds one telegram now, applies pending faults and delivers it (unless paused). */
  tick(): void {
    if (this.clock.now() < this.pausedUntil) return;
    let text: string;
    try {
      text = this.source.telegram();
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (this.truncateCount > 0) {
      this.truncateCount--;
      text = truncate(text);
    } else if (this.corruptCount > 0) {
      this.corruptCount--;
      text = corrupt(text);
    }
    this.sent++;
    this.deliver(Buffer.from(text, 'latin1'));
    this.emit('telegram', text);
  }

  /** Sends bytes that are not a telegram right now (a number = that many pseudo-random bytes). */
  injectGarbage(bytes: number | string | Uint8Array = 64): void {
    let buf: Buffer;
    if (typeof bytes === 'number') {
      buf = Buffer.alloc(bytes);
      let x = 0x2545f491 ^ this.sent;
      for (let i = 0; i < bytes; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        // avoid '/' and '!' so the garbage never looks like a frame boundary
        let b = x & 0xff;
        if (b === 0x2f || b === 0x21) b ^= 0x40;
        buf[i] = b;
      }
    } else buf = Buffer.from(bytes as string);
    this.deliver(buf);
  }

  /** The next n telegrams carry a wrong CRC (one digit of the body altered, as line noise does). */
  corruptNext(n = 1): void {
    this.corruptCount += n;
  }

  /** The next n telegrams are cut off in the middle of a line (no '!', no CRC). */
  truncateNext(n = 1): void {
    this.truncateCount += n;
  }

  /** Sends nothing for ms (clock time): stale data. */
  pause(ms: number): void {
    this.pausedUntil = this.clock.now() + ms;
  }

  resume(): void {
    this.pausedUntil = -Infinity;
  }

  get paused(): boolean {
    return this.clock.now() < this.pausedUntil;
  }
}

/** Cuts a telegram in the middle of a data line (like vector V10 of p1-dsmr.md §2.9). */
function truncate(text: string): string {
  const cut = Math.floor(text.length / 2);
  const nl = text.indexOf('(', cut);
  return text.slice(0, nl > 0 ? nl + 2 : cut);
}

/** Replaces one digit inside the body, keeping the original CRC, so the CRC no longer matches. */
function corrupt(text: string): string {
  const bang = text.lastIndexOf('!');
  for (let i = Math.floor(bang * 0.6); i < bang; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39 && text[i - 1] !== ':' && text[i + 1] !== ':') {
      return text.slice(0, i) + String.fromCharCode(c === 0x39 ? 0x30 : c + 1) + text.slice(i + 1);
    }
  }
  return text.slice(0, bang + 1) + 'FFFF\r\n';
}

// ---------------------------------------------------------------------------------------------
// TCP
// ---------------------------------------------------------------------------------------------

export interface P1TcpServerOptions extends TelegramStreamOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 = ephemeral. */
  port?: number;
  /** Skip a client whose unsent backlog exceeds this many bytes (slow reader). Default 64 KiB. */
  maxBacklog?: number;
}

export class P1TcpServer extends TelegramStreamer {
  readonly host: string;
  private readonly wantPort: number;
  private readonly maxBacklog: number;
  private server?: net.Server;
  private readonly clients = new Set<net.Socket>();

  constructor(opts: P1TcpServerOptions) {
    super(opts);
    this.host = opts.host ?? '127.0.0.1';
    this.wantPort = opts.port ?? 0;
    this.maxBacklog = opts.maxBacklog ?? 65536;
  }

  async start(): Promise<{ host: string; port: number }> {
    if (this.server) return this.address!;
    const server = net.createServer((sock) => {
      this.clients.add(sock);
      sock.setNoDelay(true);
      sock.on('data', () => undefined); // a meter ignores what it receives
      sock.on('error', () => undefined);
      sock.on('close', () => this.clients.delete(sock));
      this.emit('connection', sock.remoteAddress, sock.remotePort);
    });
    await listen(server, this.wantPort, this.host, (e) => this.fail(e));
    this.server = server;
    this.startTimer();
    return this.address!;
  }

  get address(): { host: string; port: number } | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? { host: this.host, port: a.port } : null;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  protected deliver(data: Buffer): void {
    for (const c of this.clients) {
      if (c.destroyed || !c.writable) continue;
      if (c.writableLength > this.maxBacklog) continue;
      c.write(data);
    }
  }

  /** Closes every client connection now (they may reconnect). */
  dropClients(): void {
    for (const c of this.clients) c.destroy();
    this.clients.clear();
  }

  async stop(): Promise<void> {
    this.stopTimer();
    const server = this.server;
    this.server = undefined;
    await closeServer(server, this.clients);
  }
}

// ---------------------------------------------------------------------------------------------
// Serial pty through socat
// ---------------------------------------------------------------------------------------------

export interface P1PtyServerOptions extends TelegramStreamOptions {
  /** Directory for the two links; default a fresh temp dir (removed again by stop()). */
  dir?: string;
  /** Link names; defaults 'meter' (written by us) and 'p1' (opened by consumers). */
  meterName?: string;
  deviceName?: string;
  /** socat executable, default 'socat' from PATH. */
  socat?: string;
  /** How long to wait for socat to create both links, ms (default 5000, on the system clock). */
  readyTimeoutMs?: number;
}

export class P1PtyServer extends TelegramStreamer {
  private readonly pair: SocatPair;
  private out?: tty.WriteStream;
  /** Path consumers open with a serial port (`<dir>/p1`). */
  devicePath = '';
  /** Path the meter writes to (`<dir>/meter`). */
  meterPath = '';

  constructor(opts: P1PtyServerOptions) {
    super(opts);
    this.pair = new SocatPair({
      dir: opts.dir,
      tmpPrefix: 'home-energy-p1-',
      a: opts.meterName ?? 'meter',
      b: opts.deviceName ?? 'p1',
      socat: opts.socat,
      readyTimeoutMs: opts.readyTimeoutMs,
      neededBy: 'the serial P1 simulator',
      hint: 'or run without --pty',
    });
    this.pair.on('exit', (e: Error) => this.fail(e));
  }

  async start(): Promise<{ path: string; meterPath: string }> {
    if (this.out) return { path: this.devicePath, meterPath: this.meterPath };
    try {
      const { a, b } = await this.pair.start();
      this.meterPath = a;
      this.devicePath = b;
      const fd = fs.openSync(a, fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
      this.out = new tty.WriteStream(fd);
      this.out.on('error', (e) => this.fail(e));
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.startTimer();
    return { path: this.devicePath, meterPath: this.meterPath };
  }

  protected deliver(data: Buffer): void {
    const out = this.out;
    if (!out || out.destroyed) return;
    if (out.writableLength > 65536) return; // nobody drains the other end: drop, like a serial line
    out.write(data);
  }

  async stop(): Promise<void> {
    this.stopTimer();
    const out = this.out;
    this.out = undefined;
    if (out) out.destroy();
    await this.pair.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Sessy P1 dongle HTTP
// ---------------------------------------------------------------------------------------------

/** Faults of the Sessy P1 simulator. */
export type SessyP1Fault =
  /** HTTP 500 with a text message in the body (sessy.md §1.3). */
  | 'http500'
  /** 200 with a truncated JSON body. */
  | 'malformed'
  /** Accepts the request and never answers (until stop()). */
  | 'hang'
  /** 200 with JSON whose "status" is not "ok". */
  | 'wrong-status'
  /** 200, status ok, state "P1_NOT_CONNECTED" and zero values (dongle lost the meter). */
  | 'not-connected';

export interface SessyP1HttpServerOptions {
  meter: Pick<DsmrMeter, 'snapshot'>;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 = ephemeral. */
  port?: number;
  /** Require HTTP Basic auth with these credentials (default: open, as the dongle's reads seem to be). */
  auth?: { username: string; password: string };
}

/**
 * Sessy P1 details JSON (sessy.md §1.5.10, mapping p1-dsmr.md §2.8) built from a meter snapshot:
 * Wh, W, mV, mA, gas in dm³ with the raw DSMR capture time. `dsmr_version` is 50 for both profiles
 * (whether the real dongle supports Belgian meters is unconfirmed; e-MUCS is DSMR 5.0.2 based).
 * Phases a meter does not have are 0, as the dongle reports them.
 */
export function sessyP1Details(s: MeterSnapshot): Record<string, unknown> {
  const ph = (i: number) => s.phases[i];
  const o: Record<string, unknown> = {
    status: 'ok',
    state: 'P1_OK',
    dsmr_version: 50,
    header_info: `/${s.header}`,
    equipment_identifier: s.serialHex,
    power_consumed_tariff1: s.energyWh.import1,
    power_produced_tariff1: s.energyWh.export1,
    power_consumed_tariff2: s.energyWh.import2,
    power_produced_tariff2: s.energyWh.export2,
    tariff_indicator: s.tariff,
    power_consumed: s.importW,
    power_produced: s.exportW,
    power_total: s.importW - s.exportW,
    power_failure_any_phase: s.powerFailures,
    long_power_failure_any_phase: s.longPowerFailures,
  };
  for (let i = 0; i < 3; i++) {
    o[`voltage_sag_count_l${i + 1}`] = 0;
    o[`voltage_swell_count_l${i + 1}`] = 0;
  }
  for (let i = 0; i < 3; i++) o[`voltage_l${i + 1}`] = ph(i) ? Math.round(ph(i).voltage * 1000) : 0;
  for (let i = 0; i < 3; i++) o[`current_l${i + 1}`] = ph(i) ? Math.round(ph(i).current * 1000) : 0;
  for (let i = 0; i < 3; i++) o[`power_consumed_l${i + 1}`] = ph(i) ? ph(i).importW : 0;
  for (let i = 0; i < 3; i++) o[`power_produced_l${i + 1}`] = ph(i) ? ph(i).exportW : 0;
  o.gas_meter_value = s.gas ? Math.round(s.gas.m3 * 1000) : 0;
  o.gas_meter_value_time = s.gas ? s.gas.atText : '';
  o.gas_equipment_identifier = s.gas ? s.gas.idHex : '';
  return o;
}

export class SessyP1HttpServer extends EventEmitter {
  static readonly PATH = '/api/v2/p1/details';
  readonly host: string;
  private readonly opts: SessyP1HttpServerOptions;
  private readonly http = new SimHttpServer((req, res) => this.handle(req, res));
  private faults: Array<{ kind: SessyP1Fault; left: number }> = [];
  /** Requests answered (or hung) since start. */
  requests = 0;

  constructor(opts: SessyP1HttpServerOptions) {
    super();
    this.opts = opts;
    this.host = opts.host ?? '127.0.0.1';
  }

  async start(): Promise<{ host: string; port: number; url: string }> {
    const port = await this.http.start(this.opts.port ?? 0, this.host);
    return { host: this.host, port, url: `http://${this.host}:${port}` };
  }

  /** Applies a fault to the next `count` requests of the details endpoint (Infinity = until clearFaults()). */
  fault(kind: SessyP1Fault, count = 1): void {
    this.faults.push({ kind, left: count });
  }

  clearFaults(): void {
    this.faults = [];
  }

  private nextFault(): SessyP1Fault | null {
    const f = this.faults[0];
    if (!f) return null;
    f.left--;
    if (f.left <= 0) this.faults.shift();
    return f.kind;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests++;
    req.resume();
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (code: number, body: unknown) => sendJson(res, code, body);
    const auth = this.opts.auth;
    const cred = basicCredentials(req.headers.authorization);
    if (auth && (cred?.username !== auth.username || cred.password !== auth.password)) {
      sendText(res, 401, 'Unauthorized', { 'www-authenticate': 'Basic realm="Sessy"' });
      return;
    }
    if (url.pathname === SessyP1HttpServer.PATH || url.pathname === '/api/v1/p1/status') {
      if (req.method !== 'GET') {
        sendText(res, 405, 'Method Not Allowed', { allow: 'GET' });
        return;
      }
      const fault = this.nextFault();
      if (fault === 'hang') return; // socket stays open until the client gives up or stop()
      if (fault === 'http500') {
        sendText(res, 500, 'Internal error: P1 telegram buffer unavailable');
        return;
      }
      let details: Record<string, unknown>;
      try {
        details = sessyP1Details(this.opts.meter.snapshot());
      } catch (e) {
        sendText(res, 500, `meter model failed: ${(e as Error).message}`);
        return;
      }
      if (url.pathname === '/api/v1/p1/status') {
        json(200, { status: 'ok', state: 'P1_OK', net_power_delivered: Number(details.power_total) / 1000 });
        return;
      }
      if (fault === 'malformed') {
        const text = JSON.stringify(details);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(text.slice(0, Math.floor(text.length / 2)));
        return;
      }
      if (fault === 'wrong-status') {
        json(200, { ...details, status: 'error', error: 'simulated failure' });
        return;
      }
      if (fault === 'not-connected') {
        const zero: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(details)) zero[k] = typeof v === 'number' ? 0 : v;
        zero.state = 'P1_NOT_CONNECTED';
        zero.status = 'ok';
        zero.dsmr_version = 0;
        json(200, zero);
        return;
      }
      json(200, details);
      return;
    }
    json(404, { status: 'error', error: 'not found' });
  }

  stop(): Promise<void> {
    return this.http.stop();
  }
}
