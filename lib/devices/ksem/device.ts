/**
 * The KSEM's registry entry (lib/registry.ts): descriptor, driver factory and simulator.
 * `create({ link, unit, pollMs, layout, phaseEnergyEveryMs, clock })` returns the KSEM's
 * MeterSource (a KsemPoller) on the given Modbus link.
 */
import type { DeviceEntry } from '../../registry';
import type { ModbusLink } from '../../transport/modbus/types';
import { KSEM_DESCRIPTOR } from './descriptor';
import { KsemPoller, type KsemPollerOptions } from './poller';

export const ksemDevice: DeviceEntry = {
  descriptor: KSEM_DESCRIPTOR,
  create(params: Record<string, unknown>): KsemPoller {
    const link = params.link as ModbusLink | undefined;
    if (!link || typeof link.readHoldingRegisters !== 'function') throw new TypeError('ksem: params.link must be a Modbus link');
    return new KsemPoller(link, params as KsemPollerOptions);
  },
  simulator: 'KSEM: Modbus TCP (and TLS) slave with native registers and the SunSpec chain (firmware 2.5 or 2.6 layout), and a push client for the Modbus-master mode',
};
