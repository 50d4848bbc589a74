/** The Sofar ME3000SP registry entry (lib/registry.ts): descriptor, driver factory, simulator. */
import type { DeviceEntry } from '../../registry';
import { sofarDescriptor } from './descriptor';
import { SofarInverter, type SofarInverterOptions } from './inverter';

export const sofarDevice: DeviceEntry = {
  descriptor: sofarDescriptor,
  /** params: SofarInverterOptions (`link` from the Modbus link pool, `unit`, `settings`, `pollMs`, …). */
  create: (params) => new SofarInverter(params as unknown as SofarInverterOptions),
  simulator: 'Sofar ME3000SP: Modbus RTU behind an RTU-over-TCP gateway and on a serial pty (socat); passive mode 0x42, heartbeat 0x49, the work-mode block, faults on demand',
};
