/**
 * Capability interfaces (DESIGN.md §4.2): every driver of a kind serves the same methods with the
 * same meaning, so nodes, controllers, the CLI and the simulators talk to "a battery" or "a meter",
 * never to a Sessy or a Sofar by name. A driver implements the interfaces its descriptor's
 * `capabilities` list.
 *
 * Common rules:
 * - `read()` takes a fresh reading now (one poll) and resolves with the normalized reading, or
 *   rejects with an Error whose message says what failed; it never resolves with stale data.
 * - `start()` begins the device's own polling; every reading goes to the 'reading' event, every
 *   failed poll to 'poll-error' (an Error); the driver keeps polling and recovers by itself.
 * - `close()` stops timers, gives the link back and finishes well inside 15 s (house rule 3).
 * - Write methods validate and clamp to device limits before anything goes on the wire and say in
 *   their result what they did (requested, sent, clamped, why).
 */
import type { BatteryLimits, BatteryReading, ChargerReading, ChargerSetpointCommand, MeterReading } from './types';
import type { DeviceDescriptor } from './device';

/** Events every device driver emits (see the common rules above). */
export interface DeviceEvents<R> {
  on(event: 'reading', listener: (reading: R) => void): this;
  on(event: 'poll-error', listener: (err: Error) => void): this;
  off(event: 'reading', listener: (reading: R) => void): this;
  off(event: 'poll-error', listener: (err: Error) => void): this;
}

/** What every driver has. */
export interface DeviceDriver<R> extends DeviceEvents<R> {
  readonly descriptor: DeviceDescriptor;
  /** The device's own serial number, once known (device identity is the serial, DESIGN.md §3). */
  readonly serial: string | null;
  start(): void;
  read(): Promise<R>;
  close(): Promise<void>;
}

/** capability 'meter' (with 'phase-values', 'energy-counters', 'capacity-tariff' as the reading carries them). */
export type MeterSource = DeviceDriver<MeterReading>;

/** The outcome of a battery or charger command. */
export interface CommandOutcome {
  /** What the caller asked for, in its unit (W for a battery, A for a charger). */
  requested: number | null;
  /** What went on the wire, in the same unit (null when nothing was sent). */
  sent: number | null;
  /** true when `sent` differs from `requested` because of a device or installation limit. */
  clamped: boolean;
  /** Why the command was changed or not sent ("battery full", "below 6 A minimum", …). */
  reason?: string;
}

/** capability 'battery' + 'battery-control'. Power in W, + discharge, − charge, 0 idle (DESIGN.md §2). */
export interface BatteryControl extends DeviceDriver<BatteryReading> {
  /** Sets the battery's power; clamps to `limits()` and the device's state (empty / full). */
  setPower(watts: number): Promise<CommandOutcome>;
  /** Hands the unit back to its own control (the `battery-release` command). */
  release(): Promise<void>;
  /** The limits that apply now (device maxima reduced by state). */
  limits(): BatteryLimits;
}

/** capability 'charger' + 'charger-control'. The only command is a `charger-setpoint` (DESIGN.md §4.1). */
export interface ChargerControl extends DeviceDriver<ChargerReading> {
  /** Applies `{ enabled, currentA, phases }`: clamps the current to the box's and the installation's limits; phases only where 'phase-switching' is served. */
  apply(setpoint: Omit<ChargerSetpointCommand, 'kind'>): Promise<CommandOutcome>;
}
