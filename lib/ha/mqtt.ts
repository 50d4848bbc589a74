/**
 * The MQTT side of the Home Assistant bridge: the ha-mqtt settings (schema + reader) and one shared
 * connection per broker, user and base topic, reference-counted by the nodes that use it. The
 * connection carries a last will ("offline", retained) on `<baseTopic>/status`, says "online" there
 * after every connect, listens for HA's birth message on `<prefix>/status` and for commands on
 * `<baseTopic>/+/+/set`. No Node-RED here; mqtt.js reconnects by itself.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { configReader, oneOf, text, type ConfigSchema } from '../api/config';
import { birthTopic, bridgeTopic, commandFilter, type HaTopics } from './discovery';
import { SharedPool } from './shared';

/** A topic level of ours: no wildcards, no empty level, no leading or trailing "/". */
const TOPIC_ROOT = '^[^#+/\\s]+(/[^#+/\\s]+)*$';

export const haMqttConfigSchema: ConfigSchema = {
  type: 'object',
  required: ['broker'],
  properties: {
    broker: text({ pattern: '^mqtts?://[^\\s/]+(:\\d{1,5})?/?$', description: 'mqtt://host:1883 or mqtts://host:8883' }),
    tlsTrust: oneOf(['verify', 'ca', 'insecure'], 'verify'),
    tlsCa: text({ empty: true, pattern: '-----BEGIN CERTIFICATE-----' }),
    prefix: text({ default: 'homeassistant', pattern: TOPIC_ROOT }),
    baseTopic: text({ default: 'home-energy', pattern: TOPIC_ROOT }),
    clientId: text({ empty: true, pattern: '^[\\x21-\\x7e]{1,64}$' }),
  },
};

export interface HaMqttConfig {
  broker: string;
  tlsTrust?: 'verify' | 'ca' | 'insecure';
  tlsCa?: string;
  prefix: string;
  baseTopic: string;
  clientId?: string;
}

export interface HaMqttSettings extends HaTopics {
  url: string;
  username?: string;
  password?: string;
  tlsTrust: 'verify' | 'ca' | 'insecure';
  ca?: string;
  clientId?: string;
}

const read = configReader<HaMqttConfig>(haMqttConfigSchema);

/** Saved config + credentials → settings, or the first problem naming the field. */
export function readHaMqttSettings(raw: unknown, creds: { user?: string; password?: string } = {}): { ok: true; settings: HaMqttSettings } | { ok: false; error: string } {
  const r = read(raw);
  if (!r.ok) return r;
  const c = r.config;
  if (c.tlsTrust === 'ca' && !c.tlsCa) return { ok: false, error: 'config.tlsCa: a CA certificate (PEM) is needed for trust "ca"' };
  const s: HaMqttSettings = { url: c.broker.replace(/\/$/, ''), prefix: c.prefix, baseTopic: c.baseTopic, tlsTrust: c.tlsTrust ?? 'verify' };
  if (creds.user) s.username = creds.user;
  if (creds.password) s.password = creds.password;
  if (c.tlsCa) s.ca = c.tlsCa;
  if (c.clientId) s.clientId = c.clientId;
  return { ok: true, settings: s };
}

export interface Publication {
  topic: string;
  payload: string;
}

/**
 * One broker connection. Events: 'connect', 'offline' (with the reason text), 'birth' (HA came
 * online), 'command' (topic, payload Buffer).
 */
export class HaBridge extends EventEmitter {
  readonly client: MqttClient;
  connected = false;
  lastError: string | null = null;

  constructor(readonly settings: HaMqttSettings) {
    super();
    this.setMaxListeners(0);
    const s = settings;
    const o: IClientOptions = {
      reconnectPeriod: 5000,
      connectTimeout: 10_000,
      clean: true,
      will: { topic: bridgeTopic(s), payload: Buffer.from('offline'), retain: true, qos: 1 },
      clientId: s.clientId ?? `home-energy-${Math.random().toString(16).slice(2, 10)}`,
    };
    if (s.username) o.username = s.username;
    if (s.password) o.password = s.password;
    if (s.url.startsWith('mqtts:')) {
      if (s.tlsTrust === 'insecure') o.rejectUnauthorized = false;
      if (s.tlsTrust === 'ca' && s.ca) o.ca = s.ca;
    }
    this.client = mqtt.connect(s.url, o);
    this.client.on('connect', () => {
      this.connected = true;
      this.lastError = null;
      this.client.publish(bridgeTopic(s), 'online', { retain: true, qos: 1 });
      this.client.subscribe([birthTopic(s), commandFilter(s)], { qos: 0 });
      this.emit('connect');
    });
    this.client.on('message', (topic, payload) => {
      if (topic === birthTopic(s)) {
        if (payload.toString('utf8').trim() === 'online') this.emit('birth');
      } else this.emit('command', topic, payload);
    });
    const lost = (why: string) => {
      if (this.connected) this.emit('offline', why);
      this.connected = false;
    };
    this.client.on('error', (e) => {
      this.lastError = (e as NodeJS.ErrnoException).code ?? e.message;
      lost(this.lastError);
    });
    this.client.on('close', () => lost(this.lastError ?? 'closed'));
  }

  /** Retained publications (configs, availability, state); mqtt.js queues them while offline. */
  publish(list: Publication[], retain = true): void {
    for (const p of list) this.client.publish(p.topic, p.payload, { retain, qos: p.payload === '' ? 1 : 0 });
  }

  /** Says "offline" on the bridge topic (a clean stop sends no last will), then disconnects. */
  end(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => this.client.end(false, {}, () => resolve());
      if (this.connected) this.client.publish(bridgeTopic(this.settings), 'offline', { retain: true, qos: 1 }, done);
      else this.client.end(true, {}, () => resolve());
      setTimeout(() => this.client.end(true, {}, () => resolve()), 3000).unref();
    });
  }
}

const bridges = new SharedPool<HaBridge>((b) => b.end());

/** A lease on the shared connection for these settings; `release()` closes it after the last user. */
export function acquireBridge(s: HaMqttSettings): { bridge: HaBridge; release: () => Promise<void> } {
  const lease = bridges.acquire(JSON.stringify([s.url, s.username ?? '', s.baseTopic, s.prefix]), () => new HaBridge(s));
  return { bridge: lease.value, release: lease.release };
}
