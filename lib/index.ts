/**
 * The public library API: `require('node-red-contrib-home-energy')` (package.json `main`) gives
 * the parsers, drivers, controllers, the device model and the reading types and schemas that the
 * Node-RED nodes are built on, for use in a plain Node.js program or a function node.
 *
 * What is exported here is the package's supported surface; deeper paths (`dist/lib/...`) may
 * change between releases.
 */

// Device model (DESIGN.md §4.1): points, descriptors, generic register / JSON decode and encode.
export * from './api/device';
// Capability interfaces every driver of a kind implements.
export type * from './api/capabilities';
// The device registry: name → descriptor, driver factory, simulator.
export { DEVICES, findDevice, deviceForNode } from './registry';
export type { DeviceEntry, SimulatorHandle } from './registry';

// Normalized readings and commands, their JSON schemas and a validator for them.
export type * from './api/types';
export * from './api/schemas';
export { validator } from './api/validate';
export { setpointFromObject, setpointFromValue } from './api/battery-setpoint';
export type { SetpointCommand } from './api/battery-setpoint';

// P1 smart meters (DSMR, e-MUCS): telegram parser, byte-stream framer, reading normalizer, source.
export { parseTelegram } from './devices/p1/parser';
export { P1Framer } from './devices/p1/framer';
export { telegramToReading } from './devices/p1/normalize';
export { P1Source } from './devices/p1/source';
export type { P1Telegram, P1Object } from './devices/p1/types';

// Sessy battery (local HTTP API).
export { SessyBattery, createSessyBattery } from './devices/sessy/battery';

// KOSTAL KSEM energy manager (Modbus TCP poller).
export { KsemPoller, createKsem } from './devices/ksem/poller';

// Sofar ME3000SP inverter (Modbus RTU).
export { SofarInverter } from './devices/sofar/inverter';

// ENECTOR wallbox (Mennekes AMTRON register map, Modbus RTU).
export { EnectorCharger, createEnector } from './devices/enector/driver';

// Modbus links (TCP, TLS, RTU) the KSEM and Sofar drivers run on.
export { createModbusLink } from './transport/modbus/link';

// Controllers.
export { ZeroExportController, ZERO_EXPORT_DEFAULTS } from './control/zero-export/controller';
export type * from './control/zero-export/types';
export { EvChargingController, EV_DEFAULTS } from './control/ev-charging/controller';
export type * from './control/ev-charging/types';
export { PeakShavingController } from './control/peak-shaving/controller';
export type { PeakShavingParams, PeakInputs, PeakResult, PeakCommand, PeakState, PeakBand } from './control/peak-shaving/controller';

