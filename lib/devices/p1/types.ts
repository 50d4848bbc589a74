import type { CapacityValues, PhaseValues, EnergyCounters } from '../../api/types';

/** One data line of a telegram: OBIS id and its parenthesised groups (raw text, without parentheses). */
export interface P1Object {
  obis: string;
  values: string[];
}

export type P1Profile = 'NL' | 'BE' | 'LU' | 'unknown';

/** An M-Bus sub-meter (gas, water, heat) found on channel 1..4. */
export interface P1MbusDevice {
  channel: number;
  /** 0-n:24.1.0 device type: 3 gas, 7 water, 4 heat (null when absent). */
  deviceType: number | null;
  type: 'gas' | 'water' | 'heat' | 'other';
  /** Equipment id, hex-decoded when printable. */
  id: string | null;
  value: number | null;
  unit: string | null;
  /** Capture time, ISO 8601 UTC, or null. */
  at: string | null;
}

/**
 * Result of parsing one telegram. Never throws: problems land in `warnings` and per-field nulls.
 * Field meanings and units as in lib/api/types.ts (W, Wh, V, A, ISO UTC strings).
 */
export interface P1Telegram {
  /** true when the CRC verified, or when the telegram is a DSMR 2.2/3.0 telegram that carries none. */
  crcValid: boolean;
  /** "ok" CRC matched; "bad" mismatch; "none" no CRC and none required (DSMR 2.2/3.0); "missing" no CRC but one was required. */
  crc: 'ok' | 'bad' | 'none' | 'missing';
  /** CRC digits as sent (1–4 hex), or null. */
  crcGiven: string | null;
  /** Computed CRC, 4 hex digits. */
  crcComputed: string;
  /** Identification line without the leading '/'. */
  header: string;
  /** First three letters of the identification (manufacturer flag). */
  manufacturer: string;
  profile: P1Profile;
  /** NL "4.2"/"5.0" from 1-3:0.2.8; BE raw 0-0:96.1.4 string; "2.2/3.0" for telegrams without either and without CRC; else null. */
  version: string | null;
  /** Human readable, e.g. "DSMR 5.0", "e-MUCS 50217", "DSMR 2.2/3.0". */
  protocol: string;
  /** 0-0:1.0.0 converted to ISO 8601 UTC, or null. */
  timestamp: string | null;
  /** Meter equipment id (0-0:96.1.1, hex-decoded when printable). */
  equipmentId: string | null;
  /** Net power W (1.7.0 − 2.7.0), + import. null when the meter sends neither. */
  power: number | null;
  importPower: number | null;
  exportPower: number | null;
  /** L1 first; only phases for which the meter sends something. */
  phases: PhaseValues[];
  energy: EnergyCounters | null;
  tariff: number | null;
  /** Present when any of 1-0:1.4.0, 1-0:1.6.0, 0-0:98.1.0 is in the telegram. */
  capacity?: CapacityValues;
  mbus: P1MbusDevice[];
  gas?: { m3: number; at: string | null };
  water?: { m3: number; at: string | null };
  heat?: { GJ: number; at: string | null };
  powerFailures?: { count: number | null; longCount: number | null; log: Array<{ end: string | null; durationS: number }> };
  voltageSags?: number[];
  voltageSwells?: number[];
  message?: { code: string | null; text: string | null };
  /** BE/2.2: 0-0:96.3.10 breaker state (0 off, 1 on, 2 ready). */
  breaker?: number | null;
  /** 0-0:17.0.0 limiter threshold in W (converted from kW/W) or A when sent in A. */
  limiter?: { value: number; unit: 'W' | 'A' } | null;
  /** BE 1-0:31.4.0 fuse supervision threshold, A. */
  fuseA?: number | null;
  /** Every data line in telegram order, known and unknown. */
  objects: P1Object[];
  /** OBIS ids this parser does not decode (kept in objects). */
  unknown: string[];
  /**
   * OBIS ids whose value could not be used (not a number, too many digits, outside the point's range):
   * the value is left out (and `power` is null when it was the import or export power). Absent when none.
   */
  invalid?: string[];
  /** Per-line problems (bad value, bad timestamp ...). The telegram still parses. */
  warnings: string[];
}
