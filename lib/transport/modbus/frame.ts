/**
 * Modbus frames: PDUs (function code + data) and the two ADUs around them, MBAP for TCP and
 * unit + PDU + CRC for RTU. Pure functions; nothing here throws on bytes received from the wire
 * (malformed input yields an error result), only on caller mistakes in the build functions.
 *
 * Facts used (written from the specifications, no code carried over):
 * - Modbus Application Protocol v1.1b3 §6.3/6.4/6.6/6.12: FC 3/4 request = address, quantity
 *   1..125; reply = byte count, words. FC 6 echoes address and value. FC 16 request = address,
 *   quantity 1..123, byte count, words; reply = address, quantity. §7: exception reply =
 *   FC | 0x80, exception code. A PDU is at most 253 bytes.
 * - Modbus Messaging on TCP/IP v1.0b §3.1.3: MBAP header = transaction id (2), protocol id (2, 0),
 *   length (2, = unit id + PDU bytes), unit id (1); all big-endian.
 * - Modbus over Serial Line v1.02 §2.5.1: RTU frame = address, PDU, CRC (low byte first); frames
 *   are separated by at least 3.5 character times of silence; above 19200 baud a fixed 1.75 ms.
 */
import { crc16modbus } from './data-types';

export { crc16modbus };

export const FC_READ_HOLDING = 0x03;
export const FC_READ_INPUT = 0x04;
export const FC_WRITE_SINGLE = 0x06;
export const FC_WRITE_MULTIPLE = 0x10;

/** Largest PDU (function code + data), bytes. */
export const MAX_PDU = 253;

export type ModbusRequest =
  | { kind: 'read'; fc: typeof FC_READ_HOLDING | typeof FC_READ_INPUT; address: number; count: number }
  | { kind: 'write-single'; fc: typeof FC_WRITE_SINGLE; address: number; value: number }
  | { kind: 'write-multiple'; fc: typeof FC_WRITE_MULTIPLE; address: number; values: number[] }
  | { kind: 'custom'; fc: number; data: Buffer };

/** What a reply PDU means for a given request. */
export type ReplyResult =
  | { ok: true; words?: number[]; data?: Buffer }
  | { ok: false; exception: number }
  | { ok: false; malformed: string };

const isInt = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;

/** Why a request cannot be sent, or undefined when it is fine. */
export function requestProblem(r: ModbusRequest): string | undefined {
  switch (r.kind) {
    case 'read':
      if (!isInt(r.address, 0, 0xffff)) return `address ${r.address} is not in 0..65535`;
      if (!isInt(r.count, 1, 125)) return `count ${r.count} is not in 1..125`;
      if (r.address + r.count > 0x10000) return `address ${r.address} + count ${r.count} runs past 65535`;
      return undefined;
    case 'write-single':
      if (!isInt(r.address, 0, 0xffff)) return `address ${r.address} is not in 0..65535`;
      if (!isInt(r.value, 0, 0xffff)) return `value ${r.value} is not a 16-bit word (0..65535)`;
      return undefined;
    case 'write-multiple': {
      if (!isInt(r.address, 0, 0xffff)) return `address ${r.address} is not in 0..65535`;
      if (!Array.isArray(r.values) || !isInt(r.values.length, 1, 123)) return `value count ${r.values?.length} is not in 1..123`;
      if (r.address + r.values.length > 0x10000) return `address ${r.address} + ${r.values.length} values runs past 65535`;
      const bad = r.values.findIndex((v) => !isInt(v, 0, 0xffff));
      if (bad >= 0) return `values[${bad}] = ${r.values[bad]} is not a 16-bit word (0..65535)`;
      return undefined;
    }
    case 'custom':
      if (!isInt(r.fc, 1, 0x7f)) return `function code ${r.fc} is not in 1..127`;
      if (!Buffer.isBuffer(r.data) || r.data.length > MAX_PDU - 1) return `custom data must be a Buffer of at most ${MAX_PDU - 1} bytes`;
      return undefined;
  }
}

/** Request PDU (function code first). Throws RangeError when requestProblem() finds one. */
export function encodeRequestPdu(r: ModbusRequest): Buffer {
  const problem = requestProblem(r);
  if (problem) throw new RangeError(problem);
  switch (r.kind) {
    case 'read':
    case 'write-single': {
      // fc | address | count (read) or value (write-single)
      const b = Buffer.allocUnsafe(5);
      b[0] = r.fc;
      b.writeUInt16BE(r.address, 1);
      b.writeUInt16BE(r.kind === 'read' ? r.count : r.value, 3);
      return b;
    }
    case 'write-multiple': {
      const n = r.values.length;
      const b = Buffer.allocUnsafe(6 + 2 * n);
      b[0] = r.fc;
      b.writeUInt16BE(r.address, 1);
      b.writeUInt16BE(n, 3);
      b[5] = 2 * n;
      r.values.forEach((v, i) => b.writeUInt16BE(v, 6 + 2 * i));
      return b;
    }
    case 'custom':
      return Buffer.concat([Buffer.of(r.fc), r.data]);
  }
}

function words(b: Buffer, at: number, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = b.readUInt16BE(at + 2 * i);
  return out;
}

/** Interpret a reply PDU (function code first) for request `r`. Never throws. */
export function parseReplyPdu(r: ModbusRequest, pdu: Buffer): ReplyResult {
  if (pdu.length < 1) return { ok: false, malformed: 'empty reply' };
  const fc = pdu[0];
  if (fc === (r.fc | 0x80)) {
    if (pdu.length !== 2) return { ok: false, malformed: `exception reply of ${pdu.length} bytes (expected 2)` };
    return { ok: false, exception: pdu[1] };
  }
  if (fc !== r.fc) return { ok: false, malformed: `reply function code 0x${hex(fc)} to a request with 0x${hex(r.fc)}` };
  switch (r.kind) {
    case 'read':
      if (pdu.length < 2 || pdu[1] !== 2 * r.count || pdu.length !== 2 + 2 * r.count) {
        return { ok: false, malformed: `read reply with ${Math.max(0, pdu.length - 2)} data bytes (byte count ${pdu[1] ?? '-'}), expected ${2 * r.count}` };
      }
      return { ok: true, words: words(pdu, 2, r.count) };
    case 'write-single':
      if (pdu.length !== 5 || pdu.readUInt16BE(1) !== r.address || pdu.readUInt16BE(3) !== r.value) {
        return { ok: false, malformed: 'write-single reply does not echo the request' };
      }
      return { ok: true };
    case 'write-multiple':
      if (pdu.length !== 5 || pdu.readUInt16BE(1) !== r.address || pdu.readUInt16BE(3) !== r.values.length) {
        return { ok: false, malformed: 'write-multiple reply does not echo address and quantity' };
      }
      return { ok: true };
    case 'custom':
      return { ok: true, data: Buffer.from(pdu.subarray(1)) };
  }
}

/**
 * Server side: a request PDU as a ModbusRequest. Unknown function codes come back as 'custom';
 * a malformed PDU of a known function code yields an exception code (3, illegal data value).
 */
export function parseRequestPdu(pdu: Buffer): ModbusRequest | { exception: number; fc: number } {
  const fc = pdu.length ? pdu[0] : 0;
  if (pdu.length < 1 || fc < 1 || fc > 0x7f) return { exception: 1, fc: fc & 0x7f };
  if (fc === FC_READ_HOLDING || fc === FC_READ_INPUT) {
    if (pdu.length !== 5) return { exception: 3, fc };
    const r: ModbusRequest = { kind: 'read', fc, address: pdu.readUInt16BE(1), count: pdu.readUInt16BE(3) };
    return requestProblem(r) ? { exception: 3, fc } : r;
  }
  if (fc === FC_WRITE_SINGLE) {
    if (pdu.length !== 5) return { exception: 3, fc };
    return { kind: 'write-single', fc, address: pdu.readUInt16BE(1), value: pdu.readUInt16BE(3) };
  }
  if (fc === FC_WRITE_MULTIPLE) {
    if (pdu.length < 6) return { exception: 3, fc };
    const n = pdu.readUInt16BE(3);
    if (pdu[5] !== 2 * n || pdu.length !== 6 + 2 * n || n < 1 || n > 123) return { exception: 3, fc };
    const r: ModbusRequest = { kind: 'write-multiple', fc, address: pdu.readUInt16BE(1), values: words(pdu, 6, n) };
    return requestProblem(r) ? { exception: 3, fc } : r;
  }
  return { kind: 'custom', fc, data: Buffer.from(pdu.subarray(1)) };
}

/** Server side: reply PDU for a served request. `words` for reads, `data` for custom codes. */
export function encodeReplyPdu(r: ModbusRequest, result: { words?: number[]; data?: Buffer }): Buffer {
  switch (r.kind) {
    case 'read': {
      const w = result.words ?? [];
      const b = Buffer.allocUnsafe(2 + 2 * w.length);
      b[0] = r.fc;
      b[1] = (2 * w.length) & 0xff;
      w.forEach((v, i) => b.writeUInt16BE(v & 0xffff, 2 + 2 * i));
      return b;
    }
    case 'write-single':
      return encodeRequestPdu(r);
    case 'write-multiple': {
      const b = Buffer.allocUnsafe(5);
      b[0] = r.fc;
      b.writeUInt16BE(r.address, 1);
      b.writeUInt16BE(r.values.length, 3);
      return b;
    }
    case 'custom':
      return Buffer.concat([Buffer.of(r.fc), result.data ?? Buffer.alloc(0)]);
  }
}

export function encodeExceptionPdu(fc: number, code: number): Buffer {
  return Buffer.of((fc & 0x7f) | 0x80, code & 0xff);
}

// ---------------------------------------------------------------------------------------------
// TCP: MBAP
// ---------------------------------------------------------------------------------------------

export interface TcpAdu {
  transactionId: number;
  unit: number;
  pdu: Buffer;
}

export function encodeTcpAdu(transactionId: number, unit: number, pdu: Buffer): Buffer {
  const b = Buffer.allocUnsafe(7 + pdu.length);
  b.writeUInt16BE(transactionId & 0xffff, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unit & 0xff;
  pdu.copy(b, 7);
  return b;
}

/**
 * Split a TCP byte buffer into whole ADUs. `rest` holds an incomplete tail to keep for the next
 * chunk. A header that cannot be Modbus (protocol id ≠ 0, length outside 2..254) sets `error`; the
 * stream cannot be resynchronised after that, so the caller should drop the buffer (the link
 * closes the connection). Never throws.
 */
export function decodeTcpAdus(buf: Buffer): { adus: TcpAdu[]; rest: Buffer; error?: string } {
  const adus: TcpAdu[] = [];
  let at = 0;
  while (buf.length - at >= 7) {
    const proto = buf.readUInt16BE(at + 2);
    const len = buf.readUInt16BE(at + 4);
    if (proto !== 0 || len < 2 || len > MAX_PDU + 1) {
      return { adus, rest: Buffer.alloc(0), error: `bad MBAP header (protocol ${proto}, length ${len})` };
    }
    if (buf.length - at < 6 + len) break;
    adus.push({ transactionId: buf.readUInt16BE(at), unit: buf[at + 6], pdu: Buffer.from(buf.subarray(at + 7, at + 6 + len)) });
    at += 6 + len;
  }
  return { adus, rest: at === 0 ? buf : Buffer.from(buf.subarray(at)) };
}

// ---------------------------------------------------------------------------------------------
// RTU
// ---------------------------------------------------------------------------------------------

export function encodeRtuAdu(unit: number, pdu: Buffer): Buffer {
  const b = Buffer.allocUnsafe(pdu.length + 3);
  b[0] = unit & 0xff;
  pdu.copy(b, 1);
  const crc = crc16modbus(b, 0, pdu.length + 1);
  b[pdu.length + 1] = crc & 0xff;
  b[pdu.length + 2] = crc >>> 8;
  return b;
}

/** Check a complete RTU frame. Never throws. */
export function decodeRtuAdu(frame: Buffer): { unit: number; pdu: Buffer } | { error: 'crc' | 'short'; message: string } {
  if (frame.length < 4) return { error: 'short', message: `RTU frame of ${frame.length} bytes (at least 4 needed)` };
  const crc = crc16modbus(frame, 0, frame.length - 2);
  const got = frame[frame.length - 2] | (frame[frame.length - 1] << 8);
  if (crc !== got) return { error: 'crc', message: `CRC ${hex4(got)} in frame, computed ${hex4(crc)}` };
  return { unit: frame[0], pdu: Buffer.from(frame.subarray(1, frame.length - 2)) };
}

/**
 * Bytes after unit + function code and before the CRC of a reply PDU, given the bytes received so
 * far after unit + function code. Return undefined while more bytes are needed to tell, -1 when
 * the length cannot be known (the end of the frame is then found by line silence).
 */
export type ReplyLengthFn = (pduAfterFc: Buffer) => number | undefined;

/**
 * Total length (unit … CRC) of the RTU reply at the start of `buf`, for a request with function
 * code `fc`: a number, undefined when more bytes are needed to tell, or 'silence' when only the
 * end of transmission can tell (a custom function code without a replyLength callback). Assumes
 * buf[1] is fc or fc|0x80. Never throws.
 */
export function rtuReplyLength(fc: number, buf: Buffer, replyLength?: ReplyLengthFn): number | 'silence' | undefined {
  if (buf.length < 2) return undefined;
  if (buf[1] & 0x80) return 5;
  switch (fc) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x0c:
    case 0x11:
    case 0x17:
      return buf.length < 3 ? undefined : 5 + buf[2];
    case 0x05:
    case 0x06:
    case 0x0f:
    case 0x10:
      return 8;
  }
  if (!replyLength) return 'silence';
  let n: number | undefined;
  try {
    n = replyLength(buf.subarray(2));
  } catch {
    return 'silence';
  }
  if (n === undefined) return undefined;
  return Number.isInteger(n) && n >= 0 && n <= MAX_PDU - 1 ? 4 + n : 'silence';
}

/**
 * Server side: total length of the RTU request at the start of `buf` (number, undefined = need
 * more bytes, 'silence' = unknown function code, wait for the end of transmission). Never throws.
 */
export function rtuRequestLength(buf: Buffer, custom?: (fc: number, afterFc: Buffer) => number | undefined): number | 'silence' | undefined {
  if (buf.length < 2) return undefined;
  switch (buf[1]) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x05:
    case 0x06:
      return 8;
    case 0x0f:
    case 0x10:
      return buf.length < 7 ? undefined : 9 + buf[6];
  }
  if (!custom) return 'silence';
  let n: number | undefined;
  try {
    n = custom(buf[1], buf.subarray(2));
  } catch {
    return 'silence';
  }
  if (n === undefined) return undefined;
  return Number.isInteger(n) && n >= 0 && n <= MAX_PDU - 1 ? 4 + n : 'silence';
}

/**
 * The RTU inter-frame silence (3.5 character times) in whole ms, at least 2 ms. A character is
 * start bit + data bits + parity bit (if any) + stop bits; above 19200 baud the spec fixes 1.75 ms.
 */
export function rtuSilenceMs(baudRate: number, dataBits = 8, parity: 'none' | 'even' | 'odd' = 'none', stopBits = 1): number {
  if (!(baudRate > 0)) return 2;
  if (baudRate > 19200) return 2;
  const bits = 1 + dataBits + (parity === 'none' ? 0 : 1) + stopBits;
  return Math.max(2, Math.ceil((3.5 * bits * 1000) / baudRate));
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
function hex4(n: number): string {
  return '0x' + n.toString(16).toUpperCase().padStart(4, '0');
}
