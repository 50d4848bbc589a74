/**
 * Serial ports on this machine, for the editor's port list (admin endpoint
 * `GET home-energy/serial-ports`) and the CLI. Listing can fail (on Linux `serialport` asks
 * `udevadm`, which minimal systems and containers lack); then the reply says why, so the editor can
 * tell the user to type the device path instead of showing an empty list without a word.
 */
export interface SerialPortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
}

/** The admin endpoint's reply: the ports found, and why the list may be incomplete. */
export interface SerialPortList {
  ports: SerialPortInfo[];
  /** Set when listing failed: what went wrong and what to do (type the path). */
  error?: string;
}

/** Lists the raw ports (serialport's `SerialPort.list`); injectable for tests. */
export type PortLister = () => Promise<Array<{ path: string; manufacturer?: string; serialNumber?: string }>>;

const serialportList: PortLister = () => {
  const { SerialPort } = require('serialport') as typeof import('serialport');
  return SerialPort.list();
};

/** Why listing failed, in words for the editor (never throws). */
export function listErrorText(err: unknown): string {
  const e = (err && typeof err === 'object' ? err : {}) as { code?: unknown; message?: unknown; path?: unknown; syscall?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const tail = 'type the device path (for example /dev/ttyUSB0 or /dev/serial/by-id/…)';
  if (e.code === 'ENOENT' && /udevadm/.test(`${String(e.path ?? '')} ${message}`)) {
    return `Cannot list serial ports: udevadm is not installed (Debian package "udev"); ${tail}`;
  }
  if (e.code === 'MODULE_NOT_FOUND') return `Cannot list serial ports: the serialport module is not installed; ${tail}`;
  return `Cannot list serial ports: ${message.slice(0, 200)}; ${tail}`;
}

/** The ports and, if listing failed, the reason. Never throws. */
export async function serialPortList(list: PortLister = serialportList): Promise<SerialPortList> {
  try {
    const raw = await list();
    const seen = new Set<string>();
    const ports = raw
      .filter((p) => p && typeof p.path === 'string' && !seen.has(p.path) && !!seen.add(p.path))
      .map((p) => ({ path: p.path, manufacturer: p.manufacturer, serialNumber: p.serialNumber }));
    return { ports };
  } catch (e) {
    return { ports: [], error: listErrorText(e) };
  }
}

/** The ports only (an empty list when listing fails). Never throws. */
export async function listSerialPorts(list: PortLister = serialportList): Promise<SerialPortInfo[]> {
  return (await serialPortList(list)).ports;
}

/**
 * The admin endpoint's request handler (Express style, registered by the node runtime under
 * `/home-energy/serial-ports`): replies 200 with a {@link SerialPortList}.
 */
export function serialPortsHandler(list: PortLister = serialportList): (req: unknown, res: { json(body: unknown): void }) => void {
  return (_req, res) => {
    void serialPortList(list).then((reply) => res.json(reply));
  };
}
