/**
 * ha-server: config node naming a Home Assistant instance for the websocket API: its URL and a
 * long-lived access token (a credential), or, inside the Home Assistant add-on, the Supervisor
 * proxy with SUPERVISOR_TOKEN. ha-state nodes share one connection per URL and token
 * (lib/ha/ws.ts), which reconnects by itself and resubscribes.
 */
import { acquireHaClient, readHaServerSettings, type HaClient } from '../../lib/ha/ws';
import type { Node, NodeAPI } from '../_shared/red';
import { translator } from '../_shared/i18n';

/** What ha-state sees of an ha-server config node. */
export interface HaServerNode extends Node {
  acquire(): { client: HaClient; release: () => void };
  readonly problem: string | null;
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'ha-server', __dirname);

  function HaServerConfigNode(this: Node, saved: Record<string, unknown>) {
    RED.nodes.createNode(this, saved);
    const node = this as HaServerNode;
    const r = readHaServerSettings(saved, { token: node.credentials?.token });
    Object.defineProperty(node, 'problem', { value: r.ok ? null : r.error, enumerable: true });
    if (!r.ok) node.error(`${_('ha-server.errors.config')}: ${r.error}`);
    node.acquire = () => {
      if (!r.ok) throw new Error(`${_('ha-server.errors.config')}: ${r.error}`);
      return acquireHaClient(r.settings);
    };
  }

  RED.nodes.registerType('ha-server', HaServerConfigNode, { credentials: { token: { type: 'password' } } });
};
