/**
 * The device registry (DESIGN.md §4.2): device name → descriptor, driver factory and simulator.
 * The CLI, `home-energy sim`, the build (help output lists) and the tests iterate over DEVICES
 * instead of naming each device. Each device folder exports its entry from `device.ts`; adding a
 * device is one line here.
 */
import type { DeviceDescriptor } from './api/device';
import { enectorDevice } from './devices/enector/device';
import { ksemDevice } from './devices/ksem/device';
import { p1Device } from './devices/p1/device';
import { sessyDevice } from './devices/sessy/device';
import { sofarDevice } from './devices/sofar/device';

/** A running simulator of one device: where it listens and how to stop it. */
export interface SimulatorHandle {
  /** Endpoint name → address ("modbus-tcp" → "127.0.0.1:1502"). */
  endpoints: Record<string, string>;
  close(): Promise<void>;
}

export interface DeviceEntry {
  descriptor: DeviceDescriptor;
  /**
   * Creates the driver from parameters (the descriptor's `params` schema; a Modbus device takes
   * its `link` among them). Returns an object implementing the capability interfaces of
   * lib/api/capabilities.ts that the descriptor lists.
   */
  create(params: Record<string, unknown>): unknown;
  /** Short text of what the device's simulator offers (`home-energy sim --help`). */
  simulator?: string;
}

export const DEVICES: readonly DeviceEntry[] = [p1Device, ksemDevice, sessyDevice, sofarDevice, enectorDevice];

/** The entry of a device by name (case-insensitive), or undefined. */
export function findDevice(name: string): DeviceEntry | undefined {
  const n = name.toLowerCase();
  return DEVICES.find((d) => d.descriptor.name === n);
}

/** The entry whose descriptor is served by this Node-RED node type, or undefined. */
export function deviceForNode(type: string): DeviceEntry | undefined {
  return DEVICES.find((d) => d.descriptor.nodeTypes.includes(type));
}
