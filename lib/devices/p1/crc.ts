/**
 * CRC-16/ARC (poly 0x8005 reflected = 0xA001, init 0, no final XOR), as used by DSMR >= 4 and e-MUCS
 * over the bytes from '/' up to and including '!'. Source: shared/protocols/p1-dsmr.md §2.4
 * (ndokter/dsmr_parser parsers.py crc16; check value for "123456789" is 0xBB3D).
 *
 * Two table lookups per two bytes ("slice-by-2"): T0 is the ordinary byte table, T1 advances a byte
 * through T0 twice, which halves the loop-carried dependency chain on a 1–1.5 kB telegram.
 */
const T0 = new Uint16Array(256);
const T1 = new Uint16Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
  T0[n] = c;
}
for (let n = 0; n < 256; n++) T1[n] = (T0[n] >>> 8) ^ T0[T0[n] & 0xff];

/** CRC over data[start, end). Accepts bytes or a latin1/ASCII string (each char masked to 8 bits). */
export function crc16Arc(data: Uint8Array | string, start = 0, end?: number): number {
  let crc = 0;
  let i = start;
  if (typeof data === 'string') {
    const stop = end ?? data.length;
    for (; i + 1 < stop; i += 2) {
      crc ^= (data.charCodeAt(i) & 0xff) | ((data.charCodeAt(i + 1) & 0xff) << 8);
      crc = T1[crc & 0xff] ^ T0[crc >>> 8];
    }
    if (i < stop) crc = (crc >>> 8) ^ T0[(crc ^ data.charCodeAt(i)) & 0xff];
  } else {
    const stop = end ?? data.length;
    for (; i + 1 < stop; i += 2) {
      crc ^= data[i] | (data[i + 1] << 8);
      crc = T1[crc & 0xff] ^ T0[crc >>> 8];
    }
    if (i < stop) crc = (crc >>> 8) ^ T0[(crc ^ data[i]) & 0xff];
  }
  return crc;
}

/** 4 upper-case hex digits, as a meter sends them. */
export function crcHex(crc: number): string {
  return crc.toString(16).toUpperCase().padStart(4, '0');
}
