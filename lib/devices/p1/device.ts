/**
 * The P1 meter's registry entry (lib/registry.ts) and its MeterSource driver: a P1Source (serial,
 * TCP gateway, Sessy P1 dongle or fed bytes) seen through the capability interface of
 * lib/api/capabilities.ts ('reading' with the normalized reading, 'poll-error' with an Error).
 */
import { EventEmitter } from 'node:events';
import type { MeterSource } from '../../api/capabilities';
import type { MeterReading } from '../../api/types';
import type { DeviceEntry } from '../../registry';
import { systemClock, type Clock } from '../../util/clock';
import { p1Descriptor } from './descriptor';
import { P1Source, type P1ReadingEvent, type P1SourceConfig } from './source';

export interface P1MeterOptions {
  clock?: Clock;
  /** Compute the quarter-hour average for meters without 1-0:1.4.0 (default true). */
  computeCapacity?: boolean;
}

export class P1Meter extends EventEmitter implements MeterSource {
  readonly descriptor = p1Descriptor;
  readonly source: P1Source;
  private lastSerial: string | null = null;
  private readonly clock: Clock;

  constructor(config: P1SourceConfig, o: P1MeterOptions = {}) {
    super();
    this.clock = o.clock ?? systemClock;
    this.source = new P1Source(config, this.clock, { computeCapacity: o.computeCapacity });
    this.source.on('reading', (ev: P1ReadingEvent) => {
      if (ev.reading.serial) this.lastSerial = ev.reading.serial;
      this.emit('reading', ev.reading);
    });
    this.source.on('problem', (e: Error) => this.emit('poll-error', e));
    this.source.on('invalid', (ev: { reason: string }) => this.emit('poll-error', Object.assign(new Error(ev.reason), { short: 'telegram rejected', code: 'invalid' })));
  }

  get serial(): string | null {
    return this.lastSerial;
  }

  start(): void {
    this.source.start();
  }

  /** The next reading (the meter pushes telegrams; nothing can be polled on demand). */
  read(timeoutMs = 15_000): Promise<MeterReading> {
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.off('reading', on);
        reject(new Error(`no P1 reading within ${timeoutMs} ms from ${this.source.description}`));
      }, timeoutMs);
      const on = (r: MeterReading) => {
        timer.cancel();
        resolve(r);
      };
      this.once('reading', on);
      this.start();
    });
  }

  async close(): Promise<void> {
    this.source.stop();
    this.source.removeAllListeners();
  }
}

export const p1Device: DeviceEntry = {
  descriptor: p1Descriptor,
  create: (params) => new P1Meter(params as unknown as P1SourceConfig),
  simulator: 'DSMR 5.0 (NL) and e-MUCS 1.7 (BE) meters of the virtual home, as raw TCP gateways and a Sessy P1 dongle',
};
