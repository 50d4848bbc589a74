/**
 * p1-meter: reads a DSMR / e-MUCS smart meter from a serial port, a raw TCP gateway, a Sessy P1
 * dongle, or telegrams arriving on its input, and emits one normalized `kind: "meter"` payload per
 * valid telegram. All protocol work lives in lib/devices/p1; this file only translates.
 */
import { validator } from '../../lib/api/validate';
import { p1MeterConfigSchema } from '../../lib/api/schemas';
import { P1Source, P1SourceConfig, P1ReadingEvent } from '../../lib/devices/p1/source';
import { serialPortsHandler } from '../../lib/transport/serial-list';
import type { Node, NodeAPI, NodeMessage } from '../_shared/red';
import { formatAge, formatPower, freshness } from '../_shared/status';
import { translator } from '../_shared/i18n';
import { rateLimitedWarn } from '../_shared/log';
import { closeInOrder } from '../_shared/close';

interface P1MeterConfig {
  name?: string;
  topic?: string;
  source: 'serial' | 'tcp' | 'sessy' | 'input';
  serialPort?: string;
  baud?: string;
  framing?: '8N1' | '7E1';
  host?: string;
  port?: number | string;
  url?: string;
  pollInterval?: number | string;
  staleAfter?: number | string;
  raw?: boolean;
  capacity?: boolean;
}

const checkConfig = validator(p1MeterConfigSchema, 'config');

export function toSourceConfig(c: P1MeterConfig, creds: Record<string, string | undefined> = {}): P1SourceConfig {
  switch (c.source) {
    case 'serial':
      return { type: 'serial', path: String(c.serialPort).trim(), baudRate: c.baud === 'auto' || !c.baud ? 'auto' : Number(c.baud), framing: c.framing ?? '8N1' };
    case 'tcp':
      return { type: 'tcp', host: String(c.host).trim(), port: Number(c.port) };
    case 'sessy':
      return { type: 'sessy', url: String(c.url).trim(), user: creds.user || undefined, password: creds.password || undefined, pollMs: Math.round(Number(c.pollInterval || 2) * 1000) };
    default:
      return { type: 'input' };
  }
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'p1-meter', __dirname);
  function P1MeterNode(this: Node, config: P1MeterConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const problem = checkConfig(config);
    let source: P1Source | undefined;
    let last: { event: P1ReadingEvent; at: number } | undefined;
    let connState = 'connecting';
    let intervalMs = 0;
    /** Problems of one kind are logged at most once a minute; counters and status show every one. */
    const logLimited = rateLimitedWarn(node);
    const fixedStaleMs = Number(config.staleAfter) > 0 ? Number(config.staleAfter) * 1000 : 0;

    const staleMs = () => fixedStaleMs || Math.max(3000, 3 * (intervalMs || (config.source === 'sessy' ? Number(config.pollInterval || 2) * 1000 : 1000)));

    const buildMsg = (ev: P1ReadingEvent): NodeMessage => {
      const msg: NodeMessage = { topic: config.topic || 'p1', payload: ev.reading };
      if (config.raw) {
        msg.raw = ev.raw;
        if (ev.telegram) msg.telegram = ev.telegram;
      }
      return msg;
    };

    const updateStatus = () => {
      if (problem) return;
      const crc = source ? source.counters.crcErrors : 0;
      const crcText = crc ? ` · ${crc} ${_('p1-meter.status.crc')}` : '';
      if (!last) {
        if (config.source === 'input') node.status({ fill: 'grey', shape: 'ring', text: _('p1-meter.status.waiting') + crcText });
        else node.status({ fill: 'yellow', shape: 'ring', text: _(`p1-meter.status.${connState}`) + crcText });
        return;
      }
      const age = Date.now() - last.at;
      node.status(freshness(age, staleMs(), `${formatPower(last.event.reading.power)} · ${formatAge(age)}${crcText}`));
    };

    const onReading = (ev: P1ReadingEvent) => {
      const now = Date.now();
      if (last) {
        const dt = now - last.at;
        intervalMs = intervalMs ? intervalMs * 0.8 + dt * 0.2 : dt;
      }
      last = { event: ev, at: now };
      node.send(buildMsg(ev));
      updateStatus();
    };

    if (problem) {
      node.status({ fill: 'red', shape: 'ring', text: _('p1-meter.status.config') });
      node.error(`${_('p1-meter.errors.config')}: ${problem}`);
    } else {
      const sc = toSourceConfig(config, node.credentials);
      source = new P1Source(sc, undefined, { computeCapacity: config.capacity !== false });
      source.on('reading', onReading);
      source.on('invalid', (ev: { reason: string }) => {
        logLimited('crc', `${_('p1-meter.errors.invalid')}: ${ev.reason} (${source!.counters.crcErrors} ${_('p1-meter.status.crc')})`);
        updateStatus();
      });
      source.on('problem', (e: Error) => {
        logLimited('problem:' + e.message, e.message);
        if (!last || Date.now() - last.at > staleMs()) node.status({ fill: 'red', shape: 'ring', text: e.message.slice(0, 40) });
      });
      source.on('state', (s: string) => {
        connState = s;
        updateStatus();
      });
      source.start();
      updateStatus();
    }
    const ticker = setInterval(updateStatus, 1000);

    node.on('input', (msg, send, done) => {
      if (problem || !source) return done(new Error(`${_('p1-meter.errors.config')}: ${problem}`));
      if (config.source === 'input') {
        const p = msg.payload;
        if (typeof p !== 'string' && !Buffer.isBuffer(p)) {
          return done(new Error(`msg.payload: must be a telegram as a string or Buffer (got ${p === null ? 'null' : typeof p})`));
        }
        source.onBytes(p);
        return done();
      }
      // Other sources: any message asks for the latest reading again.
      if (!last) return done(new Error(_('p1-meter.errors.noReading')));
      send(Object.assign(msg, buildMsg(last.event)));
      done();
    });

    closeInOrder(
      node,
      () => clearInterval(ticker),
      () => source?.stop(),
      () => source?.removeAllListeners(),
    );
  }

  RED.nodes.registerType('p1-meter', P1MeterNode, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
  });

  // Serial ports for the editor's drop-down.
  if (RED.httpAdmin && RED.auth) {
    RED.httpAdmin.get('/home-energy/serial-ports', RED.auth.needsPermission('p1-meter.read'), serialPortsHandler());
  }
};
