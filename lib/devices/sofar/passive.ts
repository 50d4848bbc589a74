/**
 * Sofar passive-mode protocol: vendor function code 0x42 (standby / discharge W / charge W / auto)
 * and the 0x49 heartbeat. Pure functions: request PDUs, whole RTU frames (for tests and the
 * simulator), reply parsing. Nothing here throws on bytes from the wire.
 *
 * Facts (../shared/protocols/sofar-me3000sp.md §3.6, §3.7, "ME3000SP Passive mode protocol" PDF,
 * OFFICIAL; byte-exact vendor example frames, CRC verified in the dossier):
 * - request: slave | 0x42 | reg_hi | reg_lo | val_hi | val_lo | crc_lo | crc_hi (shape of FC 0x06);
 *   0x0100 standby (value must be 0x5555), 0x0101 discharge W, 0x0102 charge W (0–3000, 1 W),
 *   0x0103 auto (0 or 0x5555 = grid target 0 W; FW ≥ V1.40 a signed −9999…9999 W target);
 * - reply: slave | 0x42 | 0x02 | status_hi | status_lo | crc; status low byte = result code
 *   (0 accepted, 1 invalid mode, 2 CRC failed, 3 busy, 4 invalid data), high byte = status bits
 *   (bit0 charge enabled, bit1 discharge enabled, bit2 battery full, bit3 battery empty);
 * - heartbeat: slave | 0x49 | 0x22 0x01 | 0x22 0x02 | crc, at most 1/s and at least 1/min. Its reply
 *   is not documented (UNCONFIRMED); Sofar2mqtt reads every reply as "byte count + data", so we
 *   accept that shape, and an echo of the request (FC 0x06 style) as well.
 */
import { encodeRtuAdu } from '../../transport/modbus/frame';
import { FC_HEARTBEAT, FC_PASSIVE, HEARTBEAT_REG, HEARTBEAT_VALUE, PASSIVE_REG, PASSIVE_STANDBY_VALUE, SOFAR_MAX_POWER_LIMIT_W } from './descriptor';
import { passiveResultText } from './enums';

export type PassiveMode = 'standby' | 'charge' | 'discharge' | 'auto';

export type PassiveCommand =
  | { mode: 'standby' }
  | { mode: 'charge'; watts: number }
  | { mode: 'discharge'; watts: number }
  /** target: grid target W for FW ≥ V1.40 (+ discharge); 0 or absent = the classic auto. */
  | { mode: 'auto'; target?: number };

export interface PassiveStatus {
  /** The whole 16-bit status word. */
  word: number;
  /** Low byte: result code. */
  result: number;
  resultText: string;
  accepted: boolean;
  chargeEnabled: boolean;
  dischargeEnabled: boolean;
  /** Battery full: charging prohibited. */
  full: boolean;
  /** Battery empty: discharging prohibited. */
  empty: boolean;
}

/** "Register" and value of a command. Throws RangeError for a value the protocol cannot carry (callers clamp first). */
export function passiveRegisterValue(cmd: PassiveCommand): { register: number; value: number } {
  switch (cmd.mode) {
    case 'standby':
      return { register: PASSIVE_REG.standby, value: PASSIVE_STANDBY_VALUE };
    case 'charge':
    case 'discharge': {
      const w = cmd.watts;
      if (!Number.isInteger(w) || w < 0 || w > SOFAR_MAX_POWER_LIMIT_W) throw new RangeError(`${cmd.mode} power ${w} W is not an integer 0–${SOFAR_MAX_POWER_LIMIT_W}`);
      return { register: PASSIVE_REG[cmd.mode], value: w };
    }
    case 'auto': {
      const t = cmd.target ?? 0;
      if (!Number.isInteger(t) || t < -9999 || t > 9999) throw new RangeError(`auto target ${t} W is not an integer −9999–9999`);
      return { register: PASSIVE_REG.auto, value: t & 0xffff };
    }
    default:
      throw new RangeError(`unknown passive mode ${JSON.stringify((cmd as { mode: unknown }).mode)}`);
  }
}

/** Request data after the function code: register and value, big-endian (the shape of FC 0x06). */
function registerValue(register: number, value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(register, 0);
  b.writeUInt16BE(value, 2);
  return b;
}

/** The request data after the function code (4 bytes). */
export function passiveRequestData(cmd: PassiveCommand): Buffer {
  const { register, value } = passiveRegisterValue(cmd);
  return registerValue(register, value);
}

/** A whole RTU frame: unit, 0x42, data, CRC. */
export function passiveFrame(unit: number, cmd: PassiveCommand): Buffer {
  return encodeRtuAdu(unit, Buffer.concat([Buffer.of(FC_PASSIVE), passiveRequestData(cmd)]));
}

export function heartbeatRequestData(): Buffer {
  return registerValue(HEARTBEAT_REG, HEARTBEAT_VALUE);
}

/** A whole RTU frame: unit, 0x49, data, CRC. */
export function heartbeatFrame(unit: number): Buffer {
  return encodeRtuAdu(unit, Buffer.concat([Buffer.of(FC_HEARTBEAT), heartbeatRequestData()]));
}

/** Reply length for the link (bytes after unit + fc, without CRC): byte count + data. */
export function passiveReplyLength(afterFc: Buffer): number | undefined {
  return afterFc.length < 1 ? undefined : 1 + afterFc[0];
}

/** Heartbeat reply length: an echo (starts with the register's high byte 0x22) is 4 bytes, else byte count + data. */
export function heartbeatReplyLength(afterFc: Buffer): number | undefined {
  if (afterFc.length < 1) return undefined;
  return afterFc[0] === HEARTBEAT_REG >>> 8 ? 4 : 1 + afterFc[0];
}

export function decodeStatusWord(word: number): PassiveStatus {
  const w = word & 0xffff;
  const result = w & 0xff;
  const bits = w >>> 8;
  return {
    word: w,
    result,
    resultText: passiveResultText(result),
    accepted: result === 0,
    chargeEnabled: !!(bits & 1),
    dischargeEnabled: !!(bits & 2),
    full: !!(bits & 4),
    empty: !!(bits & 8),
  };
}

export function encodeStatusWord(s: { result: number; chargeEnabled?: boolean; dischargeEnabled?: boolean; full?: boolean; empty?: boolean }): number {
  const bits = (s.chargeEnabled ? 1 : 0) | (s.dischargeEnabled ? 2 : 0) | (s.full ? 4 : 0) | (s.empty ? 8 : 0);
  return ((bits << 8) | (s.result & 0xff)) & 0xffff;
}

/** Parses the reply data after the function code: 0x02, status_hi, status_lo. Never throws. */
export function parsePassiveReply(afterFc: Buffer): PassiveStatus | { error: string } {
  if (!Buffer.isBuffer(afterFc) || afterFc.length < 1) return { error: 'empty 0x42 reply' };
  if (afterFc[0] !== 2 || afterFc.length !== 3) {
    return { error: `0x42 reply with byte count ${afterFc[0]} and ${afterFc.length - 1} data byte(s), expected 2 and 2` };
  }
  return decodeStatusWord(afterFc.readUInt16BE(1));
}

/** Reply data for the simulator. */
export function passiveReplyData(word: number): Buffer {
  const b = Buffer.alloc(3);
  b[0] = 2;
  b.writeUInt16BE(word & 0xffff, 1);
  return b;
}

/** Parses a 0x42 request's data (4 bytes) on the server side. Never throws. */
export function parsePassiveRequest(data: Buffer): { register: number; value: number } | { error: string } {
  if (!Buffer.isBuffer(data) || data.length !== 4) return { error: `0x42 request of ${data?.length ?? 0} data bytes, expected 4` };
  return { register: data.readUInt16BE(0), value: data.readUInt16BE(2) };
}

/** Any well-formed heartbeat reply counts (content undocumented). Never throws. */
export function parseHeartbeatReply(afterFc: Buffer): { ok: true } | { error: string } {
  if (!Buffer.isBuffer(afterFc) || afterFc.length < 1) return { error: 'empty 0x49 reply' };
  const want = heartbeatReplyLength(afterFc);
  return want === afterFc.length ? { ok: true } : { error: `0x49 reply of ${afterFc.length} bytes, expected ${want}` };
}

/** Command as text for status and logs: "charge 1500 W", "standby", "auto". */
export function describeCommand(cmd: PassiveCommand): string {
  switch (cmd.mode) {
    case 'charge':
    case 'discharge':
      return `${cmd.mode} ${cmd.watts} W`;
    case 'auto':
      return cmd.target ? `auto (grid target ${cmd.target} W)` : 'auto';
    default:
      return cmd.mode;
  }
}

/** The command as a battery setpoint, W (+ discharge); null for auto (the device decides). */
export function commandSetpoint(cmd: PassiveCommand): number | null {
  switch (cmd.mode) {
    case 'charge':
      return -cmd.watts;
    case 'discharge':
      return cmd.watts;
    case 'standby':
      return 0;
    default:
      return null;
  }
}
