/**
 * The reflected CRC-16 with polynomial 0x8005 (0xA001 reflected), no final XOR, for any initial
 * value: init 0 is CRC-16/ARC (DSMR / e-MUCS P1 telegrams, lib/devices/p1/crc.ts), init 0xFFFF is
 * CRC-16/MODBUS (RTU frames, lib/transport/modbus/data-types.ts).
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

/** CRC over data[start, end) from `init`. Accepts bytes or a latin1/ASCII string (each char masked to 8 bits). */
export function crc16Reflected(data: Uint8Array | string, start: number, end: number | undefined, init: number): number {
  let crc = init & 0xffff;
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
