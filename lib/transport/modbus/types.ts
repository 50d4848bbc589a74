/**
 * Modbus link contract (DESIGN.md §3): one physical link per endpoint, shared and
 * reference-counted, one FIFO per link, the unit id carried by each request, a failing request
 * fails only its own promise, reconnect with backoff. Device drivers (KSEM, Sofar, ENECTOR) code
 * against ModbusLink only; the transports live beside this file.
 */

export type ModbusTransport = 'tcp' | 'tls' | 'rtu' | 'rtu-over-tcp';

export interface ModbusTlsOptions {
  /** PEM of a CA or of the device's own (self-signed) certificate to trust. */
  ca?: string;
  /** SHA-256 fingerprint of the device certificate ("AB:CD:…" or plain hex), pinned. */
  fingerprint256?: string;
  /** Accept any certificate (self-signed, unknown CA). Only when the user explicitly says so. */
  insecure?: boolean;
  /** SNI / name to check; defaults to the host. */
  servername?: string;
  /** Client certificate and key (PEM) for servers that demand mutual TLS (Modbus/TCP Security). */
  cert?: string;
  key?: string;
}

export interface ModbusEndpoint {
  transport: ModbusTransport;
  /** tcp, tls, rtu-over-tcp */
  host?: string;
  port?: number;
  /** rtu: serial device path */
  path?: string;
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  tls?: ModbusTlsOptions;
}

export interface ModbusLinkOptions {
  /** Per-request reply timeout, ms (default 1000). */
  timeoutMs?: number;
  /** Pause between the end of one transaction and the next request, ms (default 0 TCP, 20 RTU). */
  interRequestDelayMs?: number;
  /** Wait after a (re)connect before the first request, ms (default 0). */
  connectDelayMs?: number;
  /** Most queued requests; reads beyond it are rejected, writes are never dropped (default 64). */
  maxQueue?: number;
  /**
   * Reconnect backoff, ms (default 1000 … 3000): 1 s, 2 s, then every 3 s while the device is
   * down, so a device that comes back is reached within about 3 s (a connect attempt is a cheap
   * probe: one SYN, or one open() of a serial port).
   */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** tcp/tls/rtu-over-tcp: give up a connection attempt after this, ms (default 3000). */
  connectTimeoutMs?: number;
  /**
   * RTU: end-of-frame silence for replies whose length is unknown (custom function codes without
   * replyLength), ms; default 3.5 character times from the baud rate, at least 2 ms.
   */
  silenceMs?: number;
}

export interface ModbusRequestOptions {
  /** Override the link's timeout for this request. */
  timeoutMs?: number;
}

/** A Modbus exception reply (function code | 0x80), or a transport failure. */
export type ModbusErrorCode =
  | 'exception' // device answered with an exception code (see .exceptionCode)
  | 'timeout' // no (valid) reply in time
  | 'crc' // RTU frame with a bad CRC
  | 'disconnected' // link dropped while the request was in flight, or not connected
  | 'queue-full' // read rejected because the queue is at maxQueue
  | 'closed' // link released / stopped
  | 'invalid' // bad arguments (address/count out of range) — nothing was sent
  | 'malformed' // a reply that cannot answer the request (wrong length, function code, echo)
  | 'not-modbus' // the peer answered with something that is not Modbus TCP (an HTTP server, say)
  | 'tls-untrusted' // the device's TLS certificate is not trusted (self-signed, unknown CA): pin it
  | 'tls-fingerprint' // the device's certificate does not match the pinned fingerprint
  | 'tls-key'; // the client certificate or key cannot be used (not PEM, encrypted, not a pair)

export interface LinkCounters {
  requests: number;
  errors: number;
  timeouts: number;
  queue: number;
  reconnects: number;
}

export interface ModbusLink {
  /** Endpoint key: "tcp://192.168.1.20:502", "tls://…:802", "rtu:/dev/ttyUSB0", "rtu-tcp://…:502". */
  readonly key: string;
  readonly connected: boolean;
  readonly counters: LinkCounters;

  /** FC 0x03. Resolves to `count` unsigned 16-bit words. */
  readHoldingRegisters(unit: number, address: number, count: number, o?: ModbusRequestOptions): Promise<number[]>;
  /** FC 0x04. */
  readInputRegisters(unit: number, address: number, count: number, o?: ModbusRequestOptions): Promise<number[]>;
  /** FC 0x06. */
  writeSingleRegister(unit: number, address: number, value: number, o?: ModbusRequestOptions): Promise<void>;
  /** FC 0x10. */
  writeMultipleRegisters(unit: number, address: number, values: number[], o?: ModbusRequestOptions): Promise<void>;
  /**
   * Any function code (vendor codes such as Sofar 0x42/0x49) through the same queue. `data` is the
   * PDU after the function code; resolves to the reply PDU after the function code. For RTU the
   * reply length is found by `replyLength(firstBytes)` (bytes after unit+fc, without CRC;
   * undefined = need more bytes, -1 = cannot tell), or by line silence when omitted or -1. `noReply`: send only, resolve to an empty Buffer at once (broadcasts such
   * as Sofar's unit 0x88 heartbeat; RTU unit 0 never waits for a reply anyway).
   */
  custom(
    unit: number,
    functionCode: number,
    data: Buffer,
    o?: ModbusRequestOptions & { replyLength?: (pdu: Buffer) => number | undefined; noReply?: boolean },
  ): Promise<Buffer>;

  on(event: 'connected' | 'disconnected' | 'counters', fn: (...a: unknown[]) => void): this;
  off(event: 'connected' | 'disconnected' | 'counters', fn: (...a: unknown[]) => void): this;
}
