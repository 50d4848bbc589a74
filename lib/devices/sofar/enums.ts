/**
 * Sofar ME3000SP enums and bit fields as text (../shared/protocols/sofar-me3000sp.md §3.3, §3.4).
 *
 * Running state 0x0200: the ME3000 list (the `runningState` point's values in descriptor.ts, §3.4,
 * OFFICIAL). HYD-ES firmware uses another list (§3.4) — not decoded here.
 *
 * Fault bytes: the PDF numbers the faults ID01… in bit order, byte 0 bit 0 = ID01, byte 1 bit 0 =
 * ID09, … (so byte n bit b = ID 8n+b+1; §3.4 "byte0 bit0–4 … (ID01–05); byte1 … (ID09–15)"). The
 * dossier carries the ME3000 names of the bits it could read; other bits get the name of their
 * group, so the text never invents a name (the ESPHome decoder reuses G3/HYD names — §3.4 says use
 * the ME3000 PDF names).
 */
import { RUNNING_STATES } from './descriptor';

export function runningStateText(v: number): string {
  return RUNNING_STATES[v] ?? `unknown state ${v}`;
}

/** Names of single inverter-fault IDs the dossier gives (§3.4, OFFICIAL). */
const FAULT_NAMES: Record<number, string> = {
  1: 'grid overvoltage',
  2: 'grid undervoltage',
  3: 'grid overfrequency',
  4: 'grid underfrequency',
  5: 'battery overvoltage',
  9: 'hardware LLC bus overvoltage',
  10: 'hardware boost overvoltage',
  11: 'hardware buck-boost overcurrent',
  12: 'hardware battery overcurrent',
  15: 'hardware AC overcurrent',
  21: 'main chip fault',
  22: 'auxiliary power fault',
  52: 'battery communication fault',
  57: 'over-temperature',
  58: 'over-temperature',
  59: 'over-temperature',
};

/** Group name of each fault byte (§3.4 highlights). */
const FAULT_GROUPS = [
  'grid/battery protection',
  'hardware protection',
  'sampling/chip fault',
  'software protection (bus overvoltage, battery or output overcurrent, DCI)',
  'fault',
  'fault',
  'consistency/communication fault (DSP, SPI/SCI, relay)',
  'over-temperature',
  'unrecoverable fault',
  'unrecoverable fault',
];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Bytes 0–9 of five registers: register i holds byte 2i+1 in its high and byte 2i in its low half (§3.3). */
export function faultBytes(words: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < 5; i++) {
    const w = (words[i] ?? 0) & 0xffff;
    out.push(w & 0xff, w >>> 8);
  }
  return out;
}

/** Inverter faults of registers 0x0201–0x0205 as "ID05 battery overvoltage", in ID order. */
export function inverterFaults(words: ArrayLike<number>): string[] {
  const out: string[] = [];
  const bytes = faultBytes(words);
  for (let n = 0; n < 10; n++) {
    for (let b = 0; b < 8; b++) {
      if (!(bytes[n] & (1 << b))) continue;
      const id = 8 * n + b + 1;
      out.push(`ID${pad2(id)} ${FAULT_NAMES[id] ?? FAULT_GROUPS[n]}`);
    }
  }
  return out;
}

/** The fault ID → bit position, for the simulator: [register index 0–4, bit 0–15]. */
export function faultBit(id: number): [number, number] {
  if (!Number.isInteger(id) || id < 1 || id > 80) throw new RangeError(`fault id ${id} is not 1–80`);
  const byte = Math.floor((id - 1) / 8);
  const bit = (id - 1) % 8;
  return [Math.floor(byte / 2), (byte % 2) * 8 + bit];
}

/** Battery fault bytes 0x023D–0x0241 (§3.3: byte0 bit0 discharge overcurrent ID100 … bit7 charge under-temperature ID107). */
export function batteryFaults(words: ArrayLike<number>): string[] {
  const out: string[] = [];
  const bytes = faultBytes(words);
  for (let n = 0; n < 10; n++) {
    for (let b = 0; b < 8; b++) {
      if (!(bytes[n] & (1 << b))) continue;
      if (n === 0) {
        const id = 100 + b;
        out.push(`ID${id} ${b === 0 ? 'battery discharge overcurrent' : b === 7 ? 'battery charge under-temperature' : 'battery protection'}`);
      } else out.push(`battery fault byte ${n} bit ${b}`);
    }
  }
  return out;
}

/** Inverter alert message 0x022B (§3.3, OFFICIAL). */
const ALERTS: Record<number, string> = {
  0: 'ID81 over-temperature derating',
  1: 'ID82 over-frequency derating',
  2: 'ID83 remote derating',
  3: 'ID84 remote shutdown',
  7: 'ID85 battery low-voltage alert',
};

export function alerts(word: number): string[] {
  const out: string[] = [];
  for (let b = 0; b < 16; b++) if (word & (1 << b)) out.push(ALERTS[b] ?? `alert bit ${b}`);
  return out;
}

/**
 * Communication-board message 0x0242: ID91–98 (§3.3, OFFICIAL: "SW mismatch, EEPROM, RTC, invalid
 * country, SD"). The order of the five names over bits 0–4 is our reading of the dossier's list.
 */
const COMM_BOARD: Record<number, string> = {
  0: 'software version mismatch',
  1: 'EEPROM fault',
  2: 'RTC fault',
  3: 'invalid country',
  4: 'SD card fault',
};

export function commBoardMessages(word: number): string[] {
  const out: string[] = [];
  for (let b = 0; b < 8; b++) if (word & (1 << b)) out.push(`ID${91 + b} communication board${COMM_BOARD[b] ? ' ' + COMM_BOARD[b] : ''}`);
  for (let b = 8; b < 16; b++) if (word & (1 << b)) out.push(`communication board bit ${b}`);
  return out;
}

/** 0x42 reply result code, low byte of the status word (§3.6, OFFICIAL). */
export const PASSIVE_RESULTS: Record<number, string> = {
  0: 'accepted',
  1: 'invalid mode (the inverter is not in passive mode: set Work Mode → Passive on its display)',
  2: 'CRC failed',
  3: 'busy',
  4: 'invalid data',
};

export function passiveResultText(code: number): string {
  return PASSIVE_RESULTS[code] ?? `unknown result code ${code}`;
}
