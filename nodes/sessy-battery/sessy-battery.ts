/**
 * sessy-battery: one Sessy home battery through its dongle's local API. Emits a normalized
 * `kind: "battery"` reading every poll and after every command; takes setpoints, strategies and
 * settings changes. The control recipe lives in lib/devices/sessy/battery.ts, the battery-node
 * skeleton in nodes/_shared/battery-node.ts; this file is configuration and the Sessy commands.
 */
import { SessyBattery } from '../../lib/devices/sessy/battery';
import { batteryOptions, parseBatteryCommand, type BatteryCommand, type SessyBatteryNodeConfig } from '../../lib/devices/sessy/commands';
import type { SessyDongleNode } from '../sessy-dongle/sessy-dongle';
import type { Node, NodeAPI } from '../_shared/red';
import { translator } from '../_shared/i18n';
import { rateLimitedWarn } from '../_shared/log';
import { runBatteryNode } from '../_shared/battery-node';

interface Config extends SessyBatteryNodeConfig {
  name?: string;
  topic?: string;
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'sessy-battery', __dirname);

  function SessyBatteryNode(this: Node, config: Config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const dongle = RED.nodes.getNode(String(config.dongle ?? '')) as SessyDongleNode | null;
    const opts = batteryOptions(config);
    const problem = !dongle ? 'config.dongle: no Sessy dongle configuration node selected' : (dongle.problem ?? ('error' in opts ? opts.error : undefined));
    const battery = problem ? undefined : new SessyBattery(dongle!.client!, { ...opts, pollMs: dongle!.pollMs, serial: dongle!.serial });
    const logLimited = rateLimitedWarn(node);

    if (battery) {
      battery.on('problem', (e: Error, kind: string) => {
        if (kind !== 'poll') logLimited(`${kind}:${(e as { code?: string }).code ?? e.message}`, `${kind}: ${e.message}`);
      });
      battery.on('mismatch', (m: { sent: number; reported: number | null }) => {
        logLimited('mismatch', `${_('sessy-battery.errors.mismatch')}: sent ${m.sent} W, the dongle reports power_setpoint ${m.reported ?? 'none'}`);
      });
      battery.on('override', (text: string) => node.warn(text));
      battery.on('failsafe', (text: string) => node.warn(`${_('sessy-battery.errors.failsafe')}: ${text}`));
    }

    runBatteryNode<BatteryCommand>({
      RED,
      node,
      device: battery ?? { error: problem ?? 'invalid configuration' },
      topic: config.topic || 'sessy',
      pollMs: dongle?.pollMs ?? 5000,
      sourceWindowMs: Math.max('error' in opts ? 0 : (opts.keepAliveMs ?? 0), 60_000),
      text: (k) => (k === 'config' ? _('sessy-battery.errors.config') : _(`sessy-battery.status.${k}`)),
      parse: (msg) => parseBatteryCommand(msg),
      extra: async (c) => {
        if (c.type === 'strategy') return { ...(await battery!.setStrategy(c.strategy)) };
        if (c.type === 'settings') return { settings: await battery!.changeSettings(c.settings) };
        return undefined;
      },
      released: () => ({ strategy: battery!.strategy }),
      label: (r) => String(r.strategyLabel ?? r.strategy ?? '?'),
      raw: () => (config.raw && battery ? { ...battery.client.raw } : undefined),
    });
  }

  RED.nodes.registerType('sessy-battery', SessyBatteryNode);
};
