/**
 * CRC-16/ARC (poly 0x8005 reflected = 0xA001, init 0, no final XOR), as used by DSMR >= 4 and e-MUCS
 * over the bytes from '/' up to and including '!'. Source: shared/protocols/p1-dsmr.md §2.4
 * (ndokter/dsmr_parser parsers.py crc16; check value for "123456789" is 0xBB3D).
 *
 * The table-driven loop is shared with CRC-16/MODBUS (lib/util/crc16.ts; only the initial value differs).
 */
import { crc16Reflected } from '../../util/crc16';

/** CRC over data[start, end). Accepts bytes or a latin1/ASCII string (each char masked to 8 bits). */
export function crc16Arc(data: Uint8Array | string, start = 0, end?: number): number {
  return crc16Reflected(data, start, end, 0);
}

/** 4 upper-case hex digits, as a meter sends them. */
export function crcHex(crc: number): string {
  return crc.toString(16).toUpperCase().padStart(4, '0');
}
