/**
 * sessy-battery: one Sessy home battery through its dongle's local API. Emits a normalized
 * `kind: "battery"` reading every poll and after every command; takes setpoints, strategies and
 * settings changes. The control recipe lives in lib/devices/sessy/battery.ts; this file translates
 * config and messages and owns the status.
 */
import type { BatteryReading } from '../../lib/api/types';
import { SessyBattery, type SessyBatteryOptions } from '../../lib/devices/sessy/battery';
import { batteryOptions, parseBatteryCommand, type SessyBatteryNodeConfig } from '../../lib/devices/sessy/commands';
import type { HttpError } from '../../lib/transport/http';
import type { SessyDongleNode } from '../sessy-dongle/sessy-dongle';
import type { Node, NodeAPI, NodeStatus } from '../_shared/red';
import { formatAge } from '../_shared/status';
import { translator } from '../_shared/i18n';
import { rateLimitedWarn } from '../_shared/log';
import { BatteryOutput, batterySummary } from '../_shared/battery-node';
import { closeInOrder } from '../_shared/close';

interface Config extends SessyBatteryNodeConfig {
  name?: string;
  topic?: string;
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'sessy-battery', __dirname);

  function problemText(e: Error): string {
    const code = (e as HttpError).code;
    const status = (e as HttpError).status;
    switch (code) {
      case 'auth':
        return _('sessy-battery.status.auth');
      case 'timeout':
        return _('sessy-battery.status.timeout');
      case 'connect':
        return _('sessy-battery.status.unreachable');
      case 'status':
        return `HTTP ${status ?? '?'}`;
      case 'json':
        return _('sessy-battery.status.badReply');
      case 'envelope':
        return _('sessy-battery.status.dongleError');
      default:
        return e.message.length > 48 ? e.message.slice(0, 47) + '…' : e.message;
    }
  }

  function SessyBatteryNode(this: Node, config: Config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const dongle = RED.nodes.getNode(String(config.dongle ?? '')) as SessyDongleNode | null;
    const opts = batteryOptions(config);
    let problem: string | null = null;
    if (!dongle) problem = 'config.dongle: no Sessy dongle configuration node selected';
    else if (dongle.problem) problem = dongle.problem;
    else if ('error' in opts) problem = opts.error;
    let battery: SessyBattery | undefined;
    let failure: { text: string; at: number } | undefined;
    const output = new BatteryOutput(node, config.topic || 'sessy', () => (config.raw && battery ? { ...battery.client.raw } : undefined));
    const logLimited = rateLimitedWarn(node);
    const pollMs = dongle?.pollMs ?? 5000;
    const staleMs = Math.max(3 * pollMs, 3000);

    const readingStatus = (r: BatteryReading, age: number): NodeStatus => {
      const soc = r.soc === null ? '?' : `${Math.round(r.soc)}%`;
      const label = (r.strategyLabel as string | undefined) ?? r.strategy ?? '?';
      const base = batterySummary(r);
      if (age > staleMs) return { fill: 'yellow', shape: 'ring', text: `${base} · ${_('sessy-battery.status.stale')} ${formatAge(age)}` };
      switch (r.state) {
        case 'starting':
          return { fill: 'yellow', shape: 'ring', text: `${_('sessy-battery.status.starting')}${r.startupRemainingS !== undefined ? ` ${r.startupRemainingS} s` : ''} · ${soc}` };
        case 'override':
          return { fill: 'yellow', shape: 'ring', text: `${_('sessy-battery.status.override')}: ${String(r.statusText ?? r.stateText)}`.slice(0, 60) };
        case 'error':
          return { fill: 'red', shape: 'ring', text: `${_('sessy-battery.status.deviceError')}${r.stateDetails ? `: ${String(r.stateDetails)}` : ''}`.slice(0, 60) };
        case 'unknown':
          return { fill: 'yellow', shape: 'ring', text: `${String(r.stateText)} · ${soc}` };
        default:
          break;
      }
      if (r.setpointMismatch) return { fill: 'yellow', shape: 'ring', text: `${_('sessy-battery.status.mismatch')}: ${r.sentSetpoint} W ≠ ${r.setpoint ?? '–'} W` };
      const extra = r.state === 'empty' || r.state === 'full' || r.state === 'standby' ? _(`sessy-battery.status.${r.state}`) : label;
      return { fill: 'green', shape: 'dot', text: `${base} · ${extra}` };
    };

    const updateStatus = () => {
      if (problem) return;
      const now = Date.now();
      const last = output.last;
      if (failure && (!last || failure.at >= last.at)) {
        const age = last ? ` · ${_('sessy-battery.status.last')} ${formatAge(now - last.at)}` : '';
        node.status({ fill: 'red', shape: 'ring', text: `${failure.text}${age}` });
        return;
      }
      if (!last) {
        node.status({ fill: 'yellow', shape: 'ring', text: _('sessy-battery.status.connecting') });
        return;
      }
      node.status(readingStatus(last.reading, now - last.at));
    };

    if (problem) {
      node.status({ fill: 'red', shape: 'ring', text: _('sessy-battery.status.config') });
      node.error(`${_('sessy-battery.errors.config')}: ${problem}`);
    } else {
      const o = opts as SessyBatteryOptions;
      battery = new SessyBattery(dongle!.client!, { ...o, pollMs, serial: dongle!.serial });
      battery.on('reading', (r: BatteryReading) => {
        failure = undefined;
        output.reading(r);
        updateStatus();
      });
      battery.on('problem', (e: Error, kind: string) => {
        if (kind === 'poll' || kind === 'keep-alive' || kind === 'setpoint' || kind === 'release') failure = { text: problemText(e), at: Date.now() };
        logLimited(`${kind}:${(e as HttpError).code ?? e.message}`, `${kind}: ${e.message}`);
        updateStatus();
      });
      battery.on('mismatch', (m: { sent: number; reported: number | null }) => {
        logLimited('mismatch', `${_('sessy-battery.errors.mismatch')}: sent ${m.sent} W, the dongle reports power_setpoint ${m.reported ?? 'none'}`);
      });
      battery.on('override', (text: string) => node.warn(text));
      battery.on('failsafe', (text: string) => node.warn(`${_('sessy-battery.errors.failsafe')}: ${text}`));
      battery.start();
      updateStatus();
    }
    const ticker = setInterval(updateStatus, 1000);

    node.on('input', (msg, send, done) => {
      const parsed = parseBatteryCommand(msg);
      if ('error' in parsed) return done(new Error(parsed.error));
      if (problem || !battery) return done(new Error(`${_('sessy-battery.errors.config')}: ${problem}`));
      const b = battery;
      const c = parsed.command;
      output.run(msg, send, done, {
        command: c,
        serial: b.lastReading?.serial ?? dongle?.serial,
        execute: async () => {
          if (c.type === 'setpoint') return { type: c.type, ...(await b.setSetpoint(c.power)) };
          if (c.type === 'strategy') return { type: c.type, ...(await b.setStrategy(c.strategy)) };
          if (c.type === 'settings') return { type: c.type, settings: await b.changeSettings(c.settings) };
          if (c.type === 'release') {
            await b.release();
            return { type: c.type, strategy: b.strategy };
          }
          return { type: c.type };
        },
        read: () => b.refresh(),
        onError: (e) => {
          // An invalid settings change (TypeError from the merge) is the message's fault, not the battery's.
          if (!(c.type === 'settings' && e instanceof TypeError)) failure = { text: problemText(e), at: Date.now() };
          updateStatus();
        },
      });
    });

    closeInOrder(
      node,
      () => clearInterval(ticker),
      () => battery?.stop(4000),
      () => battery?.removeAllListeners(),
    );
  }

  RED.nodes.registerType('sessy-battery', SessyBatteryNode);
};
