/**
 * Sessy P1 dongle: GET /api/v2/p1/details (fw >= 1.5.2) → normalized meter reading.
 * Field meanings and units from shared/protocols/sessy.md §1.5.10 and p1-dsmr.md §2.8:
 * energy Wh, power W, voltage mV, current mA, gas dm³ with a raw DSMR time string.
 * The dongle returns 0 for values the meter does not send, so a phase with 0 V is treated as absent.
 */
import type { MeterReading, PhaseValues } from '../../api/types';
import { hexText, parseTimestamp } from './parser';

export const SESSY_P1_PATH = '/api/v2/p1/details';

/** Dongle parser states (sessy.md §1.5.10 / p1-dsmr.md §2.8). Anything but P1_OK means no fresh meter data. */
export const SESSY_P1_STATES: Record<string, string> = {
  P1_OK: 'ok',
  P1_PARSE_ERR: 'dongle cannot parse the telegrams',
  P1_DATAVALIDITY_ERR: 'dongle reports invalid meter data',
  P1_VERSION_ERR: 'dongle does not support this meter version',
  P1_NOT_CONNECTED: 'dongle not connected to the meter',
};

function num(o: Record<string, unknown>, k: string): number | undefined {
  const v = o[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Counters, magnitudes and one-direction powers are never negative; a negative one is treated as absent. */
function nonNeg(o: Record<string, unknown>, k: string): number | undefined {
  const v = num(o, k);
  return v !== undefined && v >= 0 ? v : undefined;
}

export class SessyP1Error extends Error {}

/** Throws SessyP1Error with a readable reason when the reply is not a usable P1 reading. */
export function sessyP1ToReading(body: unknown, receivedAt: number): MeterReading {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new SessyP1Error('reply is not a JSON object');
  const o = body as Record<string, unknown>;
  if (o.status !== 'ok') throw new SessyP1Error(`dongle replied status ${JSON.stringify(o.status)}`);
  if (typeof o.state === 'string' && o.state !== 'P1_OK') {
    throw new SessyP1Error(`${o.state}: ${SESSY_P1_STATES[o.state] ?? 'dongle reports a problem'}`);
  }
  const consumed = nonNeg(o, 'power_consumed');
  const produced = nonNeg(o, 'power_produced');
  const total = num(o, 'power_total');
  let power: number;
  if (consumed !== undefined && produced !== undefined) power = consumed - produced;
  else if (total !== undefined) power = total;
  else throw new SessyP1Error('reply has no power_consumed/power_produced/power_total');
  const r: MeterReading = { kind: 'meter', timestamp: receivedAt, source: 'sessy-p1', power };
  if (consumed !== undefined) r.importPower = consumed;
  if (produced !== undefined) r.exportPower = produced;
  const version = num(o, 'dsmr_version');
  r.protocol = version !== undefined ? `DSMR ${(version / 10).toFixed(1)}` : null;
  r.serial = typeof o.equipment_identifier === 'string' ? hexText(o.equipment_identifier) : null;
  r.model = typeof o.header_info === 'string' ? o.header_info.replace(/^\//, '') : null;
  const phases: PhaseValues[] = [];
  for (const l of [1, 2, 3]) {
    const mv = nonNeg(o, `voltage_l${l}`);
    const ma = nonNeg(o, `current_l${l}`);
    const pc = nonNeg(o, `power_consumed_l${l}`);
    const pp = nonNeg(o, `power_produced_l${l}`);
    const present = (mv !== undefined && mv > 0) || (l === 1 && (pc !== undefined || pp !== undefined));
    if (!present) continue;
    const ph: PhaseValues = {};
    if (mv !== undefined && mv > 0) ph.voltage = mv / 1000;
    if (ma !== undefined) ph.current = ma / 1000;
    if (pc !== undefined) ph.importPower = pc;
    if (pp !== undefined) ph.exportPower = pp;
    if (pc !== undefined || pp !== undefined) ph.power = (pc ?? 0) - (pp ?? 0);
    phases.push(ph);
  }
  if (phases.length) r.phases = phases;
  const i1 = nonNeg(o, 'power_consumed_tariff1');
  const i2 = nonNeg(o, 'power_consumed_tariff2');
  const e1 = nonNeg(o, 'power_produced_tariff1');
  const e2 = nonNeg(o, 'power_produced_tariff2');
  if (i1 !== undefined || i2 !== undefined) {
    r.energy = {
      importWh: (i1 ?? 0) + (i2 ?? 0),
      exportWh: (e1 ?? 0) + (e2 ?? 0),
      importTariffWh: [i1 ?? 0, i2 ?? 0],
      exportTariffWh: [e1 ?? 0, e2 ?? 0],
    };
  }
  const tariff = num(o, 'tariff_indicator');
  if (tariff !== undefined && Number.isInteger(tariff) && tariff > 0) r.tariff = tariff;
  const gas = nonNeg(o, 'gas_meter_value');
  if (gas !== undefined && gas > 0) {
    r.gas = { m3: gas / 1000, at: typeof o.gas_meter_value_time === 'string' ? parseTimestamp(o.gas_meter_value_time) : null };
  }
  return r;
}
