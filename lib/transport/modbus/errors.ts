import type { ModbusErrorCode } from './types';

const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export function exceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? `exception ${code}`;
}

/** Status texts (≤ 32 characters) of the error codes, for nodes (shortError) and the CLI. */
const SHORT: Record<ModbusErrorCode, string> = {
  exception: 'exception',
  timeout: 'timeout',
  crc: 'CRC error',
  disconnected: 'not connected',
  'queue-full': 'queue full',
  closed: 'link closed',
  invalid: 'invalid request',
  malformed: 'malformed reply',
  'not-modbus': 'not a Modbus TCP device',
  'tls-untrusted': 'TLS certificate not trusted',
  'tls-fingerprint': 'TLS fingerprint mismatch',
  'tls-key': 'TLS client key/cert invalid',
};

/** Socket error codes → status texts. */
const ERRNO_SHORT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'unknown host',
  ETIMEDOUT: 'connect timeout',
  ENOENT: 'serial port not found',
  EACCES: 'permission denied',
};

/** The status text of a socket / serial error code, or undefined. */
export function errnoShort(errno: string | undefined): string | undefined {
  return errno ? ERRNO_SHORT[errno] : undefined;
}

export function defaultShort(code: ModbusErrorCode, exceptionCode?: number): string {
  return code === 'exception' && exceptionCode !== undefined ? `exception ${exceptionCode}` : SHORT[code] ?? code;
}

/**
 * Every failed Modbus request rejects with one of these; `code` says what went wrong (the CLI maps
 * it to its own hint), `short` is the status text a node shows (nodes never parse `message`).
 */
export class ModbusError extends Error {
  /** Short status text (≤ 32 characters): "timeout", "exception 2", "connection refused". */
  short: string;
  /** The socket's error code behind a connection failure (ECONNREFUSED, ENOTFOUND, …). */
  errno?: string;
  /** TLS failures: the SHA-256 fingerprint the device presented (to pin it). */
  fingerprint256?: string;

  constructor(
    readonly code: ModbusErrorCode,
    message: string,
    readonly exceptionCode?: number,
    short?: string,
  ) {
    super(message);
    this.name = 'ModbusError';
    this.short = short ?? defaultShort(code, exceptionCode);
  }
}
