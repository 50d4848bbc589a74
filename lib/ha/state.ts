/**
 * Home Assistant entity states → messages our controllers take (pure). The compressed states of
 * HA's `subscribe_entities` websocket command (`a` added, `c` changed with `+`/`-`, `r` removed;
 * HA core websocket_api/messages.py) are folded into full states; a state becomes a normalized
 * message: a power sensor in W or kW → W with the sign chosen (`topic: "grid"`, + import), a state
 * of charge in %, any other number with its unit, the state text, or (forecasts.ts) day-ahead
 * prices or a PV forecast read from the attributes.
 */
import { pricesFromAttributes, pvForecastFromAttributes, type PricesPayload, type PvForecastPayload } from './forecasts';
export interface HaEntityState {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown>;
  /** ms since epoch. */
  last_updated: number;
}

type Compressed = { s?: string; a?: Record<string, unknown>; lu?: number; lc?: number };
export interface EntitiesEvent {
  a?: Record<string, Compressed>;
  c?: Record<string, { '+'?: Compressed; '-'?: { a?: string[] } }>;
  r?: string[];
}

/** Full states from the compressed subscribe_entities events; apply() returns the entities that changed. */
export class EntityStates {
  readonly states = new Map<string, HaEntityState>();

  apply(ev: EntitiesEvent): HaEntityState[] {
    const changed: HaEntityState[] = [];
    for (const [id, n] of Object.entries(ev.a ?? {})) {
      const s: HaEntityState = { entity_id: id, state: String(n.s ?? ''), attributes: { ...(n.a ?? {}) }, last_updated: Math.round(((n.lu ?? n.lc ?? 0) as number) * 1000) };
      this.states.set(id, s);
      changed.push(s);
    }
    for (const [id, diff] of Object.entries(ev.c ?? {})) {
      const old = this.states.get(id);
      if (!old) continue;
      const s: HaEntityState = { ...old, attributes: { ...old.attributes } };
      const add = diff['+'];
      if (add?.s !== undefined) s.state = String(add.s);
      if (add?.a) Object.assign(s.attributes, add.a);
      for (const k of diff['-']?.a ?? []) delete s.attributes[k];
      if (add?.lu !== undefined) s.last_updated = Math.round(add.lu * 1000);
      else if (add?.lc !== undefined) s.last_updated = Math.round(add.lc * 1000);
      this.states.set(id, s);
      changed.push(s);
    }
    for (const id of ev.r ?? []) this.states.delete(id);
    return changed;
  }
}

export type StateAs = 'grid' | 'power' | 'soc' | 'number' | 'text' | 'prices' | 'pv-forecast';

export interface StateOptions {
  as: StateAs;
  /** msg.topic (default: "grid", "power", "soc", "prices", "pv-forecast", or the entity id). */
  topic?: string;
  /** 1: the sensor's + is our + (import, discharge); -1: the sensor counts the other way. */
  sign?: 1 | -1;
}

export interface StateMessage {
  topic: string;
  payload: number | string | PricesPayload | PvForecastPayload;
  entity_id: string;
  unit?: string;
  /** The entity's attributes as HA sent them. */
  attributes: Record<string, unknown>;
  /** For prices and pv-forecast: the attribute format read (nordpool, entsoe, prices, solcast, forecast.solar). */
  format?: string;
  /** When HA last updated the state, ms. */
  timestamp: number;
}

/** Power units HA sensors use, to W. */
const TO_W: Record<string, number> = { mW: 0.001, W: 1, kW: 1000, MW: 1e6, GW: 1e9 };
const DECIMAL = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;
/** States that carry no value (HA core const.py STATE_UNAVAILABLE, STATE_UNKNOWN). */
export const NO_VALUE = new Set(['unavailable', 'unknown', '']);

/**
 * One entity state → the message, `{ skip }` when HA has no value now (unavailable / unknown), or
 * `{ error }` when the state does not fit what the node was set to read.
 */
export function stateToMessage(s: HaEntityState, o: StateOptions): { message: StateMessage } | { skip: string } | { error: string } {
  const base = { entity_id: s.entity_id, timestamp: s.last_updated, attributes: s.attributes };
  // Forecasts live in the attributes: a price sensor whose current price is unknown may still hold its lists.
  const fromAttributes = o.as === 'prices' || o.as === 'pv-forecast';
  if (fromAttributes ? s.state === 'unavailable' : NO_VALUE.has(s.state)) return { skip: s.state || 'empty' };
  const unit = typeof s.attributes.unit_of_measurement === 'string' ? s.attributes.unit_of_measurement : undefined;
  if (fromAttributes) {
    const r = o.as === 'prices' ? pricesFromAttributes(s.attributes) : pvForecastFromAttributes(s.attributes);
    if ('error' in r) return { error: `${s.entity_id}: ${r.error}` };
    return { message: { ...base, topic: o.topic || o.as, payload: r.payload, format: r.format, ...(o.as === 'prices' ? { unit: 'EUR/MWh' } : { unit: 'W' }) } };
  }
  if (o.as === 'text') return { message: { ...base, topic: o.topic || s.entity_id, payload: s.state, ...(unit ? { unit } : {}) } };
  if (!DECIMAL.test(s.state) || !Number.isFinite(Number(s.state))) return { error: `${s.entity_id}: state ${JSON.stringify(s.state.slice(0, 40))} is not a number` };
  const v = Number(s.state);
  if (o.as === 'grid' || o.as === 'power') {
    const f = unit !== undefined ? TO_W[unit] : undefined;
    if (f === undefined) return { error: `${s.entity_id}: unit ${unit === undefined ? '(none)' : JSON.stringify(unit)} is not a power unit (W or kW)` };
    const w = Math.round(v * f * (o.sign ?? 1) * 1000) / 1000;
    return { message: { ...base, topic: o.topic || o.as, payload: w === 0 ? 0 : w, unit: 'W' } };
  }
  if (o.as === 'soc') {
    if (unit !== '%') return { error: `${s.entity_id}: unit ${unit === undefined ? '(none)' : JSON.stringify(unit)} is not % (state of charge)` };
    if (v < 0 || v > 100) return { error: `${s.entity_id}: state of charge ${v} is outside 0–100 %` };
    return { message: { ...base, topic: o.topic || 'soc', payload: v, unit: '%' } };
  }
  return { message: { ...base, topic: o.topic || s.entity_id, payload: v, ...(unit ? { unit } : {}) } };
}
