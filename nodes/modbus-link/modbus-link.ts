/**
 * modbus-link: config node naming one Modbus connection (TCP, TCP over TLS, RTU serial, RTU over a
 * TCP gateway). Device nodes call getLink(); links are shared per endpoint through the pool in
 * lib/transport/modbus/pool.ts, so two config nodes for the same bus share one queue.
 */
import { validator } from '../../lib/api/validate';
import { modbusLinkConfigSchema } from '../../lib/api/modbus-schemas';
import { endpointFromConfig, ModbusLinkConfig, optionsFromConfig } from '../../lib/transport/modbus/config';
import { describeEndpoint, endpointProblem } from '../../lib/transport/modbus/link';
import { acquireLink, LinkLease } from '../../lib/transport/modbus/pool';
import type { ModbusLink } from '../../lib/transport/modbus/types';
import type { Node, NodeAPI } from '../_shared/red';
import { translator } from '../_shared/i18n';

const checkConfig = validator(modbusLinkConfigSchema, 'config');

/** What device nodes see of a modbus-link config node. */
export interface ModbusLinkNode extends Node {
  /** The shared link, acquired on first use. Throws when the configuration is invalid. */
  getLink(): ModbusLink;
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
    let lease: LinkLease | undefined;

    Object.defineProperty(node, 'problem', { value: problem, enumerable: true });
    if (problem) node.error(`${_('modbus-link.errors.config')}: ${problem}`);

    node.getLink = (): ModbusLink => {
      if (problem) throw new Error(`${_('modbus-link.errors.config')}: ${problem}`);
      if (!lease) {
        lease = acquireLink(endpoint, options);
        if (lease.warning) node.warn(lease.warning);
      }
      return lease.link;
    };

    node.describe = (): string => {
      const parts = [describeEndpoint(endpoint)];
      if (options.timeoutMs !== undefined) parts.push(`timeout ${options.timeoutMs} ms`);
      if (endpoint.tls) parts.push(`TLS ${config.tlsTrust ?? 'verify'}`);
      return parts.join(', ');
    };

    node.on('close', (_removed: boolean, done: () => void) => {
      const l = lease;
      lease = undefined;
      if (!l) return done();
      l.release().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('modbus-link', ModbusLinkConfigNode, {
    credentials: { tlsKey: { type: 'password' } },
  });
};
