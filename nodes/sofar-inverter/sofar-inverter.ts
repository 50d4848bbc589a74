/**
 * sofar-inverter: reads a Sofar ME3000SP storage inverter through a modbus-link config node (RTU on
 * RS485, or an RTU-over-TCP gateway) and controls it in passive mode. Emits a normalized
 * `kind: "battery"` reading every poll and after every command; takes battery setpoints with the
 * same meaning as sessy-battery. Protocol work lives in lib/devices/sofar; this file translates.
 */
import { checkSofarConfig, optionsFromConfig, parseSofarCommand, releaseMode, type SofarInverterConfig } from '../../lib/devices/sofar/commands';
import type { LinkLease } from '../../lib/transport/modbus/pool';
import { SofarInverter, type CommandResult } from '../../lib/devices/sofar/inverter';
import type { BatteryReading } from '../../lib/api/types';
import { linkInfo, linkStatusSuffix } from '../_shared/link-info';
import type { ModbusLinkNode } from '../modbus-link/modbus-link';
import type { Node, NodeAPI } from '../_shared/red';
import { formatAge, freshness } from '../_shared/status';
import { translator } from '../_shared/i18n';
import { rateLimitedWarn } from '../_shared/log';
import { BatteryOutput, batterySummary } from '../_shared/battery-node';
import { closeInOrder } from '../_shared/close';

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'sofar-inverter', __dirname);

  function SofarInverterNode(this: Node, config: SofarInverterConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    let problem = checkSofarConfig(config);
    let inverter: SofarInverter | undefined;
    let hold: LinkLease | undefined;
    let failure: { text: string; at: number } | undefined;
    let rejected: string | undefined;
    const output = new BatteryOutput(node, config.topic || 'sofar', () =>
      config.raw && inverter?.last ? { realtime: inverter.last.words, battery: inverter.battery, info: inverter.info } : undefined,
      () => (hold ? { link: linkInfo(hold.link) } : undefined),
    );
    const logLimited = rateLimitedWarn(node);
    const o = optionsFromConfig(config);

    const updateStatus = () => {
      if (problem) return;
      const last = output.last;
      const age = last ? Date.now() - last.at : Infinity;
      if (rejected) {
        node.status({ fill: 'red', shape: 'ring', text: rejected.slice(0, 60) });
        return;
      }
      if (failure && (!last || failure.at > last.at) && age > o.staleMs) {
        node.status({ fill: 'red', shape: 'ring', text: failure.text.slice(0, 60) });
        return;
      }
      if (!last) {
        node.status({ fill: 'yellow', shape: 'ring', text: _('sofar-inverter.status.connecting') });
        return;
      }
      const r = last.reading;
      const cmd = inverter?.active ? ` · ${r.strategy ?? ''}`.replace('passive ', '') : '';
      node.status(freshness(age, o.staleMs, `${batterySummary(r)} · ${r.stateText ?? r.state}${cmd} · ${formatAge(age)}${linkStatusSuffix(hold?.link)}`));
    };

    if (!problem) {
      const linkNode = RED.nodes.getNode(String(config.link)) as ModbusLinkNode | null;
      if (!linkNode || typeof linkNode.acquire !== 'function') problem = `config.link: ${_('sofar-inverter.errors.noLink')}`;
      else {
        try {
          // Our own lease keeps the shared link open until the close command went out.
          hold = linkNode.acquire();
          inverter = new SofarInverter({ link: hold.link, unit: o.unit, settings: o.settings, pollMs: o.pollMs });
        } catch (e) {
          problem = (e as Error).message;
        }
      }
    }

    if (problem || !inverter) {
      node.status({ fill: 'red', shape: 'ring', text: _('sofar-inverter.status.config') });
      node.error(`${_('sofar-inverter.errors.config')}: ${problem}`);
    } else {
      const inv = inverter;
      inv.on('reading', (reading: BatteryReading) => {
        output.reading(reading);
        updateStatus();
      });
      inv.on('problem', (e: Error & { phase?: string }) => {
        if (e.phase === 'poll' || e.phase === 'command' || e.phase === 'heartbeat') failure = { text: e.message, at: Date.now() };
        logLimited(`${e.phase}:${e.message}`, e.message);
        updateStatus();
      });
      inv.on('command', (r: CommandResult) => {
        rejected = undefined;
        failure = undefined;
        if (r.clamped) logLimited('clamped', `${_('sofar-inverter.errors.clamped')}: ${r.requestedW} W → ${r.text}`);
        updateStatus();
      });
      inv.on('warning', (text: string) => node.warn(text));
      inv.start();
      updateStatus();
    }
    const ticker = setInterval(updateStatus, 1000);

    node.on('input', (msg, send, done) => {
      const parsed = parseSofarCommand(msg);
      if ('error' in parsed) return done(new Error(parsed.error));
      if (problem || !inverter) return done(new Error(`${_('sofar-inverter.errors.config')}: ${problem}`));
      const inv = inverter;
      const c = parsed.command;
      output.run(msg, send, done, {
        command: c,
        serial: inv.info?.serial,
        execute: async () => {
          let r: CommandResult | undefined;
          if (c.type === 'setpoint') r = await inv.setpoint(c.power);
          else if (c.type === 'mode') r = await inv.setMode(c.mode);
          else if (c.type === 'release') r = await inv.setMode(releaseMode(o.settings.onClose));
          return r && { command: r.text, requestedW: r.requestedW ?? null, clamped: r.clamped, status: r.status ?? null };
        },
        read: () => inv.poll(),
        noReading: c.type === 'refresh' ? _('sofar-inverter.errors.noReading') : undefined,
        onError: (e: Error & { phase?: string }) => {
          if (e.phase === 'command') rejected = e.message;
          updateStatus();
        },
      });
    });

    closeInOrder(
      node,
      () => clearInterval(ticker),
      () => inverter?.close(3000),
      // Our own lease kept the shared link open until the close command went out.
      () => hold?.release(),
      () => inverter?.removeAllListeners(),
    );
  }

  RED.nodes.registerType('sofar-inverter', SofarInverterNode);
};
