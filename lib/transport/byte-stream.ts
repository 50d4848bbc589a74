/**
 * Reconnecting byte streams: raw TCP (ser2net-style gateways) and serial ports. They emit
 * 'data' (Buffer), 'connected', 'disconnected' (reason) and 'error' (Error with `short` and
 * `code`), and reconnect by themselves with backoff, so a lost gateway or an unplugged USB cable
 * never needs a redeploy. The backoff is capped at RECONNECT_MAX_MS (a TCP connect or a port open
 * is a cheap probe), so the stream is back within about that long after the device returns
 * (issue 11, reliability 2: it used to grow to 30 s).
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { Backoff } from '../util/backoff';
import { Clock, systemClock, Timer } from '../util/clock';

/** First reconnect delay, ms. */
export const RECONNECT_MIN_MS = 1000;
/** Longest reconnect delay, ms: recovery follows within this of the device coming back. */
export const RECONNECT_MAX_MS = 4000;

/** A stream failure: `short` is the status text ("refused 127.0.0.1:2323"), `code` the cause. */
export interface StreamError extends Error {
  short: string;
  code: string;
}

export type SerialFraming = '8N1' | '7E1';

export type ByteStreamConfig =
  | { type: 'tcp'; host: string; port: number; connectTimeoutMs?: number }
  | { type: 'serial'; path: string; baudRate: number; framing?: SerialFraming };

interface Handle {
  write?(b: Buffer): void;
  close(): void;
}

export function describeStream(c: ByteStreamConfig): string {
  return c.type === 'tcp' ? `tcp://${c.host}:${c.port}` : `${c.path} @ ${c.baudRate} ${c.framing ?? '8N1'}`;
}

export class ReconnectingByteStream extends EventEmitter {
  private handle?: Handle;
  private timer?: Timer;
  private stopped = true;
  private readonly backoff: Backoff;
  connected = false;
  reconnects = 0;

  constructor(
    private config: ByteStreamConfig,
    private readonly clock: Clock = systemClock,
    backoff?: { minMs?: number; maxMs?: number },
  ) {
    super();
    this.backoff = new Backoff(backoff?.minMs ?? RECONNECT_MIN_MS, backoff?.maxMs ?? RECONNECT_MAX_MS);
  }

  get description(): string {
    return describeStream(this.config);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  /** Change settings (e.g. baud rate during auto-detection) and reconnect at once. */
  reconfigure(config: ByteStreamConfig): void {
    this.config = config;
    if (this.stopped) return;
    this.drop('reconfigured');
    this.timer?.cancel();
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.drop('stopped');
  }

  private drop(reason: string): void {
    const h = this.handle;
    this.handle = undefined;
    if (h) {
      try {
        h.close();
      } catch {
        /* already closed */
      }
    }
    if (this.connected) {
      this.connected = false;
      this.emit('disconnected', reason);
    }
  }

  private scheduleReconnect(reason: string): void {
    this.drop(reason);
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimeout(() => {
      this.reconnects++;
      this.open();
    }, this.backoff.next());
  }

  private onConnected(): void {
    this.connected = true;
    this.backoff.reset();
    this.emit('connected');
  }

  /** The one failure report of connection `h`: 'error', then reconnect; later calls (and stale handles) do nothing. */
  private failer(h: Handle, c: ByteStreamConfig): (msg: string, code?: string) => void {
    let done = false;
    return (msg, code) => {
      if (done || this.handle !== h) return;
      done = true;
      // `code` and `errno` (ECONNREFUSED, ENOTFOUND, …) let the node and the CLI say what to check without parsing the message.
      const err = streamError(c, msg, code ?? msg);
      this.emit('error', Object.assign(err, { errno: code && /^E[A-Z]+$/.test(code) ? code : undefined }));
      this.scheduleReconnect(msg);
    };
  }

  private onData = (b: Buffer): void => {
    this.emit('data', b);
  };

  private open(): void {
    if (this.stopped) return;
    const c = this.config;
    if (c.type === 'tcp') this.openTcp(c);
    else this.openSerial(c);
  }

  private openTcp(c: Extract<ByteStreamConfig, { type: 'tcp' }>): void {
    const sock = net.connect({ host: c.host, port: c.port });
    const h: Handle = { close: () => sock.destroy(), write: (b) => sock.write(b) };
    this.handle = h;
    sock.setTimeout(c.connectTimeoutMs ?? 10000);
    sock.on('connect', () => {
      sock.setTimeout(0);
      sock.setKeepAlive(true, 10000);
      this.onConnected();
    });
    sock.on('data', this.onData);
    const fail = this.failer(h, c);
    sock.on('timeout', () => fail('connect timeout', 'ETIMEDOUT'));
    sock.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message, e.code));
    sock.on('close', () => fail('connection closed', 'closed'));
  }

  private openSerial(c: Extract<ByteStreamConfig, { type: 'serial' }>): void {
    // serialport is loaded lazily so TCP-only users never touch the native binding.
    let SerialPortCtor: typeof import('serialport').SerialPort;
    try {
      SerialPortCtor = require('serialport').SerialPort;
    } catch (e) {
      this.emit('error', new Error(`serial support unavailable: ${(e as Error).message}`));
      this.scheduleReconnect('no serialport');
      return;
    }
    const seven = c.framing === '7E1';
    const port = new SerialPortCtor({
      path: c.path,
      baudRate: c.baudRate,
      dataBits: seven ? 7 : 8,
      parity: seven ? 'even' : 'none',
      stopBits: 1,
      autoOpen: false,
    });
    const h: Handle = {
      close: () => {
        if (port.isOpen) port.close(() => undefined);
      },
      write: (b) => port.write(b),
    };
    this.handle = h;
    const fail = this.failer(h, c);
    port.on('data', this.onData);
    port.on('error', (e) => fail(e.message, 'serial'));
    port.on('close', () => fail('port closed'));
    port.open((err) => {
      if (err) return fail(err.message, 'serial');
      if (this.handle !== h) return port.close(() => undefined);
      this.onConnected();
    });
  }
}

/** Status words of common socket failures. */
const SHORT_OF_CODE: Record<string, string> = {
  ECONNREFUSED: 'refused',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'no route to',
  ECONNRESET: 'reset by',
  closed: 'closed by',
};

/** The error of a failed stream, with a short status text that names the endpoint. */
export function streamError(c: ByteStreamConfig, msg: string, code: string): StreamError {
  let short: string;
  if (c.type === 'serial') short = `${c.path}: ${msg}`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') short = `unknown host ${c.host}`;
  else short = `${SHORT_OF_CODE[code] ?? msg} ${c.host}:${c.port}`;
  return Object.assign(new Error(`${describeStream(c)}: ${msg}`), { short, code });
}
