/**
 * A Modbus server (slave) core: the device simulators put their register maps behind it, and the
 * KSEM node uses it to receive the meter's pushed registers (KSEM "Modbus master" mode,
 * protocols/ksem.md §1.2). Transports: Modbus TCP, Modbus TCP over TLS (key/cert given), RTU on a
 * byte stream (a serial port or pty opened with serialport, or any Duplex) and RTU frames on TCP.
 *
 * The handler answers with register words, `{ exception: n }`, or (custom function codes) reply
 * bytes; it may return a Promise. Requests on one connection are answered in order.
 *
 * Fault injection for tests and the virtual home, settable at runtime for all units (`faults`) or
 * per unit (`setFaults(f, unit)`, which wins over the global ones field by field):
 * - timeout: never answer;
 * - exception: answer every request with this exception code;
 * - crcError: RTU framings only — send the reply with a corrupted CRC;
 * - garble: MBAP framing (tcp, tls) only — a broken frame, the TCP counterpart of a CRC error:
 *   true / 'pdu' sends the reply PDU cut to half its length (at least the function code) with an
 *   MBAP length that matches the cut PDU, so the frame parses but its content does not; 'length'
 *   sends the whole reply with an MBAP length 3 bytes too large, so the frame never completes;
 * - wrongUnit: answer as this unit id instead of the addressed one (RTU: the reply's address byte,
 *   CRC recomputed; TCP: the MBAP unit id);
 * - dropConnection: connections (TCP, or a net.Socket given to attach()) — destroy the client's
 *   socket on the next request (one-shot: the flag clears itself once used); on a serial line it
 *   behaves like timeout for that request;
 * - delayMs: answer this much later (on the injected clock).
 *
 * Unit filter (`units`): only listed unit ids are answered; requests to other ids get no reply at
 * all (like an absent device on an RS485 bus, or a TCP gateway that waits for it). On RTU framings
 * unit 0 is the broadcast address: requests are executed, never answered.
 *
 * Events: 'request' (ServedRequest) for each request to a served unit, before faults apply;
 * 'ignored' (ServedRequest) for each request the unit filter leaves unanswered; 'problem' (Error)
 * for listen, serial-port and handler errors.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { Clock, systemClock, Timer } from '../../util/clock';
import { closeServer, listen } from '../net-server';
import {
  decodeRtuAdu,
  decodeTcpAdus,
  encodeExceptionPdu,
  encodeReplyPdu,
  encodeRtuAdu,
  encodeTcpAdu,
  ModbusRequest,
  parseRequestPdu,
  rtuRequestLength,
  rtuSilenceMs,
} from './frame';

export interface ModbusException {
  exception: number;
}

type MaybePromise<T> = T | Promise<T>;

export interface ModbusServerHandler {
  /** FC 3 / 4: `count` words starting at `address`, or an exception (2 = illegal data address). */
  read(unit: number, fc: number, address: number, count: number): MaybePromise<number[] | ModbusException>;
  /** FC 6 (one value) / 16. */
  write(unit: number, fc: number, address: number, values: number[]): MaybePromise<void | ModbusException>;
  /**
   * Any other function code. `data` is the request after the function code; return the reply
   * after the function code, an exception, or undefined to stay silent. Without this method other
   * function codes get exception 1 (illegal function).
   */
  custom?(unit: number, fc: number, data: Buffer): MaybePromise<Buffer | ModbusException | undefined>;
  /**
   * RTU framings: bytes after unit + function code and before the CRC of a request with a custom
   * function code, given the bytes so far: a number, undefined = need more bytes, -1 = unknown
   * (end the frame by line silence). Without this method the end is always found by silence.
   */
  requestLength?(fc: number, afterFc: Buffer): number | undefined;
}

export interface ModbusFaults {
  timeout?: boolean;
  exception?: number;
  crcError?: boolean;
  /** MBAP framing: true / 'pdu' = PDU cut short, 'length' = MBAP length too large (see above). */
  garble?: boolean | 'pdu' | 'length';
  /** Reply as this unit id instead of the addressed one. */
  wrongUnit?: number;
  dropConnection?: boolean;
  delayMs?: number;
}

export type ModbusServerTransport = 'tcp' | 'tls' | 'rtu' | 'rtu-over-tcp';

export interface ModbusServerOptions {
  transport: ModbusServerTransport;
  handler: ModbusServerHandler;
  /** Answer only these unit ids (default: all). */
  units?: number[];
  /**
   * tcp / tls / rtu-over-tcp: accept a connection only when this returns true for the client's
   * address (IPv4-mapped IPv6 addresses are given as plain IPv4). A refused connection is closed
   * at once, before any byte is read, counted in `counters.refused` and reported as 'refused'
   * (address). Default: accept every client.
   */
  allow?: (address: string) => boolean;
  /** tls: the server's key and certificate (PEM); `ca` + `requestCert` to ask for client certificates. */
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer; requestCert?: boolean };
  /** RTU framings: baud rate for the 3.5-character silence (default 9600), or the silence itself. */
  baudRate?: number;
  silenceMs?: number;
  clock?: Clock;
}

export interface ServedRequest {
  unit: number;
  fc: number;
  address?: number;
  count?: number;
  values?: number[];
  data?: Buffer;
}

export interface ModbusServerCounters {
  requests: number;
  replies: number;
  exceptions: number;
  /** RTU frames dropped for a bad CRC. */
  crcErrors: number;
  /** Requests not answered (unit filter, timeout fault, broadcast). */
  unanswered: number;
  /** Connections closed at once because the client's address is not allowed. */
  refused: number;
}

/** A socket's peer address for allow-lists: "::ffff:192.168.1.5" → "192.168.1.5". */
export function peerAddress(sock: { remoteAddress?: string }): string {
  const a = sock.remoteAddress ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** Where a request came from and how to answer it. */
interface Channel {
  framing: 'mbap' | 'rtu';
  write(b: Buffer): void;
  /** Drop the connection (TCP); undefined on a serial line. */
  drop?: () => void;
  chain: Promise<void>;
}

const isException = (v: unknown): v is ModbusException =>
  !!v && typeof v === 'object' && !Buffer.isBuffer(v) && !Array.isArray(v) && typeof (v as ModbusException).exception === 'number';

export class ModbusServer extends EventEmitter {
  /** Faults for every unit; assign or mutate at runtime. */
  faults: ModbusFaults = {};
  private readonly unitFaults = new Map<number, ModbusFaults>();
  private units?: Set<number>;
  private readonly handler: ModbusServerHandler;
  private readonly clock: Clock;
  private readonly silenceMs: number;
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Open serial ports and attached streams; each removes itself when its stream closes. */
  private readonly streams = new Set<{ close(): Promise<void> }>();
  private readonly timers = new Set<Timer>();
  private closed = false;
  readonly counters: ModbusServerCounters = { requests: 0, replies: 0, exceptions: 0, crcErrors: 0, unanswered: 0, refused: 0 };

  constructor(private readonly opts: ModbusServerOptions) {
    super();
    this.handler = opts.handler;
    this.clock = opts.clock ?? systemClock;
    this.silenceMs = opts.silenceMs ?? rtuSilenceMs(opts.baudRate ?? 9600);
    if (opts.units) this.units = new Set(opts.units);
  }

  /** Answer only these unit ids; undefined answers all. */
  setUnits(units?: number[]): void {
    this.units = units ? new Set(units) : undefined;
  }

  /** Set faults for one unit (`unit` given) or for all; `{}` clears them. */
  setFaults(f: ModbusFaults, unit?: number): void {
    if (unit === undefined) this.faults = { ...f };
    else if (Object.keys(f).length) this.unitFaults.set(unit, { ...f });
    else this.unitFaults.delete(unit);
  }

  clearFaults(): void {
    this.faults = {};
    this.unitFaults.clear();
  }

  /** tcp, tls, rtu-over-tcp: listen and resolve to the actual port (0 = any free port). */
  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    const t = this.opts.transport;
    if (t === 'rtu') return Promise.reject(new Error('modbus server: rtu listens on a serial port; use openSerial() or attach()'));
    if (this.server) return Promise.reject(new Error('modbus server: already listening'));
    const onSocket = (sock: net.Socket) => this.onSocket(sock);
    let server: net.Server;
    if (t === 'tls') {
      if (!this.opts.tls?.key || !this.opts.tls.cert) return Promise.reject(new Error('modbus server: tls needs tls.key and tls.cert'));
      server = tls.createServer({ key: this.opts.tls.key, cert: this.opts.tls.cert, ca: this.opts.tls.ca, requestCert: this.opts.tls.requestCert ?? false }, onSocket);
      // Handshake failures (a client that rejects our certificate) are the client's business.
      server.on('tlsClientError', () => undefined);
    } else server = net.createServer(onSocket);
    this.server = server;
    return listen(server, port, host, (e) => this.emit('problem', e));
  }

  /** The listening port, if listening. */
  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  /** rtu: open a serial port (or one end of a pty pair) and serve RTU on it. */
  async openSerial(path: string, o: { baudRate?: number; dataBits?: 7 | 8; parity?: 'none' | 'even' | 'odd'; stopBits?: 1 | 2 } = {}): Promise<void> {
    const { SerialPort } = require('serialport') as typeof import('serialport');
    const port = new SerialPort({ path, baudRate: o.baudRate ?? this.opts.baudRate ?? 9600, dataBits: o.dataBits ?? 8, parity: o.parity ?? 'none', stopBits: o.stopBits ?? 1, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('error', (e) => this.emit('problem', e));
    const entry = this.serveRtuStream(port, { framing: 'rtu', write: (b) => void port.write(b), chain: Promise.resolve() });
    entry.close = () =>
      new Promise<void>((resolve) => {
        entry.detach();
        if (port.isOpen) port.close(() => resolve());
        else resolve();
      });
  }

  /**
   * Serve RTU on any byte stream: a pty, a socket pair, a test double, or a client connection of
   * an RTU-over-TCP gateway that the caller accepts itself. A net.Socket is treated like the
   * server's own TCP clients: dropConnection destroys it and its errors (resets) are ignored;
   * other streams report errors as 'problem'. Served until the stream ends or the server closes.
   */
  attach(stream: Duplex): void {
    const sock = stream instanceof net.Socket ? stream : undefined;
    if (sock) sock.on('error', () => undefined);
    else stream.on('error', (e) => this.emit('problem', e));
    this.serveRtuStream(stream, {
      framing: 'rtu',
      write: (b) => {
        if (!stream.destroyed && stream.writable) stream.write(b);
      },
      drop: sock ? () => sock.destroy() : undefined,
      chain: Promise.resolve(),
    });
  }

  /** RTU on a stream, registered in `streams` until the stream ends or closes. */
  private serveRtuStream(stream: Duplex, ch: Channel): { close(): Promise<void>; detach(): void } {
    const rx = this.rtuReceiver(ch);
    const entry = {
      detach: () => {
        rx.stop();
        stream.off('data', rx.push);
        this.streams.delete(entry);
      },
      close: async () => entry.detach(),
    };
    stream.on('data', rx.push);
    stream.once('end', entry.detach);
    stream.once('close', entry.detach);
    this.streams.add(entry);
    return entry;
  }

  /** Streams served now (serial ports and attached streams), for tests. */
  get streamCount(): number {
    return this.streams.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    for (const s of [...this.streams]) await s.close();
    this.streams.clear();
    const server = this.server;
    this.server = undefined;
    await closeServer(server, this.sockets);
  }

  // -------------------------------------------------------------------------------------------

  private onSocket(sock: net.Socket): void {
    if (this.closed) {
      sock.destroy();
      return;
    }
    if (this.opts.allow) {
      const from = peerAddress(sock);
      let ok = false;
      try {
        ok = this.opts.allow(from);
      } catch {
        ok = false;
      }
      if (!ok) {
        this.counters.refused++;
        sock.on('error', () => undefined);
        sock.destroy();
        this.emit('refused', from);
        return;
      }
    }
    this.sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    const ch: Channel = {
      framing: this.opts.transport === 'rtu-over-tcp' ? 'rtu' : 'mbap',
      write: (b) => {
        if (!sock.destroyed) sock.write(b);
      },
      drop: () => sock.destroy(),
      chain: Promise.resolve(),
    };
    if (ch.framing === 'rtu') {
      const rx = this.rtuReceiver(ch);
      sock.on('data', rx.push);
      sock.on('close', rx.stop);
      return;
    }
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      const { adus, rest, error } = decodeTcpAdus(buf.length ? Buffer.concat([buf, chunk]) : chunk);
      buf = rest;
      for (const adu of adus) this.enqueue(ch, adu.unit, adu.pdu, adu.transactionId);
      if (error) sock.destroy();
    });
  }

  /** RTU frame assembly on a byte stream: length by function code, else by line silence. */
  private rtuReceiver(ch: Channel): { push: (b: Buffer) => void; stop: () => void } {
    let buf: Buffer = Buffer.alloc(0);
    let silence: Timer | undefined;
    const scan = () => {
      while (buf.length >= 2) {
        const len = rtuRequestLength(buf, this.handler.requestLength?.bind(this.handler));
        if (len === undefined || len === 'silence' || buf.length < len) return;
        const d = decodeRtuAdu(buf.subarray(0, len));
        if ('error' in d) {
          // Not a frame here: resynchronise one byte further.
          this.counters.crcErrors++;
          buf = buf.subarray(1);
          continue;
        }
        buf = buf.subarray(len);
        this.enqueue(ch, d.unit, d.pdu);
      }
    };
    const onSilence = () => {
      silence = undefined;
      if (!buf.length) return;
      // End of transmission: a frame of unknown length ends here; anything incomplete is dropped.
      if (buf.length >= 2 && rtuRequestLength(buf, this.handler.requestLength?.bind(this.handler)) === 'silence') {
        const d = decodeRtuAdu(buf);
        if ('error' in d) this.counters.crcErrors++;
        else this.enqueue(ch, d.unit, d.pdu);
      }
      buf = Buffer.alloc(0);
    };
    return {
      push: (chunk: Buffer) => {
        if (this.closed) return;
        buf = buf.length ? Buffer.concat([buf, chunk]) : Buffer.from(chunk);
        scan();
        silence?.cancel();
        if (buf.length) silence = this.clock.setTimeout(onSilence, this.silenceMs);
      },
      stop: () => {
        silence?.cancel();
        buf = Buffer.alloc(0);
      },
    };
  }

  private enqueue(ch: Channel, unit: number, pdu: Buffer, transactionId?: number): void {
    ch.chain = ch.chain.then(
      () => this.serve(ch, unit, pdu, transactionId),
      () => this.serve(ch, unit, pdu, transactionId),
    );
  }

  private faultsFor(unit: number): { f: ModbusFaults; dropOwner?: ModbusFaults } {
    const u = this.unitFaults.get(unit);
    const f = { ...this.faults, ...(u ?? {}) };
    const dropOwner = u?.dropConnection ? u : this.faults.dropConnection ? this.faults : undefined;
    return { f, dropOwner };
  }

  private async serve(ch: Channel, unit: number, pdu: Buffer, transactionId?: number): Promise<void> {
    if (this.closed) return;
    const rtu = ch.framing === 'rtu';
    const broadcast = rtu && unit === 0;
    const req = parseRequestPdu(pdu);
    if (this.units && !this.units.has(unit) && !broadcast) {
      this.counters.unanswered++;
      this.emit('ignored', describeServed(unit, req));
      return;
    }
    this.counters.requests++;
    const fc = req.fc;
    const { f, dropOwner } = this.faultsFor(unit);
    this.emit('request', describeServed(unit, req));

    if (f.dropConnection && dropOwner) {
      dropOwner.dropConnection = false;
      this.counters.unanswered++;
      ch.drop?.();
      return;
    }
    if (f.timeout) {
      this.counters.unanswered++;
      return;
    }

    let reply: Buffer | undefined;
    if (f.exception !== undefined) reply = encodeExceptionPdu(fc, f.exception);
    else if ('exception' in req) reply = encodeExceptionPdu(fc, req.exception);
    else reply = await this.execute(unit, req);

    if (!reply || broadcast) {
      this.counters.unanswered++;
      return;
    }
    if (reply[0] & 0x80) this.counters.exceptions++;
    if (f.delayMs && f.delayMs > 0) await this.sleep(f.delayMs);
    if (this.closed) return;
    const replyUnit = f.wrongUnit ?? unit;
    let adu: Buffer;
    if (rtu) {
      adu = encodeRtuAdu(replyUnit, reply);
      if (f.crcError) adu[adu.length - 1] ^= 0xff;
    } else if (f.garble === 'length') {
      adu = encodeTcpAdu(transactionId ?? 0, replyUnit, reply);
      adu.writeUInt16BE(reply.length + 1 + 3, 4);
    } else if (f.garble) {
      adu = encodeTcpAdu(transactionId ?? 0, replyUnit, reply.subarray(0, Math.max(1, Math.floor(reply.length / 2))));
    } else adu = encodeTcpAdu(transactionId ?? 0, replyUnit, reply);
    this.counters.replies++;
    ch.write(adu);
  }

  /** Run the handler; the reply PDU, or undefined to stay silent. */
  private async execute(unit: number, req: ModbusRequest): Promise<Buffer | undefined> {
    const h = this.handler;
    try {
      switch (req.kind) {
        case 'read': {
          const r = await h.read(unit, req.fc, req.address, req.count);
          if (isException(r)) return encodeExceptionPdu(req.fc, r.exception);
          if (!Array.isArray(r) || r.length !== req.count) return encodeExceptionPdu(req.fc, 4);
          return encodeReplyPdu(req, { words: r });
        }
        case 'write-single':
        case 'write-multiple': {
          const values = req.kind === 'write-single' ? [req.value] : req.values;
          const r = await h.write(unit, req.fc, req.address, values);
          if (isException(r)) return encodeExceptionPdu(req.fc, r.exception);
          return encodeReplyPdu(req, {});
        }
        case 'custom': {
          if (!h.custom) return encodeExceptionPdu(req.fc, 1);
          const r = await h.custom(unit, req.fc, req.data);
          if (r === undefined) return undefined;
          if (isException(r)) return encodeExceptionPdu(req.fc, r.exception);
          return encodeReplyPdu(req, { data: r });
        }
      }
    } catch (e) {
      this.emit('problem', e);
      return encodeExceptionPdu(req.fc, 4); // server device failure
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.clock.setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }
}

function describeServed(unit: number, req: ModbusRequest | { exception: number; fc: number }): ServedRequest {
  if ('exception' in req) return { unit, fc: req.fc };
  switch (req.kind) {
    case 'read':
      return { unit, fc: req.fc, address: req.address, count: req.count };
    case 'write-single':
      return { unit, fc: req.fc, address: req.address, values: [req.value] };
    case 'write-multiple':
      return { unit, fc: req.fc, address: req.address, values: req.values };
    case 'custom':
      return { unit, fc: req.fc, data: req.data };
  }
}
