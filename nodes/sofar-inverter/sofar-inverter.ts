/**
 * sofar-inverter: reads a Sofar ME3000SP storage inverter through a modbus-link config node (RTU on
 * RS485, or an RTU-over-TCP gateway) and controls it in passive mode. Emits a normalized
 * `kind: "battery"` reading every poll and after every command; takes battery setpoints with the
 * same meaning as sessy-battery. Protocol work lives in lib/devices/sofar; this file translates.
 */
import { parseSofarCommand, releaseMode } from '../../lib/devices/sofar/commands';
import { optionsFromConfig, readSofarConfig } from '../../lib/devices/sofar/config';
import { SofarInverter, type CommandResult, type SofarError } from '../../lib/devices/sofar/inverter';
import type { LinkLease } from '../../lib/transport/modbus/pool';
import { linkInfo, linkStatusSuffix } from '../_shared/link-info';
import type { ModbusLinkNode } from '../modbus-link/modbus-link';
import type { Node, NodeAPI } from '../_shared/red';
import { translator } from '../_shared/i18n';
import { rateLimitedWarn } from '../_shared/log';
import { BatteryOutput, batterySummary } from '../_shared/battery-node';
import { closeInOrder } from '../_shared/close';
import { DeviceStatus, errorText, safeInput, shortError } from '../_shared/device-node';

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'sofar-inverter', __dirname);

  function SofarInverterNode(this: Node, raw: Record<string, unknown>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const read = readSofarConfig(raw);
    let problem = read.ok ? undefined : read.error;
    const config = read.ok ? read.config : undefined;
    const o = config ? optionsFromConfig(config) : undefined;
    let inverter: SofarInverter | undefined;
    let hold: LinkLease | undefined;
    /** The last command was refused: the status shows the reason instead of the state. */
    let refused = false;
    const output = new BatteryOutput(
      node,
      config?.topic || 'sofar',
      () => (config?.raw && inverter?.last ? { realtime: inverter.last.words, battery: inverter.battery, info: inverter.info } : undefined),
      () => (hold ? { link: linkInfo(hold.link) } : undefined),
    );
    const status = new DeviceStatus(node, {
      freshness: o?.freshness ?? { expectedMs: 5000 },
      waiting: _('sofar-inverter.status.connecting'),
      summary: () => {
        const r = output.last?.reading;
        return r ? `${batterySummary(r)}${refused ? '' : ` · ${r.state}`}` : '';
      },
      suffix: () => linkStatusSuffix(hold?.link),
    });
    const logLimited = rateLimitedWarn(node);

    if (config && o) {
      const linkNode = RED.nodes.getNode(config.link) as ModbusLinkNode | null;
      if (!linkNode || typeof linkNode.acquire !== 'function') problem = `config.link: ${_('sofar-inverter.errors.noLink')}`;
      else {
        try {
          // Our own lease keeps the shared link open until the close command went out.
          hold = linkNode.acquire();
          inverter = new SofarInverter({ link: hold.link, unit: o.unit, settings: o.settings, pollMs: o.pollMs });
        } catch (e) {
          problem = errorText(e);
        }
      }
    }

    if (problem || !inverter) {
      status.config(_('sofar-inverter.status.config'));
      node.error(`${_('sofar-inverter.errors.config')}: ${problem}`);
    } else {
      const inv = inverter;
      inv.on('reading', (reading) => {
        output.reading(reading);
        status.good();
      });
      inv.on('poll-error', (e: Error) => status.failed(e));
      inv.on('problem', (e: SofarError) => {
        if (e.phase !== 'poll') logLimited(`${e.phase}:${e.code}`, e.message);
      });
      inv.on('command', (r: CommandResult) => {
        refused = false;
        status.warn('command', undefined);
        if (r.clamped) logLimited('clamped', `${_('sofar-inverter.errors.clamped')}: ${r.requestedW} W → ${r.text}`);
      });
      inv.on('warning', (text: string) => node.warn(text));
      inv.start();
    }

    safeInput(node, (msg, send) => {
      const parsed = parseSofarCommand(msg);
      if ('error' in parsed) throw new Error(parsed.error);
      if (problem || !inverter || !o) throw new Error(`${_('sofar-inverter.errors.config')}: ${problem}`);
      const inv = inverter;
      const c = parsed.command;
      return new Promise<void>((resolve, reject) =>
        output.run(msg, send, (e) => (e ? reject(e) : resolve()), {
          command: c,
          serial: inv.serial,
          execute: async () => {
            let r: CommandResult | undefined;
            if (c.type === 'setpoint') r = await inv.setpoint(c.power);
            else if (c.type === 'mode') r = await inv.setMode(c.mode);
            else if (c.type === 'release') r = await inv.setMode(releaseMode(o.settings.onClose));
            return r && { command: r.text, requestedW: r.requestedW ?? null, clamped: r.clamped, status: r.status ?? null };
          },
          read: () => inv.read(),
          noReading: c.type === 'refresh' ? _('sofar-inverter.errors.noReading') : undefined,
          // A refused command: yellow with the reason until the next accepted one (readings go on).
          onError: (e: Error) => {
            if ((e as SofarError).phase !== 'command') return;
            refused = true;
            status.warn('command', shortError(e));
          },
        }),
      );
    });

    closeInOrder(
      node,
      () => status.close(),
      () => inverter?.close(3000),
      // Our own lease kept the shared link open until the close command went out.
      () => hold?.release(),
      () => inverter?.removeAllListeners(),
    );
  }

  RED.nodes.registerType('sofar-inverter', SofarInverterNode);
};
