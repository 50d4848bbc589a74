/**
 * modbus-link: config node naming one Modbus connection (TCP, TCP over TLS, RTU serial, RTU over a
 * TCP gateway). Each device node takes its own lease with acquire() and releases it when it has
 * finished closing (so a close-time command still goes out); links are shared and reference-counted
 * per endpoint through the pool in lib/transport/modbus/pool.ts, so two config nodes for the same
 * bus share one queue, and the socket closes when the last device node lets go. The settings are
 * read by lib/transport/modbus/config.ts (schema, endpoint, TLS client key check).
 */
import { readLinkSettings } from '../../lib/transport/modbus/config';
import { describeEndpoint } from '../../lib/transport/modbus/link';
import { acquireLink, LinkLease } from '../../lib/transport/modbus/pool';
import type { Node, NodeAPI } from '../_shared/red';
import { translator } from '../_shared/i18n';

/** What device nodes see of a modbus-link config node. */
export interface ModbusLinkNode extends Node {
  /**
   * A lease on the shared link for one device node; release it in that node's close handler.
   * Throws when the configuration is invalid.
   */
  acquire(): LinkLease;
  /** "tcp://192.168.1.20:502, timeout 1000 ms" — for logs and status. */
  describe(): string;
  /** Configuration problem, or null. */
  readonly problem: string | null;
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'modbus-link', __dirname);

  function ModbusLinkConfigNode(this: Node, saved: Record<string, unknown>) {
    RED.nodes.createNode(this, saved);
    const node = this as ModbusLinkNode;
    const settings = readLinkSettings(saved, { tlsKey: node.credentials?.tlsKey });
    const problem = settings.ok ? null : settings.error;

    Object.defineProperty(node, 'problem', { value: problem, enumerable: true });
    if (problem) node.error(`${_('modbus-link.errors.config')}: ${problem}`);

    let warned = false;
    node.acquire = (): LinkLease => {
      if (!settings.ok) throw new Error(`${_('modbus-link.errors.config')}: ${problem}`);
      const lease = acquireLink(settings.endpoint, settings.options);
      if (lease.warning && !warned) node.warn(lease.warning);
      warned = true;
      return lease;
    };

    node.describe = (): string => {
      if (!settings.ok) return `(${problem})`;
      const parts = [describeEndpoint(settings.endpoint)];
      if (settings.options.timeoutMs !== undefined) parts.push(`timeout ${settings.options.timeoutMs} ms`);
      if (settings.endpoint.tls) parts.push(`TLS ${settings.config.tlsTrust ?? 'verify'}`);
      return parts.join(', ');
    };
  }

  RED.nodes.registerType('modbus-link', ModbusLinkConfigNode, {
    // The client key (PEM, several lines) is kept as a credential: never exported with the flow.
    credentials: { tlsKey: { type: 'password' } },
  });
};
