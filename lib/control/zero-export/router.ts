/**
 * Which configured unit a battery reading belongs to, and which units must be asked to identify
 * themselves. Pure, time injected: the node's runtime (runtime.ts) calls it.
 */
import type { BatteryReading } from '../../api/types';
import type { ZeroExportUnitRoute } from './config';

/** The tag every command message of a zero-export node carries (and battery nodes send back). */
export interface ZeroExportTag {
  node: string;
  unit: string;
}

/** A unit without serial or topic is asked to identify itself (topic "refresh") this often until it has, ms. */
export const PROBE_EVERY_MS = 30_000;
/** The first probe, ms after start. */
export const PROBE_FIRST_MS = 2000;

/** How a reading was matched to its unit. */
export type RouteHow = 'serial' | 'topic' | 'learned' | 'single';

/**
 * Finds the configured unit of a battery reading: (a) the unit's serial equals payload.serial
 * (case-insensitive); (b) the unit's topic equals msg.topic; (c) learned: the message carries this
 * node's tag (a battery node's reply to one of our commands), or its serial was seen with one
 * before; (d) with exactly one unit that has neither serial nor topic, that unit.
 */
export class UnitRouter {
  /** Serial (upper case) → unit label, learned from tagged replies. */
  readonly learned = new Map<string, string>();
  private readonly labels: Set<string>;

  constructor(
    private readonly nodeId: string,
    private readonly units: ZeroExportUnitRoute[],
  ) {
    this.labels = new Set(units.map((u) => u.label));
  }

  route(msg: { topic?: unknown; zeroExport?: unknown }, reading: BatteryReading): { unit: string; how: RouteHow } | { unmatched: string } {
    const serial = typeof reading.serial === 'string' && reading.serial.trim() !== '' ? reading.serial.trim().toUpperCase() : null;
    if (serial) {
      const u = this.units.find((x) => x.serial === serial);
      if (u) return { unit: u.label, how: 'serial' };
    }
    const topic = typeof msg.topic === 'string' ? msg.topic : null;
    if (topic !== null) {
      const u = this.units.find((x) => x.topic !== null && x.topic === topic);
      if (u) return { unit: u.label, how: 'topic' };
    }
    const tag = msg.zeroExport as Partial<ZeroExportTag> | undefined;
    if (tag && typeof tag === 'object' && tag.node === this.nodeId && typeof tag.unit === 'string' && this.labels.has(tag.unit)) {
      if (serial) this.learned.set(serial, tag.unit);
      return { unit: tag.unit, how: 'learned' };
    }
    if (serial && this.learned.has(serial)) return { unit: this.learned.get(serial)!, how: 'learned' };
    // The only unit, unless it says how to recognise its readings (then this one is another battery's).
    if (this.units.length === 1 && !this.units[0].serial && !this.units[0].topic) return { unit: this.units[0].label, how: 'single' };
    const who = serial ? `serial ${serial}` : 'no serial';
    return {
      unmatched:
        `battery reading (${who}, topic ${topic === null ? 'none' : JSON.stringify(topic)}) matches no unit: ` +
        `enter its serial or topic in a unit of this node, or wire the battery node's output back into this node ` +
        `so its replies to this node's commands identify it`,
    };
  }
}

/**
 * The units to probe now: with several units, each that has neither serial nor topic, whose serial
 * was not learned, and that sent no reading for PROBE_EVERY_MS.
 */
export function unitsToProbe(routes: ZeroExportUnitRoute[], learned: ReadonlyMap<string, string>, seen: ReadonlyMap<string, number>, now: number): string[] {
  if (routes.length < 2) return [];
  const known = new Set(learned.values());
  return routes.filter((u) => !u.serial && !u.topic && !known.has(u.label) && !(now - (seen.get(u.label) ?? -Infinity) < PROBE_EVERY_MS)).map((u) => u.label);
}
