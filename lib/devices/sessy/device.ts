/** The Sessy battery's registry entry (lib/registry.ts): descriptor, driver factory, simulator. */
import type { DeviceEntry } from '../../registry';
import { createSessyBattery } from './battery';
import { SESSY_DESCRIPTOR } from './descriptor';

export const sessyDevice: DeviceEntry = {
  descriptor: SESSY_DESCRIPTOR,
  create: (params) => createSessyBattery(params as unknown as Parameters<typeof createSessyBattery>[0]),
  simulator: 'Sessy battery dongle local HTTP API (lib/sim/sessy-server.ts): strategies, setpoints, settings, firmware gates, faults',
};
