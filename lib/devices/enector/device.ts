/** The ENECTOR's registry entry (lib/registry.ts). */
import type { DeviceEntry } from '../../registry';
import { ENECTOR_DESCRIPTOR } from './descriptor';
import { createEnector } from './driver';

export const enectorDevice: DeviceEntry = {
  descriptor: ENECTOR_DESCRIPTOR,
  create: createEnector,
  simulator: 'ENECTOR wallbox with a car (Modbus RTU unit 50, 57600 8N2) behind an RTU-over-TCP gateway or on a serial pty',
};
