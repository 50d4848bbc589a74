/**
 * sofar-inverter: reads a Sofar ME3000SP storage inverter through a modbus-link config node (RTU on
 * RS485, or an RTU-over-TCP gateway) and controls it in passive mode. Emits a normalized
 * `kind: "battery"` reading every poll and after every command; takes battery setpoints with the
 * same meaning as sessy-battery. Protocol work lives in lib/devices/sofar; this file translates.
 */
import { checkSofarConfig, optionsFromConfig, parseSofarCommand, type SofarInverterConfig } from '../../lib/devices/sofar/commands';
import type { LinkLease } from '../../lib/transport/modbus/pool';
import { SofarInverter, type CommandResult } from '../../lib/devices/sofar/inverter';
import type { BatteryReading } from '../../lib/api/types';
import type { ModbusLinkNode } from '../modbus-link/modbus-link';
import type { Node, NodeAPI, NodeMessage } from '../_shared/red';
import { formatAge, formatPower, freshness } from '../_shared/status';
import { translator } from '../_shared/i18n';

/** Problems of one kind are logged at most this often; status shows every one. */
const LOG_EVERY_MS = 60_000;

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'sofar-inverter', __dirname);

  function SofarInverterNode(this: Node, config: SofarInverterConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const topic = config.topic || 'sofar';
    let problem = checkSofarConfig(config);
    let inverter: SofarInverter | undefined;
    let hold: LinkLease | undefined;
    let last: { reading: BatteryReading; at: number } | undefined;
    let failure: { text: string; at: number } | undefined;
    let rejected: string | undefined;
    /** While > 0, readings go out as the reply to an input message instead of on their own. */
    let suppress = 0;
    const lastLogged = new Map<string, number>();
    const o = optionsFromConfig(config);

    const logLimited = (kind: string, text: string) => {
      const now = Date.now();
      if (now - (lastLogged.get(kind) ?? 0) >= LOG_EVERY_MS) {
        lastLogged.set(kind, now);
        node.warn(text);
      }
    };

    const buildMsg = (reading: BatteryReading): NodeMessage => {
      const msg: NodeMessage = { topic, payload: reading };
      if (config.raw && inverter?.last) msg.raw = { realtime: inverter.last.words, battery: inverter.battery, info: inverter.info };
      return msg;
    };

    const updateStatus = () => {
      if (problem) return;
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
      node.status(freshness(age, o.staleMs, `${formatPower(r.power)} · ${r.soc ?? '–'}% · ${r.stateText ?? r.state}${cmd} · ${formatAge(age)}`));
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
        last = { reading, at: Date.now() };
        if (suppress === 0) node.send(buildMsg(reading));
        updateStatus();
      });
      inv.on('problem', (e: Error & { phase?: string }) => {
        if (e.phase === 'poll' || e.phase === 'command' || e.phase === 'heartbeat') failure = { text: e.message, at: Date.now() };
        logLimited(`${e.phase}:${e.message.replace(/\d+/g, '#')}`, e.message);
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
      if ('serial' in c && c.serial) {
        const mine = inv.info?.serial;
        if (mine && c.serial.toUpperCase() !== mine.toUpperCase()) return done(); // for another battery
      }
      (async () => {
        let result: CommandResult | undefined;
        if (c.type === 'setpoint') result = await inv.setpoint(c.power);
        else if (c.type === 'mode') result = await inv.setMode(c.mode);
        let reading: BatteryReading | undefined;
        suppress++;
        try {
          reading = await inv.poll();
        } catch {
          /* the command went through; the poll loop reports the read problem */
        } finally {
          suppress--;
        }
        if (!reading && c.type === 'refresh') throw new Error(_('sofar-inverter.errors.noReading'));
        if (reading) {
          const out = buildMsg(reading);
          msg.topic = out.topic;
          msg.payload = out.payload;
          if (out.raw) msg.raw = out.raw;
          if (result) msg.command = { command: result.text, requestedW: result.requestedW ?? null, clamped: result.clamped, status: result.status ?? null };
          send(msg);
        }
      })().then(
        () => done(),
        (e: Error & { phase?: string }) => {
          if (e.phase === 'command') rejected = e.message;
          updateStatus();
          done(e);
        },
      );
    });

    node.on('close', (_removed, done) => {
      clearInterval(ticker);
      const stopping = inverter ? inverter.close(3000) : Promise.resolve();
      stopping
        .catch(() => undefined)
        .then(() => hold?.release())
        .catch(() => undefined)
        .then(() => {
          inverter?.removeAllListeners();
          node.status({});
          done();
        });
    });
  }

  RED.nodes.registerType('sofar-inverter', SofarInverterNode);
};
