/**
 * A Modbus client link over one physical connection: Modbus TCP, Modbus TCP over TLS, RTU on a
 * serial port, or RTU frames on a TCP socket (a serial gateway in transparent mode).
 *
 * Behaviour (DESIGN.md §3, house rule 4):
 * - one FIFO per link and one transaction on the wire at a time, also on TCP — small devices and
 *   RS485 gateways handle nothing else reliably, and it keeps the order obvious;
 * - each request carries its unit id; a failing request (timeout, exception, CRC) rejects only its
 *   own promise and the queue moves on, so a dead unit on a bus never stalls a live one;
 * - a reply must come from the asked unit: on TCP another MBAP unit id rejects the request with
 *   'malformed', on RTU bytes from another address are skipped (so it ends in 'timeout');
 * - late replies are discarded: on TCP by transaction id (and a frame still incomplete when its
 *   request times out is dropped), on RTU by flushing the receive buffer
 *   before each request and skipping bytes that cannot start the expected reply (RTU has no
 *   transaction ids, so a reply that arrives after its timeout AND after the next request to the
 *   same unit and function code is sent cannot be told apart — the inter-request delay makes that
 *   unlikely);
 * - connects lazily on the first request, reconnects by itself with backoff (1 s, 2 s, then every
 *   3 s, reset after a good reply; issue 11: a 30 s cap kept a device that had come back unread
 *   for up to 30 s): a connect attempt is the cheap probe while the device is down. While it waits
 *   to reconnect, requests fail at once with the connection failure's code ('disconnected',
 *   'not-modbus', 'tls-untrusted', …) instead of piling up;
 * - reads beyond maxQueue are rejected with 'queue-full'; writes and custom function codes are
 *   always queued, never dropped.
 *
 * Timers go through the injected Clock (house rule 7).
 */
import { EventEmitter } from 'node:events';
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Backoff } from '../../util/backoff';
import { Clock, systemClock, Timer } from '../../util/clock';
import { errnoShort, exceptionName, ModbusError } from './errors';
import { clientPairProblem, normalizePem } from './pem';
import {
  decodeRtuAdu,
  decodeTcpAdus,
  encodeRequestPdu,
  encodeRtuAdu,
  encodeTcpAdu,
  FC_READ_HOLDING,
  FC_READ_INPUT,
  FC_WRITE_MULTIPLE,
  FC_WRITE_SINGLE,
  ModbusRequest,
  parseReplyPdu,
  ReplyLengthFn,
  requestProblem,
  rtuReplyLength,
  rtuSilenceMs,
} from './frame';
import type { LinkCounters, ModbusEndpoint, ModbusErrorCode, ModbusLink, ModbusLinkOptions, ModbusRequestOptions } from './types';

export type CustomRequestOptions = ModbusRequestOptions & {
  replyLength?: ReplyLengthFn;
  /** Send and do not wait for a reply (broadcasts such as Sofar's 0x88 heartbeat); resolves to an empty Buffer. */
  noReply?: boolean;
};

/** Pool key of an endpoint: tcp://host:port, tls://host:port, rtu:/dev/x, rtu-tcp://host:port. */
export function endpointKey(e: ModbusEndpoint): string {
  switch (e.transport) {
    case 'tcp':
      return `tcp://${e.host}:${e.port ?? 502}`;
    case 'tls':
      return `tls://${e.host}:${e.port ?? 802}`;
    case 'rtu-over-tcp':
      return `rtu-tcp://${e.host}:${e.port ?? 502}`;
    case 'rtu':
      return `rtu:${e.path}`;
  }
}

/** Key plus the serial settings, for status and logs: "rtu:/dev/ttyUSB0 9600 8N1". */
export function describeEndpoint(e: ModbusEndpoint): string {
  if (e.transport !== 'rtu') return endpointKey(e);
  const p = { none: 'N', even: 'E', odd: 'O' }[e.parity ?? 'none'];
  return `${endpointKey(e)} ${e.baudRate ?? 9600} ${e.dataBits ?? 8}${p}${e.stopBits ?? 1}`;
}

/** Why an endpoint cannot be used, or undefined. */
export function endpointProblem(e: ModbusEndpoint): string | undefined {
  if (!e || !['tcp', 'tls', 'rtu', 'rtu-over-tcp'].includes(e.transport)) return `transport must be tcp, tls, rtu or rtu-over-tcp`;
  if (e.transport === 'rtu') {
    if (!e.path || typeof e.path !== 'string') return 'rtu needs a serial port path';
    if (e.baudRate !== undefined && !(Number.isInteger(e.baudRate) && e.baudRate > 0)) return `baud rate ${e.baudRate} is not a positive integer`;
    if (e.dataBits !== undefined && e.dataBits !== 7 && e.dataBits !== 8) return 'data bits must be 7 or 8';
    if (e.stopBits !== undefined && e.stopBits !== 1 && e.stopBits !== 2) return 'stop bits must be 1 or 2';
    if (e.parity !== undefined && !['none', 'even', 'odd'].includes(e.parity)) return 'parity must be none, even or odd';
    return undefined;
  }
  if (!e.host || typeof e.host !== 'string') return `${e.transport} needs a host`;
  if (e.port !== undefined && !(Number.isInteger(e.port) && e.port > 0 && e.port < 65536)) return `port ${e.port} is not in 1..65535`;
  if (e.transport === 'tls' && e.tls) {
    if (e.tls.fingerprint256 !== undefined && !normalizeFingerprint(e.tls.fingerprint256)) return 'TLS fingerprint must be 64 hex digits (SHA-256), colons optional';
    if (e.tls.ca !== undefined && !pemCertificates(e.tls.ca).length) return 'TLS certificate to pin is not a PEM certificate';
    const pair = clientPairProblem(e.tls.cert, e.tls.key);
    if (pair) return pair;
  }
  return undefined;
}

/** "ab:cd…" / "ABCD…" → "AB:CD:…" (64 hex digits), or undefined when it is not a SHA-256 fingerprint. */
export function normalizeFingerprint(f: string): string | undefined {
  const hex = String(f).replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}

/** Certificates in a PEM text (a bundle may hold several). */
function pemCertificates(pem: string): crypto.X509Certificate[] {
  const blocks = normalizePem(String(pem)).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const out: crypto.X509Certificate[] = [];
  for (const b of blocks) {
    try {
      out.push(new crypto.X509Certificate(b));
    } catch {
      /* not a certificate */
    }
  }
  return out;
}

interface ConnectionHandlers {
  open(): void;
  data(b: Buffer): void;
  lost(reason: string, f?: Failure): void;
}

interface Connection {
  write(b: Buffer): void;
  destroy(): void;
  /** Resolves when the underlying handle is closed. */
  closed: Promise<void>;
}

interface Pending {
  unit: number;
  req: ModbusRequest;
  timeoutMs: number;
  replyLength?: ReplyLengthFn;
  noReply: boolean;
  resolve(v: { words?: number[]; data?: Buffer }): void;
  reject(e: ModbusError): void;
}

interface Active {
  p: Pending;
  transactionId: number;
  timer?: Timer;
  silence?: Timer;
}

type State = 'idle' | 'connecting' | 'connected' | 'backoff' | 'closed';

/** Why the last connection attempt failed or the connection was lost. */
interface Failure {
  code: ModbusErrorCode;
  short?: string;
  errno?: string;
  fingerprint256?: string;
}

/** Default reconnect backoff, ms: 1 s, 2 s, then every 3 s (see the file comment). */
export const RECONNECT_MIN_MS = 1000;
export const RECONNECT_MAX_MS = 3000;

const fcName = (fc: number) => `FC 0x${fc.toString(16).toUpperCase().padStart(2, '0')}`;

export class ModbusClientLink extends EventEmitter implements ModbusLink {
  readonly key: string;
  readonly description: string;
  private state: State = 'idle';
  private conn?: Connection;
  private queue: Pending[] = [];
  private active?: Active;
  /** Connect delay or inter-request delay in progress. */
  private pause?: Timer;
  private reconnectTimer?: Timer;
  private connectTimer?: Timer;
  private rx: Buffer = Buffer.alloc(0);
  private transactionId = 0;
  private readonly backoff: Backoff;
  private readonly framing: 'mbap' | 'rtu';
  private readonly opts: Required<Omit<ModbusLinkOptions, 'backoffMinMs' | 'backoffMaxMs'>>;
  private readonly silenceMs: number;
  private readonly c: LinkCounters = { requests: 0, errors: 0, timeouts: 0, queue: 0, reconnects: 0 };
  private hadConnection = false;
  private reconnectAt = 0;
  private failure: Failure = { code: 'disconnected' };
  /** Last connection problem, for messages and describe(). */
  lastError?: string;
  /** Connection attempts made (the first connect included). */
  connectAttempts = 0;

  constructor(
    readonly endpoint: ModbusEndpoint,
    options: ModbusLinkOptions = {},
    private readonly clock: Clock = systemClock,
  ) {
    super();
    const problem = endpointProblem(endpoint);
    if (problem) throw new ModbusError('invalid', `modbus link: ${problem}`);
    this.key = endpointKey(endpoint);
    this.description = describeEndpoint(endpoint);
    this.framing = endpoint.transport === 'tcp' || endpoint.transport === 'tls' ? 'mbap' : 'rtu';
    const num = (v: number | undefined, d: number, min = 0) => (typeof v === 'number' && Number.isFinite(v) && v >= min ? v : d);
    this.opts = {
      timeoutMs: num(options.timeoutMs, 1000, 1),
      interRequestDelayMs: num(options.interRequestDelayMs, this.framing === 'rtu' ? 20 : 0),
      connectDelayMs: num(options.connectDelayMs, 0),
      maxQueue: Math.floor(num(options.maxQueue, 64, 1)),
      connectTimeoutMs: num(options.connectTimeoutMs, 3000, 1),
      silenceMs: num(options.silenceMs, 0),
    };
    this.silenceMs = this.opts.silenceMs || rtuSilenceMs(endpoint.baudRate ?? 9600, endpoint.dataBits, endpoint.parity, endpoint.stopBits);
    this.backoff = new Backoff(num(options.backoffMinMs, RECONNECT_MIN_MS, 1), num(options.backoffMaxMs, RECONNECT_MAX_MS, 1));
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  get counters(): LinkCounters {
    return { ...this.c, queue: this.queue.length };
  }

  /** The effective options (defaults filled in). */
  get options(): Readonly<ModbusLinkOptions> {
    return { ...this.opts };
  }

  // -------------------------------------------------------------------------------------------
  // Public requests
  // -------------------------------------------------------------------------------------------

  async readHoldingRegisters(unit: number, address: number, count: number, o?: ModbusRequestOptions): Promise<number[]> {
    return (await this.submit(unit, { kind: 'read', fc: FC_READ_HOLDING, address, count }, o)).words!;
  }

  async readInputRegisters(unit: number, address: number, count: number, o?: ModbusRequestOptions): Promise<number[]> {
    return (await this.submit(unit, { kind: 'read', fc: FC_READ_INPUT, address, count }, o)).words!;
  }

  async writeSingleRegister(unit: number, address: number, value: number, o?: ModbusRequestOptions): Promise<void> {
    await this.submit(unit, { kind: 'write-single', fc: FC_WRITE_SINGLE, address, value }, o);
  }

  async writeMultipleRegisters(unit: number, address: number, values: number[], o?: ModbusRequestOptions): Promise<void> {
    await this.submit(unit, { kind: 'write-multiple', fc: FC_WRITE_MULTIPLE, address, values: Array.isArray(values) ? [...values] : values }, o);
  }

  async custom(unit: number, functionCode: number, data: Buffer, o?: CustomRequestOptions): Promise<Buffer> {
    return (await this.submit(unit, { kind: 'custom', fc: functionCode, data: Buffer.isBuffer(data) ? Buffer.from(data) : data }, o)).data ?? Buffer.alloc(0);
  }

  /**
   * Stop for good: pending requests reject with 'closed', the connection closes. Resolves when
   * the socket or serial port is closed (at most ~2 s for a serial port that hangs).
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    this.reconnectTimer?.cancel();
    this.connectTimer?.cancel();
    this.pause?.cancel();
    this.pause = undefined;
    const err = (p: Pending) => new ModbusError('closed', `${this.where(p.unit)}: link closed`);
    if (this.active) this.finishActive(undefined, err(this.active.p), false);
    for (const p of this.queue.splice(0)) {
      this.c.errors++;
      p.reject(err(p));
    }
    const conn = this.conn;
    this.conn = undefined;
    if (conn) {
      conn.destroy();
      let guard: Timer | undefined;
      await Promise.race([conn.closed, new Promise<void>((r) => (guard = this.clock.setTimeout(r, 2000)))]);
      guard?.cancel();
    }
    if (wasConnected) this.emit('disconnected', 'closed');
    this.emitCounters();
  }

  // -------------------------------------------------------------------------------------------
  // Queue
  // -------------------------------------------------------------------------------------------

  private where(unit: number): string {
    return `${this.key} unit ${unit}`;
  }

  private submit(unit: number, req: ModbusRequest, o: CustomRequestOptions = {}): Promise<{ words?: number[]; data?: Buffer }> {
    return new Promise((resolve, reject) => {
      const fail = (code: ModbusErrorCode, msg: string) => {
        if (code !== 'invalid') this.c.errors++;
        reject(new ModbusError(code, `${this.where(unit)}: ${msg}`));
        if (code !== 'invalid') this.emitCounters();
      };
      if (this.state === 'closed') return fail('closed', 'link closed');
      if (!Number.isInteger(unit) || unit < 0 || unit > 255) return fail('invalid', `unit id ${unit} is not in 0..255`);
      const problem = requestProblem(req);
      if (problem) return fail('invalid', `${fcName(req.fc)}: ${problem}`);
      const timeoutMs = o.timeoutMs !== undefined && Number.isFinite(o.timeoutMs) && o.timeoutMs > 0 ? o.timeoutMs : this.opts.timeoutMs;
      if (req.kind === 'read' && this.queue.length >= this.opts.maxQueue) {
        return fail('queue-full', `queue full (${this.queue.length} requests waiting), read of ${req.count} at ${req.address} rejected`);
      }
      if (this.state === 'backoff') {
        const inMs = Math.max(0, this.reconnectAt - this.clock.now());
        return this.failNow(reject, unit, `not connected (${this.lastError ?? 'connection lost'}), next attempt in ${inMs} ms`);
      }
      // RTU unit 0 is the broadcast address: devices execute and never answer (serial line spec §2.2).
      const noReply = o.noReply === true || (this.framing === 'rtu' && unit === 0);
      this.queue.push({ unit, req, timeoutMs, replyLength: o.replyLength, noReply, resolve, reject });
      this.emitCounters();
      this.pump();
    });
  }

  private pump(): void {
    if (this.active || this.pause || !this.queue.length) return;
    switch (this.state) {
      case 'idle':
        this.connect();
        return;
      case 'connected':
        this.send(this.queue.shift()!);
        return;
      default:
        return; // connecting: wait; backoff: requests were failed; closed: nothing
    }
  }

  private send(p: Pending): void {
    const pdu = encodeRequestPdu(p.req);
    let adu: Buffer;
    if (this.framing === 'mbap') {
      this.transactionId = (this.transactionId + 1) & 0xffff;
      adu = encodeTcpAdu(this.transactionId, p.unit, pdu);
    } else {
      this.rx = Buffer.alloc(0); // flush whatever arrived late
      adu = encodeRtuAdu(p.unit, pdu);
    }
    const a: Active = { p, transactionId: this.transactionId };
    this.active = a;
    this.c.requests++;
    this.emitCounters();
    if (!p.noReply) {
      a.timer = this.clock.setTimeout(() => {
        if (this.active !== a) return;
        this.c.timeouts++;
        // A frame still incomplete now (an MBAP length larger than what was sent) must not swallow the next reply.
        if (this.framing === 'mbap') this.rx = Buffer.alloc(0);
        this.finishActive(undefined, new ModbusError('timeout', `${this.where(p.unit)}: timeout after ${p.timeoutMs} ms (${fcName(p.req.fc)}${describeRequest(p.req)})`));
      }, p.timeoutMs);
    }
    try {
      this.conn!.write(adu);
    } catch (e) {
      this.onConnectionLost(this.conn!, `write failed: ${(e as Error).message}`);
      return;
    }
    if (p.noReply) this.finishActive({ data: Buffer.alloc(0) });
  }

  /** End the transaction in flight with a result or an error, then pause and go on. */
  private finishActive(result?: { words?: number[]; data?: Buffer }, err?: ModbusError, next = true): void {
    const a = this.active;
    if (!a) return;
    this.active = undefined;
    a.timer?.cancel();
    a.silence?.cancel();
    if (this.framing === 'rtu') this.rx = Buffer.alloc(0);
    if (err) {
      this.c.errors++;
      a.p.reject(err);
    } else {
      a.p.resolve(result ?? {});
    }
    this.emitCounters();
    if (!next || this.state !== 'connected') return;
    if (this.opts.interRequestDelayMs > 0) this.startPause(this.opts.interRequestDelayMs);
    else this.pump();
  }

  private startPause(ms: number): void {
    this.pause?.cancel();
    const t = this.clock.setTimeout(() => {
      if (this.pause !== t) return;
      this.pause = undefined;
      this.pump();
    }, ms);
    this.pause = t;
  }

  /** An error carrying the last connection failure's code, short text and details. */
  private connectionError(unit: number, text: string): ModbusError {
    const f = this.failure;
    const e = new ModbusError(f.code, `${this.where(unit)}: ${text}`, undefined, f.short);
    if (f.errno) e.errno = f.errno;
    if (f.fingerprint256) e.fingerprint256 = f.fingerprint256;
    return e;
  }

  private failNow(reject: (e: ModbusError) => void, unit: number, text: string): void {
    this.c.errors++;
    reject(this.connectionError(unit, text));
    this.emitCounters();
  }

  private failQueued(reason: string): void {
    for (const p of this.queue.splice(0)) {
      this.c.errors++;
      p.reject(this.connectionError(p.unit, reason));
    }
    this.emitCounters();
  }

  private emitCounters(): void {
    if (this.listenerCount('counters')) this.emit('counters', this.counters);
  }

  // -------------------------------------------------------------------------------------------
  // Replies
  // -------------------------------------------------------------------------------------------

  private onData(conn: Connection, chunk: Buffer): void {
    if (conn !== this.conn) return;
    if (this.framing === 'mbap') {
      const { adus, rest, error } = decodeTcpAdus(this.rx.length ? Buffer.concat([this.rx, chunk]) : chunk);
      this.rx = rest;
      for (const adu of adus) {
        const a = this.active;
        // A reply with another transaction id belongs to a request that already timed out.
        if (!a || a.p.noReply || adu.transactionId !== a.transactionId) continue;
        // The server must return the request's unit id (MODBUS Messaging on TCP/IP Implementation
        // Guide, MBAP header); another one means another device answered.
        if (adu.unit !== a.p.unit) {
          this.finishActive(undefined, new ModbusError('malformed', `${this.where(a.p.unit)}: reply from unit ${adu.unit} to ${fcName(a.p.req.fc)}${describeRequest(a.p.req)}`));
        } else this.complete(a, adu.pdu);
      }
      if (error) this.onConnectionLost(conn, `this is not a Modbus TCP device (it answered with something else: ${error})`, { code: 'not-modbus' });
      return;
    }
    const a = this.active;
    if (!a || a.p.noReply) return; // nothing expected: stale bytes
    this.rx = this.rx.length ? Buffer.concat([this.rx, chunk]) : chunk;
    this.scanRtu(a);
  }

  private scanRtu(a: Active): void {
    const { unit, req, replyLength } = a.p;
    for (;;) {
      if (this.active !== a) return;
      const rx = this.rx;
      if (rx.length === 0) return;
      // Skip bytes that cannot start the expected reply (tail of a late reply, line noise).
      if (rx[0] !== unit || (rx.length > 1 && (rx[1] & 0x7f) !== req.fc)) {
        this.rx = rx.subarray(1);
        continue;
      }
      const len = rtuReplyLength(req.fc, rx, replyLength);
      if (len === undefined) return;
      if (len === 'silence') {
        // End of frame = no byte for 3.5 character times.
        a.silence?.cancel();
        a.silence = this.clock.setTimeout(() => {
          if (this.active === a) this.completeRtu(a, this.rx);
        }, this.silenceMs);
        return;
      }
      if (rx.length < len) return;
      this.completeRtu(a, rx.subarray(0, len));
      return;
    }
  }

  private completeRtu(a: Active, frame: Buffer): void {
    const d = decodeRtuAdu(frame);
    if ('error' in d) {
      const code = d.error === 'crc' ? 'crc' : 'malformed';
      this.finishActive(undefined, new ModbusError(code, `${this.where(a.p.unit)}: ${code === 'crc' ? 'CRC error' : 'malformed reply'} (${d.message})`));
      return;
    }
    this.complete(a, d.pdu);
  }

  private complete(a: Active, pdu: Buffer): void {
    this.backoff.reset(); // the device answered: the connection is good
    const r = parseReplyPdu(a.p.req, pdu);
    const w = this.where(a.p.unit);
    if (r.ok) return this.finishActive({ words: r.words, data: r.data });
    if ('exception' in r) {
      return this.finishActive(
        undefined,
        new ModbusError('exception', `${w}: exception ${r.exception} (${exceptionName(r.exception)}) to ${fcName(a.p.req.fc)}${describeRequest(a.p.req)}`, r.exception),
      );
    }
    this.finishActive(undefined, new ModbusError('malformed', `${w}: malformed reply to ${fcName(a.p.req.fc)}: ${r.malformed}`));
  }

  // -------------------------------------------------------------------------------------------
  // Connection
  // -------------------------------------------------------------------------------------------

  private connect(): void {
    if (this.state === 'closed') return;
    this.state = 'connecting';
    this.connectAttempts++;
    this.rx = Buffer.alloc(0);
    let conn: Connection;
    const handlers = {
      open: () => this.onOpen(conn),
      data: (b: Buffer) => this.onData(conn, b),
      lost: (reason: string, f?: Failure) => this.onConnectionLost(conn, reason, f),
    };
    try {
      conn = this.openConnection(handlers);
    } catch (e) {
      conn = { write: () => undefined, destroy: () => undefined, closed: Promise.resolve() };
      this.conn = conn;
      // tls.connect throws synchronously on a key or certificate it cannot load.
      const tlsKey = this.endpoint.transport === 'tls' && /key|cert|PEM|asn1|decoder/i.test((e as Error).message);
      this.onConnectionLost(conn, tlsKey ? `client certificate or key cannot be used: ${(e as Error).message}` : (e as Error).message, tlsKey ? { code: 'tls-key' } : undefined);
      return;
    }
    this.conn = conn;
    this.connectTimer?.cancel();
    this.connectTimer = this.clock.setTimeout(() => {
      if (this.conn === conn && this.state === 'connecting') this.onConnectionLost(conn, `connect timeout after ${this.opts.connectTimeoutMs} ms`, { code: 'disconnected', short: 'connect timeout', errno: 'ETIMEDOUT' });
    }, this.opts.connectTimeoutMs);
  }

  private onOpen(conn: Connection): void {
    if (conn !== this.conn || this.state !== 'connecting') return;
    this.connectTimer?.cancel();
    this.state = 'connected';
    this.lastError = undefined;
    this.failure = { code: 'disconnected' };
    if (this.hadConnection) this.c.reconnects++;
    this.hadConnection = true;
    this.emit('connected');
    if (this.opts.connectDelayMs > 0) this.startPause(this.opts.connectDelayMs);
    else this.pump();
    this.emitCounters();
  }

  private onConnectionLost(conn: Connection, reason: string, f?: Failure): void {
    if (conn !== this.conn || this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.failure = f ?? { code: 'disconnected' };
    if (!this.failure.short && this.failure.errno) this.failure.short = errnoShort(this.failure.errno);
    this.conn = undefined;
    conn.destroy();
    this.connectTimer?.cancel();
    this.pause?.cancel();
    this.pause = undefined;
    this.lastError = reason;
    this.state = 'backoff';
    if (this.active) {
      const p = this.active.p;
      this.finishActive(undefined, this.connectionError(p.unit, `${wasConnected ? 'connection lost' : 'not connected'}: ${reason}`), false);
    }
    this.failQueued(`${wasConnected ? 'connection lost' : 'not connected'}: ${reason}`);
    if (wasConnected) this.emit('disconnected', reason);
    this.reconnectTimer?.cancel();
    const wait = this.backoff.next();
    this.reconnectAt = this.clock.now() + wait;
    this.emit('reconnecting', wait);
    this.reconnectTimer = this.clock.setTimeout(() => {
      if (this.state === 'backoff') this.connect();
    }, wait);
  }

  private openConnection(h: ConnectionHandlers): Connection {
    const e = this.endpoint;
    if (e.transport === 'rtu') return this.openSerial(h);
    let sock: net.Socket;
    if (e.transport === 'tls') {
      const t = e.tls ?? {};
      const ca = t.ca ? pemCertificates(t.ca) : [];
      const pin = t.fingerprint256 ? normalizeFingerprint(t.fingerprint256) : undefined;
      const s = tls.connect({
        host: e.host,
        port: e.port ?? 802,
        servername: t.servername ?? (net.isIP(e.host!) ? undefined : e.host),
        ca: t.ca ? normalizePem(t.ca) : undefined,
        cert: t.cert ? normalizePem(t.cert) : undefined,
        key: t.key ? normalizePem(t.key) : undefined,
        minVersion: 'TLSv1.2',
        // Verification is done below on 'secureConnect', so the message can say how to fix it.
        rejectUnauthorized: false,
      });
      s.once('secureConnect', () => {
        const problem = this.checkPeer(s, ca, pin, t.insecure === true);
        if (problem) h.lost(problem.reason, { code: problem.code, fingerprint256: problem.fingerprint256 });
        else h.open();
      });
      sock = s;
    } else {
      sock = net.connect({ host: e.host, port: e.port ?? 502 });
      sock.once('connect', () => h.open());
    }
    sock.setNoDelay(true);
    sock.on('data', (b: Buffer) => h.data(b));
    sock.on('error', (err: NodeJS.ErrnoException) =>
      h.lost(err.code && !err.message.includes(err.code) ? `${err.message} (${err.code})` : err.message, { code: 'disconnected', errno: typeof err.code === 'string' ? err.code : undefined }),
    );
    sock.on('close', () => h.lost('connection closed by the device'));
    const closed = new Promise<void>((r) => (sock.destroyed ? r() : sock.once('close', () => r())));
    return {
      write: (b) => sock.write(b),
      destroy: () => sock.destroy(),
      closed,
    };
  }

  /**
   * TLS trust decision; undefined = accept. The messages are written for the edit dialog; `code`
   * ('tls-fingerprint', 'tls-untrusted') and `fingerprint256` let the CLI word its own hint.
   */
  private checkPeer(s: tls.TLSSocket, ca: crypto.X509Certificate[], pin: string | undefined, insecure: boolean): { reason: string; code: ModbusErrorCode; fingerprint256: string } | undefined {
    const peer = s.getPeerCertificate();
    const fp = peer && peer.fingerprint256 ? peer.fingerprint256.toUpperCase() : '(none)';
    if (insecure) return undefined;
    const untrusted = (reason: string) => ({ reason, code: 'tls-untrusted' as const, fingerprint256: fp });
    if (pin) {
      return fp === pin ? undefined : { reason: `TLS certificate fingerprint ${fp} does not match the pinned ${pin}`, code: 'tls-fingerprint', fingerprint256: fp };
    }
    if (ca.length) {
      // A pinned device certificate is trusted as itself, whatever names it carries (devices are
      // reached by IP address and their certificates rarely name it).
      if (ca.some((c) => c.fingerprint256.toUpperCase() === fp)) return undefined;
      if (s.authorized) return undefined;
      return untrusted(`TLS certificate not trusted (${s.authorizationError}): it is neither the pinned certificate nor signed by it (SHA-256 ${fp})`);
    }
    if (s.authorized) return undefined;
    const err = String(s.authorizationError);
    const selfSigned = /SELF_SIGNED|UNABLE_TO_VERIFY_LEAF|UNABLE_TO_GET_ISSUER/.test(err);
    return untrusted(
      `TLS certificate not trusted (${err})` +
        (selfSigned ? ': the device presents a self-signed certificate' : '') +
        `. Pin it in the link settings (certificate PEM, or fingerprint ${fp}), or choose "accept self-signed" if you trust this network`,
    );
  }

  private openSerial(h: ConnectionHandlers): Connection {
    const e = this.endpoint;
    // serialport is loaded lazily so TCP-only users never load the native binding.
    const { SerialPort } = require('serialport') as typeof import('serialport');
    const port = new SerialPort({
      path: e.path!,
      baudRate: e.baudRate ?? 9600,
      dataBits: e.dataBits ?? 8,
      parity: e.parity ?? 'none',
      stopBits: e.stopBits ?? 1,
      autoOpen: false,
    });
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    port.on('data', (b: Buffer) => h.data(b));
    port.on('error', (err: Error) => h.lost(err.message));
    port.on('close', () => {
      resolveClosed();
      h.lost('serial port closed');
    });
    port.open((err) => {
      if (err) {
        resolveClosed();
        h.lost(err.message);
      } else h.open();
    });
    return {
      write: (b) => {
        port.write(b);
      },
      destroy: () => {
        if (port.isOpen) port.close(() => resolveClosed());
        else if (!port.opening) resolveClosed();
        else port.once('open', () => port.close(() => resolveClosed()));
      },
      closed,
    };
  }
}

function describeRequest(r: ModbusRequest): string {
  switch (r.kind) {
    case 'read':
      return ` read ${r.count} at ${r.address}`;
    case 'write-single':
      return ` write at ${r.address}`;
    case 'write-multiple':
      return ` write ${r.values.length} at ${r.address}`;
    default:
      return '';
  }
}

/** A new, unshared link. Nodes use acquireLink() from pool.ts instead. */
export function createModbusLink(endpoint: ModbusEndpoint, options?: ModbusLinkOptions, clock?: Clock): ModbusClientLink {
  return new ModbusClientLink(endpoint, options, clock);
}
