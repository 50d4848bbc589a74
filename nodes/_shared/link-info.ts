/**
 * The Modbus link's counters as device nodes show them (issue 4: requests, errors, queue length
 * visible in status and output): `msg.link` on every output message, and a short status suffix.
 */
import type { ModbusLink } from '../../lib/transport/modbus/types';

export interface LinkInfo {
  /** Endpoint key, e.g. "tcp://192.168.1.20:502". */
  key: string;
  connected: boolean;
  requests: number;
  errors: number;
  timeouts: number;
  /** Requests waiting behind the one in flight. */
  queue: number;
  reconnects: number;
}

export function linkInfo(link: ModbusLink): LinkInfo {
  const c = link.counters;
  return { key: link.key, connected: link.connected, requests: c.requests, errors: c.errors, timeouts: c.timeouts, queue: c.queue, reconnects: c.reconnects };
}

/** " · 3 err · q2" — empty while the link has had no errors and nothing waits. */
export function linkStatusSuffix(link: ModbusLink | undefined): string {
  if (!link) return '';
  const c = link.counters;
  return `${c.errors ? ` · ${c.errors} err` : ''}${c.queue ? ` · q${c.queue}` : ''}`;
}
