/**
 * CRC-16/ARC (poly 0x8005 reflected = 0xA001, init 0, no final XOR), as used by DSMR >= 4 and e-MUCS
 * over the bytes from '/' up to and including '!'. Source: shared/protocols/p1-dsmr.md §2.4
 * (ndokter/dsmr_parser parsers.py crc16; check value for "123456789" is 0xBB3D).
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC over bytes[start, end). Accepts a Buffer/Uint8Array or a latin1/ASCII string. */
export function crc16Arc(data: Uint8Array | string, start = 0, end?: number): number {
  let crc = 0;
  if (typeof data === 'string') {
    const stop = end ?? data.length;
    for (let i = start; i < stop; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ data.charCodeAt(i)) & 0xff];
  } else {
    const stop = end ?? data.length;
    for (let i = start; i < stop; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ data[i]) & 0xff];
  }
  return crc;
}

/** 4 upper-case hex digits, as a meter sends them. */
export function crcHex(crc: number): string {
  return crc.toString(16).toUpperCase().padStart(4, '0');
}
