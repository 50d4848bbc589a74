/** Serial ports on this machine, for editor drop-downs and the CLI. Never throws. */
export interface SerialPortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
}

export async function listSerialPorts(): Promise<SerialPortInfo[]> {
  try {
    const { SerialPort } = require('serialport') as typeof import('serialport');
    const list = await SerialPort.list();
    const byId = new Set<string>();
    return list
      .filter((p) => !byId.has(p.path) && byId.add(p.path))
      .map((p) => ({ path: p.path, manufacturer: p.manufacturer, serialNumber: p.serialNumber }));
  } catch {
    return [];
  }
}
