/**
 * Home Assistant MQTT device-based discovery (HA 2024.11+): one retained config per device at
 * `<prefix>/device/<object_id>/config` with `dev`, `o` and `cmps`, every component with a
 * `unique_id`, its state read from one JSON per device on `<baseTopic>/<object_id>/state` by a
 * `value_template`, and availability = the bridge's last will AND the device's own topic (it goes
 * offline when the device stops reporting). Pure: topics and payloads only; the ha-entities node
 * publishes them. Facts: HA core mqtt/discovery.py (topic pattern, shared options), the MQTT
 * integration docs (device discovery, availability, abbreviations), sensor/const.py (units).
 */
import { entitiesOf, safeKey, type EntitySpec } from './entities';

export interface HaTopics {
  /** Discovery prefix (default "homeassistant"). */
  prefix: string;
  /** Root of our state, availability and command topics (default "home-energy"). */
  baseTopic: string;
}

export interface Origin {
  name: string;
  sw?: string;
  url?: string;
}

/** One device as HA will see it. */
export interface HaDevice {
  objectId: string;
  name: string;
  kind: string;
  serial: string | null;
  entities: EntitySpec[];
  manufacturer?: string;
  model?: string;
}

const MANUFACTURERS: Record<string, string> = { sessy: 'Sessy', 'sessy-p1': 'Sessy', ksem: 'KOSTAL', enector: 'KOSTAL', sofar: 'Sofar Solar' };
const CONTROLLERS: Record<string, { id: string; title: string }> = {
  'zero-export-status': { id: 'zero_export', title: 'Zero export' },
  'ev-charging-state': { id: 'ev_charging', title: 'EV charging' },
  'peak-shaving-state': { id: 'peak_shaving', title: 'Peak shaving' },
  tariff: { id: 'tariff', title: 'Tariff' },
  'battery-plan': { id: 'battery_planner', title: 'Battery planner' },
};
const TITLES: Record<string, string> = { meter: 'Meter', battery: 'Battery', charger: 'Charger' };

type Obj = Record<string, unknown>;
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/**
 * Which HA device a message belongs to: the name the user set (`msg.device`, or the node's device
 * name), else the serial the device reports, else the message topic (controllers), else the kind.
 * Returns null for payloads that are not one of our readings or controller states.
 */
export function deviceOf(msg: { topic?: unknown; payload?: unknown; device?: unknown }, nameOverride?: string | null): HaDevice | null {
  const entities = entitiesOf(msg.payload);
  if (!entities) return null;
  const p = msg.payload as Obj;
  const kind = p.kind as string;
  const serial = text(p.serial);
  const source = text(p.source);
  const userName = text(nameOverride) ?? text(msg.device);
  const ctl = CONTROLLERS[kind];
  let objectId: string;
  let name: string;
  if (ctl) {
    const t = text(msg.topic);
    // The controller node's default topic names no instance.
    const defaults = [kind.replace(/-(status|state|plan)$/, ''), ctl.id.replace(/_/g, '-')];
    const id = userName ?? (t && !defaults.includes(t) ? t : null);
    objectId = safeKey(`he_${ctl.id}${id ? `_${id}` : ''}`);
    name = userName ?? (id ? `${ctl.title} ${id}` : ctl.title);
  } else {
    const id = userName ?? serial ?? text(msg.topic) ?? kind;
    objectId = safeKey(`he_${source ?? kind}_${id}`);
    name = userName ?? `${(source && MANUFACTURERS[source]) ?? ''} ${TITLES[kind] ?? kind}${serial ? ` ${serial}` : ''}`.trim();
  }
  const d: HaDevice = { objectId, name: name.slice(0, 100), kind, serial, entities };
  if (source && MANUFACTURERS[source]) d.manufacturer = MANUFACTURERS[source];
  const model = text(p.model) ?? text(p.protocol);
  if (model) d.model = model.slice(0, 100);
  else if (source) d.model = source;
  return d;
}

export const topicsOf = (t: HaTopics, objectId: string) => ({
  config: `${t.prefix}/device/${objectId}/config`,
  state: `${t.baseTopic}/${objectId}/state`,
  availability: `${t.baseTopic}/${objectId}/availability`,
  command: (key: string) => `${t.baseTopic}/${objectId}/${key}/set`,
});
/** The bridge's own availability (last will "offline", "online" after connecting). */
export const bridgeTopic = (t: HaTopics) => `${t.baseTopic}/status`;
/** HA's birth message: republish every config when `online` arrives here. */
export const birthTopic = (t: HaTopics) => `${t.prefix}/status`;
/** What the ha-entities node subscribes to for commands. */
export const commandFilter = (t: HaTopics) => `${t.baseTopic}/+/+/set`;

function component(e: EntitySpec, d: HaDevice, t: HaTopics): Obj {
  const tp = topicsOf(t, d.objectId);
  const c: Obj = { p: e.platform, name: e.name, unique_id: `${d.objectId}_${e.key}` };
  if (e.device_class) c.device_class = e.device_class;
  if (e.state_class) c.state_class = e.state_class;
  if (e.unit) c.unit_of_measurement = e.unit;
  if (e.options && e.platform === 'sensor') c.options = e.options;
  if (e.precision !== undefined && e.platform === 'sensor') c.suggested_display_precision = e.precision;
  if (e.entity_category) c.entity_category = e.entity_category;
  if (e.icon) c.icon = e.icon;
  if (e.platform !== 'button') {
    c.state_topic = tp.state;
    c.value_template =
      e.platform === 'binary_sensor' || e.platform === 'switch'
        ? `{{ 'ON' if value_json.${e.key} else 'OFF' }}`
        : `{{ value_json.${e.key} }}`;
  }
  if (e.command) c.command_topic = tp.command(e.key);
  if (e.platform === 'number') {
    c.min = e.min;
    c.max = e.max;
    c.step = e.step;
    c.mode = 'box';
  }
  if (e.platform === 'select') c.options = e.options;
  return c;
}

/** The retained device-based discovery config of one device. */
export function discoveryConfig(d: HaDevice, t: HaTopics, origin: Origin): { topic: string; payload: Obj } {
  const tp = topicsOf(t, d.objectId);
  const dev: Obj = { ids: [d.objectId], name: d.name };
  if (d.manufacturer) dev.mf = d.manufacturer;
  if (d.model) dev.mdl = d.model;
  if (d.serial) dev.sn = d.serial;
  const cmps: Obj = {};
  for (const e of d.entities) cmps[e.key] = component(e, d, t);
  return {
    topic: tp.config,
    payload: {
      dev,
      o: { ...origin },
      availability: [{ topic: bridgeTopic(t) }, { topic: tp.availability }],
      availability_mode: 'all',
      qos: 0,
      cmps,
    },
  };
}

/** The state JSON of one device: every entity key, null where the value is unknown. */
export function stateOf(d: HaDevice): Record<string, number | string | boolean | null> {
  const s: Record<string, number | string | boolean | null> = {};
  for (const e of d.entities) if (e.platform !== 'button') s[e.key] = e.value ?? null;
  return s;
}

/**
 * The devices one ha-entities node announces: per device the union of every entity seen (so a
 * field missing from one reading does not remove its entity), the config to (re)publish when that
 * set changes, and the latest state, published at most once per `minIntervalMs` (time injected).
 */
export class HaDeviceBook {
  private readonly devices = new Map<string, { device: HaDevice; entities: Map<string, EntitySpec>; configJson: string; lastSent: number; pending: boolean; lastSeen: number; online: boolean }>();

  constructor(
    readonly topics: HaTopics,
    readonly origin: Origin,
    readonly minIntervalMs = 5000,
  ) {}

  /** A message → what to publish now (configs first). Returns null when the payload is not ours. */
  update(msg: { topic?: unknown; payload?: unknown; device?: unknown }, now: number, nameOverride?: string | null): { objectId: string; publish: Array<{ topic: string; payload: string }>; dueAt: number | null } | null {
    const d = deviceOf(msg, nameOverride);
    if (!d) return null;
    let rec = this.devices.get(d.objectId);
    if (!rec) {
      rec = { device: d, entities: new Map(), configJson: '', lastSent: -Infinity, pending: false, lastSeen: now, online: false };
      this.devices.set(d.objectId, rec);
    }
    for (const e of d.entities) rec.entities.set(e.key, e);
    rec.device = { ...d, entities: [...rec.entities.values()] };
    rec.lastSeen = now;
    const publish: Array<{ topic: string; payload: string }> = [];
    const cfg = discoveryConfig(rec.device, this.topics, this.origin);
    const json = JSON.stringify(cfg.payload);
    if (json !== rec.configJson) {
      rec.configJson = json;
      publish.push({ topic: cfg.topic, payload: json });
    }
    const tp = topicsOf(this.topics, d.objectId);
    if (!rec.online) {
      rec.online = true;
      publish.push({ topic: tp.availability, payload: 'online' });
    }
    let dueAt: number | null = null;
    if (now - rec.lastSent >= this.minIntervalMs || publish.length) {
      publish.push({ topic: tp.state, payload: JSON.stringify(stateOf(rec.device)) });
      rec.lastSent = now;
      rec.pending = false;
    } else {
      rec.pending = true;
      dueAt = rec.lastSent + this.minIntervalMs;
    }
    return { objectId: d.objectId, publish, dueAt };
  }

  /** Called on a timer: held-back states that are due, and devices silent for `offlineAfterMs` → offline. */
  tick(now: number, offlineAfterMs: number): Array<{ topic: string; payload: string }> {
    const out: Array<{ topic: string; payload: string }> = [];
    for (const [id, r] of this.devices) {
      const tp = topicsOf(this.topics, id);
      if (r.pending && now - r.lastSent >= this.minIntervalMs) {
        out.push({ topic: tp.state, payload: JSON.stringify(stateOf(r.device)) });
        r.lastSent = now;
        r.pending = false;
      }
      if (r.online && offlineAfterMs > 0 && now - r.lastSeen >= offlineAfterMs) {
        r.online = false;
        out.push({ topic: tp.availability, payload: 'offline' });
      }
    }
    return out;
  }

  /** Every config again (HA's birth message), with availability and the latest state. */
  republish(): Array<{ topic: string; payload: string }> {
    const out: Array<{ topic: string; payload: string }> = [];
    for (const [id, r] of this.devices) {
      const tp = topicsOf(this.topics, id);
      out.push({ topic: tp.config, payload: r.configJson });
      out.push({ topic: tp.availability, payload: r.online ? 'online' : 'offline' });
      out.push({ topic: tp.state, payload: JSON.stringify(stateOf(r.device)) });
    }
    return out;
  }

  /** The empty retained configs that remove every device of this node from HA (node deleted). */
  removal(): Array<{ topic: string; payload: string }> {
    return [...this.devices.keys()].map((id) => ({ topic: topicsOf(this.topics, id).config, payload: '' }));
  }

  /** The device and entity behind a command topic, when it is one of ours. */
  commandTarget(topic: string): { device: HaDevice; entity: EntitySpec } | null {
    const prefix = `${this.topics.baseTopic}/`;
    if (!topic.startsWith(prefix) || !topic.endsWith('/set')) return null;
    const parts = topic.slice(prefix.length, -4).split('/');
    if (parts.length !== 2) return null;
    const r = this.devices.get(parts[0]);
    const e = r?.entities.get(parts[1]);
    return r && e && e.command ? { device: r.device, entity: e } : null;
  }

  get size(): number {
    return this.devices.size;
  }

  /** Object ids announced so far (saved in the node's context so removal on delete survives restarts). */
  ids(): string[] {
    return [...this.devices.keys()];
  }
}
