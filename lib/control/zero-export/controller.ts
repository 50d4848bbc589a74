/**
 * ZeroExportController — PLACEHOLDER being replaced by the lead; the public surface (constructor,
 * step, state) is final. See types.ts.
 */
import type { ZeroExportInputs, ZeroExportLike, ZeroExportParams, ZeroExportResult, ZeroExportState } from './types';

export class ZeroExportController implements ZeroExportLike {
  private setpoints = new Map<string, number>();
  private grid: { power: number; at: number } | null = null;
  private batt = new Map<string, number>();
  constructor(readonly params: ZeroExportParams) {}

  step(inputs: ZeroExportInputs, now: number): ZeroExportResult {
    const commands: ZeroExportResult['commands'] = [];
    for (const [id, o] of Object.entries(inputs.units ?? {})) this.batt.set(id, o.power);
    if (inputs.meter) {
      this.grid = { power: inputs.meter.power, at: inputs.meter.timestamp };
      const units = this.params.units;
      let b = 0;
      for (const u of units) b += this.batt.get(u.id) ?? 0;
      const total = inputs.meter.power + b - (this.params.targetW ?? 0);
      for (const u of units) {
        const w = Math.max(-(u.maxChargeW ?? 2200), Math.min(u.maxDischargeW ?? 1700, total / units.length));
        this.setpoints.set(u.id, w);
        commands.push({ unit: u.id, power: w, reason: 'control' });
      }
    }
    return { commands, state: this.state(now), reasons: [] };
  }

  state(now: number): ZeroExportState {
    let total = 0;
    for (const v of this.setpoints.values()) total += v;
    return {
      mode: this.grid ? 'active' : 'waiting',
      gridW: this.grid?.power ?? null,
      meterAgeMs: this.grid ? now - this.grid.at : null,
      meterPeriodMs: null,
      targetW: this.params.targetW ?? 0,
      exportCapW: this.params.exportCapW ?? null,
      totalSetpointW: total,
      curtailmentW: 0,
      units: this.params.units.map((u) => ({ id: u.id, setpoint: this.setpoints.get(u.id) ?? null, power: this.batt.get(u.id) ?? null, soc: null, state: 'no-data', active: true })),
      counters: { commands: 0, failsafes: 0 },
    };
  }
}
