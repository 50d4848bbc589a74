/**
 * An in-memory ModbusLink straight onto a simulator's ModbusServerHandler: no sockets, no framing,
 * replies in the next microtask. For virtual-time tests and closed-loop benchmarks, where a driver
 * and a simulated device must run many simulated hours in seconds. Byte-level behaviour (framing,
 * CRC, timeouts) is covered by the real transports; this link only carries requests.
 */
import { EventEmitter } from 'node:events';
import { ModbusError, exceptionName } from '../transport/modbus/errors';
import type { ModbusServerHandler } from '../transport/modbus/server';
import type { LinkCounters, ModbusLink } from '../transport/modbus/types';

export interface HandlerLinkCall {
  unit: number;
  fc: number;
  address: number;
  count?: number;
  values?: number[];
}

export class HandlerLink extends EventEmitter implements ModbusLink {
  readonly key = 'memory://simulator';
  connected = true;
  readonly counters: LinkCounters = { requests: 0, errors: 0, timeouts: 0, queue: 0, reconnects: 0 };
  /** Every request, in order. */
  readonly calls: HandlerLinkCall[] = [];
  /** When set, every request fails with this code (a link fault). */
  failWith: 'timeout' | 'disconnected' | null = null;

  constructor(private readonly handler: ModbusServerHandler) {
    super();
  }

  private async run<T>(call: HandlerLinkCall, fn: () => Promise<T>): Promise<T> {
    this.calls.push(call);
    this.counters.requests++;
    await Promise.resolve();
    if (this.failWith) {
      this.counters.errors++;
      if (this.failWith === 'timeout') this.counters.timeouts++;
      throw new ModbusError(this.failWith, `${this.failWith} (unit ${call.unit}, fc ${call.fc}, register ${call.address})`);
    }
    try {
      return await fn();
    } catch (e) {
      this.counters.errors++;
      throw e;
    }
  }

  private static check<T>(r: T | { exception: number } | void): T {
    if (r && typeof r === 'object' && !Array.isArray(r) && typeof (r as { exception?: number }).exception === 'number') {
      const code = (r as { exception: number }).exception;
      throw new ModbusError('exception', `exception ${code} (${exceptionName(code)})`, code);
    }
    return r as T;
  }

  readHoldingRegisters(unit: number, address: number, count: number): Promise<number[]> {
    return this.run({ unit, fc: 3, address, count }, async () => HandlerLink.check(await this.handler.read(unit, 3, address, count)));
  }

  readInputRegisters(unit: number, address: number, count: number): Promise<number[]> {
    return this.run({ unit, fc: 4, address, count }, async () => HandlerLink.check(await this.handler.read(unit, 4, address, count)));
  }

  writeSingleRegister(unit: number, address: number, value: number): Promise<void> {
    return this.run({ unit, fc: 6, address, values: [value] }, async () => void HandlerLink.check(await this.handler.write(unit, 6, address, [value])));
  }

  writeMultipleRegisters(unit: number, address: number, values: number[]): Promise<void> {
    return this.run({ unit, fc: 16, address, values: [...values] }, async () => void HandlerLink.check(await this.handler.write(unit, 16, address, values)));
  }

  async custom(unit: number, functionCode: number, data: Buffer): Promise<Buffer> {
    return this.run({ unit, fc: functionCode, address: data.length >= 2 ? data.readUInt16BE(0) : 0 }, async () => {
      if (!this.handler.custom) throw new ModbusError('exception', 'exception 1 (illegal function)', 1);
      const r = HandlerLink.check(await this.handler.custom(unit, functionCode, data));
      return r ?? Buffer.alloc(0);
    });
  }
}
