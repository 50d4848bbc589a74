/**
 * modbus-link: config node naming one Modbus connection (TCP, TCP over TLS, RTU serial, RTU over a
 * TCP gateway). Each device node takes its own lease with acquire() and releases it when it has
 * finished closing (so a close-time command still goes out); links are shared and reference-counted
 * per endpoint through the pool in lib/transport/modbus/pool.ts, so two config nodes for the same
 * bus share one queue, and the socket closes when the last device node lets go.
 */
import { validator } from '../../lib/api/validate';
import { modbusLinkConfigSchema } from '../../lib/api/modbus-schemas';
import { endpointFromConfig, ModbusLinkConfig, optionsFromConfig } from '../../lib/transport/modbus/config';
import { describeEndpoint, endpointProblem } from '../../lib/transport/modbus/link';
import { acquireLink, LinkLease } from '../../lib/transport/modbus/pool';
import type { Node, NodeAPI } from '../_shared/red';
import { translator } from '../_shared/i18n';

const checkConfig = validator(modbusLinkConfigSchema, 'config');

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

  function ModbusLinkConfigNode(this: Node, config: ModbusLinkConfig) {
    RED.nodes.createNode(this, config);
    const node = this as ModbusLinkNode;
    const endpoint = endpointFromConfig(config, { tlsKey: node.credentials?.tlsKey });
    const options = optionsFromConfig(config);
    const problem = checkConfig(config) ?? endpointProblem(endpoint) ?? null;

    Object.defineProperty(node, 'problem', { value: problem, enumerable: true });
    if (problem) node.error(`${_('modbus-link.errors.config')}: ${problem}`);

    let warned = false;
    node.acquire = (): LinkLease => {
      if (problem) throw new Error(`${_('modbus-link.errors.config')}: ${problem}`);
      const lease = acquireLink(endpoint, options);
      if (lease.warning && !warned) node.warn(lease.warning);
      warned = true;
      return lease;
    };

    node.describe = (): string => {
      const parts = [describeEndpoint(endpoint)];
      if (options.timeoutMs !== undefined) parts.push(`timeout ${options.timeoutMs} ms`);
      if (endpoint.tls) parts.push(`TLS ${config.tlsTrust ?? 'verify'}`);
      return parts.join(', ');
    };
  }

  RED.nodes.registerType('modbus-link', ModbusLinkConfigNode, {
    credentials: { tlsKey: { type: 'password' } },
  });
};
