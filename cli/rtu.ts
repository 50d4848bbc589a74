/** `--serial PATH [--baud B]` or `--tcp HOST:PORT` (RTU over TCP): the endpoint of a Modbus RTU device command. */
import type { ModbusEndpoint } from '../lib/transport/modbus/types';
import { str, UsageError, type Args } from './args';

export interface SerialLine {
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

/** Exactly one of --serial or --tcp; `--baud` overrides the line's baud rate where the command offers it. */
export function rtuEndpointFrom(a: Args, line: SerialLine): ModbusEndpoint {
  const serial = str(a, 'serial');
  const tcp = str(a, 'tcp');
  if (!!serial === !!tcp) throw new UsageError('give exactly one of --serial PATH or --tcp HOST:PORT');
  if (serial) {
    const baud = str(a, 'baud') === undefined ? line.baudRate : Number(str(a, 'baud'));
    if (!Number.isInteger(baud) || baud < 300 || baud > 4000000) throw new UsageError(`--baud needs a baud rate, got ${JSON.stringify(str(a, 'baud'))}`);
    return { transport: 'rtu', path: serial, ...line, baudRate: baud };
  }
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(tcp!);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port > 0 && port < 65536)) throw new UsageError(`--tcp needs HOST:PORT, got ${JSON.stringify(tcp)}`);
  return { transport: 'rtu-over-tcp', host: m[1], port };
}
