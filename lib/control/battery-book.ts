/**
 * Several home batteries seen by one controller: the latest reading of each (by serial or topic),
 * dropped when older than the timeout, combined into one — power summed, SoC weighted by each
 * unit's capacity (1 when it reports none), the reported capacities summed.
 */
export interface CombinedBattery {
  /** W, + discharge. */
  power: number;
  /** %, or null when no unit reports one. */
  soc: number | null;
  /** Wh, or null when no unit reports one. */
  capacityWh: number | null;
  /** The newest reading's time, ms. */
  timestamp: number;
}

export class BatteryBook {
  private readonly units = new Map<string, { power: number; soc: number | null; capacityWh: number | null; at: number }>();
  constructor(private readonly timeoutMs = 60_000) {}

  update(key: string, power: number, soc: number | null, capacityWh: number | null | undefined, at: number): CombinedBattery {
    this.units.set(key, { power, soc, capacityWh: capacityWh && capacityWh > 0 ? capacityWh : null, at });
    let p = 0;
    let socW = 0;
    let weights = 0;
    let capacity = 0;
    let latest = 0;
    for (const [k, u] of this.units) {
      if (at - u.at > this.timeoutMs) {
        this.units.delete(k);
        continue;
      }
      p += u.power;
      capacity += u.capacityWh ?? 0;
      if (u.soc !== null) {
        socW += u.soc * (u.capacityWh ?? 1);
        weights += u.capacityWh ?? 1;
      }
      latest = Math.max(latest, u.at);
    }
    return { power: p, soc: weights ? socW / weights : null, capacityWh: capacity || null, timestamp: latest };
  }
}
