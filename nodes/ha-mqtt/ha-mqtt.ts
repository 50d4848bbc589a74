/**
 * ha-mqtt: config node naming the MQTT broker Home Assistant listens to, the discovery prefix and
 * our base topic. Nodes take a lease on one shared connection per broker, user and base topic
 * (lib/ha/mqtt.ts) and release it when they close; the connection's last will marks every
 * entity unavailable when Node-RED dies.
 */
import { acquireBridge, readHaMqttSettings, type HaBridge, type HaMqttSettings } from '../../lib/ha/mqtt';
import type { Node, NodeAPI } from '../_shared/red';
import { translator } from '../_shared/i18n';

/** What ha-entities sees of an ha-mqtt config node. */
export interface HaMqttNode extends Node {
  /** A lease on the shared connection; throws when the configuration is invalid. */
  acquire(): { bridge: HaBridge; release: () => Promise<void> };
  readonly settings: HaMqttSettings | null;
  readonly problem: string | null;
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'ha-mqtt', __dirname);

  function HaMqttConfigNode(this: Node, saved: Record<string, unknown>) {
    RED.nodes.createNode(this, saved);
    const node = this as HaMqttNode;
    const r = readHaMqttSettings(saved, { user: node.credentials?.user, password: node.credentials?.password });
    Object.defineProperty(node, 'problem', { value: r.ok ? null : r.error, enumerable: true });
    Object.defineProperty(node, 'settings', { value: r.ok ? r.settings : null, enumerable: true });
    if (!r.ok) node.error(`${_('ha-mqtt.errors.config')}: ${r.error}`);
    node.acquire = () => {
      if (!r.ok) throw new Error(`${_('ha-mqtt.errors.config')}: ${r.error}`);
      return acquireBridge(r.settings);
    };
  }

  RED.nodes.registerType('ha-mqtt', HaMqttConfigNode, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
  });
};
