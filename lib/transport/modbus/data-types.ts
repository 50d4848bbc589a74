/**
 * Register words ⇄ values. A Modbus register is one unsigned 16-bit word, each word big-endian on
 * the wire (Modbus Application Protocol v1.1b3 §4.2). Wider values span consecutive registers; the
 * order of those words is not standardised: 'be' (default, "ABCD") puts the most significant word
 * at the lowest address, as KSEM and SunSpec do (protocols/ksem.md §1.3); 'le' ("CDAB",
 * word-swapped) puts the least significant word first, as some meters and wallboxes do for floats
 * (protocols/ksem.md §2.4).
 *
 * Values are JS numbers. u64/s64 are exact only up to 2^53 (Number.MAX_SAFE_INTEGER); beyond that
 * they are rounded to the nearest double — an energy counter in 0.1 Wh reaches 2^53 after
 * 900 billion kWh, so for meters this never matters. Use decodeBigInt for the exact value.
 */
import { crc16Reflected } from '../../util/crc16';

export type RegisterType = 'u16' | 's16' | 'u32' | 's32' | 'u64' | 's64' | 'f32' | 'f64' | 'string';

export type WordOrder = 'be' | 'le';

export interface DecodeOptions {
  /** Order of the 16-bit words of a 32/64-bit value (default 'be', high word first). */
  wordOrder?: WordOrder;
  /** For 'string': length in registers (2 characters each). Required for strings. */
  length?: number;
}

const WORDS: Record<Exclude<RegisterType, 'string'>, number> = {
  u16: 1,
  s16: 1,
  u32: 2,
  s32: 2,
  u64: 4,
  s64: 4,
  f32: 2,
  f64: 4,
};

/** Registers a value of this type occupies; `len` is the string length in registers. */
export function wordCount(type: RegisterType, len?: number): number {
  if (type === 'string') {
    if (len === undefined || !Number.isInteger(len) || len < 1) throw new RangeError('string needs a length in registers (>= 1)');
    return len;
  }
  const n = WORDS[type];
  if (n === undefined) throw new RangeError(`unknown register type '${String(type)}'`);
  return n;
}

/** Words of a multi-register value in big-endian order ("ABCD"), whatever the wire order. */
function orderedWords(words: ArrayLike<number>, offset: number, n: number, order: WordOrder): number[] {
  if (offset < 0 || offset + n > words.length) {
    throw new RangeError(`need ${n} register(s) at offset ${offset}, have ${words.length}`);
  }
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = words[offset + (order === 'le' ? n - 1 - i : i)] & 0xffff;
  return out;
}

function toBytes(w: number[]): Buffer {
  const b = Buffer.allocUnsafe(w.length * 2);
  for (let i = 0; i < w.length; i++) b.writeUInt16BE(w[i], i * 2);
  return b;
}

function fromBytes(b: Buffer, order: WordOrder): number[] {
  const w: number[] = [];
  for (let i = 0; i < b.length; i += 2) w.push(b.readUInt16BE(i));
  return order === 'le' ? w.reverse() : w;
}

/**
 * Decode the value of `type` starting at words[offset]. Throws RangeError when the words are too
 * few. Strings: 2 ASCII/latin1 characters per register, high byte first; trailing NULs and
 * spaces are removed (devices pad either way).
 */
export function decodeValue(words: ArrayLike<number>, offset: number, type: 'string', opts: DecodeOptions): string;
export function decodeValue(words: ArrayLike<number>, offset: number, type: Exclude<RegisterType, 'string'>, opts?: DecodeOptions): number;
export function decodeValue(words: ArrayLike<number>, offset: number, type: RegisterType, opts?: DecodeOptions): number | string;
export function decodeValue(words: ArrayLike<number>, offset: number, type: RegisterType, opts: DecodeOptions = {}): number | string {
  const order = opts.wordOrder ?? 'be';
  if (type === 'string') {
    const n = wordCount(type, opts.length);
    // Strings are character sequences, never word-swapped.
    const b = toBytes(orderedWords(words, offset, n, 'be'));
    return b.toString('latin1').replace(/[\0 ]+$/, '');
  }
  const n = wordCount(type);
  const w = orderedWords(words, offset, n, order);
  switch (type) {
    case 'u16':
      return w[0];
    case 's16':
      return w[0] >= 0x8000 ? w[0] - 0x10000 : w[0];
    case 'u32':
      return w[0] * 0x10000 + w[1];
    case 's32':
      return (((w[0] << 16) | w[1]) >> 0);
    case 'u64':
      return Number(toBytes(w).readBigUInt64BE(0));
    case 's64':
      return Number(toBytes(w).readBigInt64BE(0));
    case 'f32':
      return toBytes(w).readFloatBE(0);
    case 'f64':
      return toBytes(w).readDoubleBE(0);
  }
}

/** Exact 64-bit value (u64/s64) as a bigint. */
export function decodeBigInt(words: ArrayLike<number>, offset: number, type: 'u64' | 's64', opts: DecodeOptions = {}): bigint {
  const b = toBytes(orderedWords(words, offset, 4, opts.wordOrder ?? 'be'));
  return type === 'u64' ? b.readBigUInt64BE(0) : b.readBigInt64BE(0);
}

const RANGES: Record<'u16' | 's16' | 'u32' | 's32', [number, number]> = {
  u16: [0, 0xffff],
  s16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff],
  s32: [-0x80000000, 0x7fffffff],
};

/**
 * Encode a value into register words in wire order. Integer types require an integer in range
 * (RangeError otherwise: clamping is the driver's job, not the encoder's). u64/s64 accept a number
 * (integer, exact up to 2^53) or a bigint. Strings are cut or NUL-padded to `opts.length` registers.
 */
export function encodeValue(value: number | bigint | string, type: RegisterType, opts: DecodeOptions = {}): number[] {
  const order = opts.wordOrder ?? 'be';
  if (type === 'string') {
    const n = wordCount(type, opts.length);
    const b = Buffer.alloc(n * 2);
    b.write(String(value).slice(0, n * 2), 0, 'latin1');
    return fromBytes(b, 'be');
  }
  const n = wordCount(type);
  const b = Buffer.alloc(n * 2);
  switch (type) {
    case 'u16':
    case 's16':
    case 'u32':
    case 's32': {
      const v = typeof value === 'bigint' ? Number(value) : value;
      const [lo, hi] = RANGES[type];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
        throw new RangeError(`${type} value ${String(value)} is not an integer in ${lo}..${hi}`);
      }
      if (n === 1) b.writeUInt16BE(v & 0xffff, 0);
      else b.writeUInt32BE(v >>> 0, 0);
      break;
    }
    case 'u64':
    case 's64': {
      let v: bigint;
      if (typeof value === 'bigint') v = value;
      else if (typeof value === 'number' && Number.isInteger(value)) v = BigInt(value);
      else throw new RangeError(`${type} value ${String(value)} is not an integer`);
      if (type === 'u64') {
        if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`u64 value ${v} out of range`);
        b.writeBigUInt64BE(v, 0);
      } else {
        if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new RangeError(`s64 value ${v} out of range`);
        b.writeBigInt64BE(v, 0);
      }
      break;
    }
    case 'f32':
    case 'f64': {
      const v = typeof value === 'bigint' ? Number(value) : value;
      if (typeof v !== 'number') throw new RangeError(`${type} value ${String(value)} is not a number`);
      if (type === 'f32') b.writeFloatBE(v, 0);
      else b.writeDoubleBE(v, 0);
      break;
    }
    default:
      throw new RangeError(`unknown register type '${String(type)}'`);
  }
  return fromBytes(b, order);
}

/**
 * CRC-16/MODBUS: polynomial 0x8005 reflected (0xA001), initial value 0xFFFF, no final XOR
 * (Modbus over Serial Line v1.02 §6.2.2; check value for "123456789" is 0x4B37). On the wire the
 * low byte goes first. Computed over buf[start, end). Same loop as the P1 CRC (lib/util/crc16.ts).
 */
export function crc16modbus(buf: Uint8Array, start = 0, end = buf.length): number {
  return crc16Reflected(buf, start, end, 0xffff);
}
