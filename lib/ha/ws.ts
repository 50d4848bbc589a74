/**
 * The Home Assistant websocket, through npm home-assistant-js-websocket (connection, reconnect with
 * backoff, resubscription after a reconnect). Its own socket factory needs a global WebSocket,
 * which Node 20 lacks; ours uses Node's WebSocket (22+) or else the `ws` package that mqtt.js
 * depends on, and does HA's auth handshake (auth_required → auth with
 * the token → auth_ok | auth_invalid; HA developer docs, WebSocket API). One shared connection per
 * URL and token, reference-counted. No Node-RED here.
 */
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { createConnection, createLongLivedTokenAuth, ERR_CANNOT_CONNECT, ERR_INVALID_AUTH, type Connection, type ConnectionOptions, type HaWebSocket } from 'home-assistant-js-websocket';
import { configReader, bool, text, type ConfigSchema } from '../api/config';
import { EntityStates, type EntitiesEvent, type HaEntityState } from './state';
import { SharedPool } from './shared';

export const haServerConfigSchema: ConfigSchema = {
  type: 'object',
  properties: {
    url: text({ empty: true, pattern: '^https?://[^\\s]+$', description: 'http://homeassistant.local:8123' }),
    /** In the add-on: the Supervisor proxy and SUPERVISOR_TOKEN. */
    supervisor: bool(false),
  },
};

export interface HaServerSettings {
  /** HA base URL (http or https); the websocket is <url>/api/websocket. */
  url: string;
  token: string;
}

/** Saved config + credentials (+ environment for the add-on) → settings, or the first problem. */
export function readHaServerSettings(raw: unknown, creds: { token?: string }, env: NodeJS.ProcessEnv = process.env): { ok: true; settings: HaServerSettings } | { ok: false; error: string } {
  const r = configReader<{ url?: string; supervisor?: boolean }>(haServerConfigSchema)(raw);
  if (!r.ok) return r;
  if (r.config.supervisor) {
    if (!env.SUPERVISOR_TOKEN) return { ok: false, error: 'config.supervisor: SUPERVISOR_TOKEN is not set (only inside a Home Assistant add-on)' };
    return { ok: true, settings: { url: env.HA_SUPERVISOR_CORE_URL || 'http://supervisor/core', token: env.SUPERVISOR_TOKEN } };
  }
  if (!r.config.url) return { ok: false, error: 'config.url: is required (e.g. http://homeassistant.local:8123)' };
  if (!creds.token || !creds.token.trim()) return { ok: false, error: 'credentials.token: a long-lived access token is required (HA profile → Security)' };
  return { ok: true, settings: { url: r.config.url.replace(/\/+$/, ''), token: creds.token.trim() } };
}

/** The WebSocket class to use: Node's own (Node 22+), else the `ws` package that mqtt.js brings along (Node 20). */
function webSocketClass(): new (url: string) => WebSocketLike {
  const g = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (g) return g;
  return require(require.resolve('ws', { paths: [path.dirname(require.resolve('mqtt'))] }));
}

/** The WHATWG WebSocket API subset we use (Node's WebSocket and `ws` both have it). */
interface WebSocketLike {
  send(data: string): void;
  close(): void;
  addEventListener(type: string, fn: (ev: { data?: unknown }) => void): void;
  removeEventListener(type: string, fn: (ev: { data?: unknown }) => void): void;
  /** `ws` only: an 'error' event without a listener would throw. */
  on?(event: 'error', fn: () => void): void;
}

/** HA's auth handshake on a WebSocket; resolves with the socket once HA says auth_ok. */
export function createWsSocket(options: ConnectionOptions): Promise<HaWebSocket> {
  const auth = options.auth!;
  return new Promise((resolve, reject) => {
    const WS = webSocketClass();
    const ws = new WS(auth.wsUrl);
    ws.on?.('error', () => undefined); // errors are handled through the listeners below and by the library's close handling
    let settled = false;
    const timer = setTimeout(() => fail(ERR_CANNOT_CONNECT), 10_000);
    const detach = () => {
      clearTimeout(timer);
      ws.removeEventListener('message', onMessage);
      ws.removeEventListener('close', onClose);
      ws.removeEventListener('error', onClose);
    };
    const fail = (code: number) => {
      if (settled) return;
      settled = true;
      detach();
      try {
        ws.close();
      } catch {
        /* already closed */
      }
      reject(code);
    };
    const onClose = () => fail(ERR_CANNOT_CONNECT);
    const onMessage = (ev: { data?: unknown }) => {
      let m: { type?: string; ha_version?: string };
      try {
        m = JSON.parse(String(ev.data));
      } catch {
        return fail(ERR_CANNOT_CONNECT);
      }
      if (m.type === 'auth_required') ws.send(JSON.stringify({ type: 'auth', access_token: auth.accessToken }));
      else if (m.type === 'auth_invalid') fail(ERR_INVALID_AUTH);
      else if (m.type === 'auth_ok') {
        settled = true;
        detach();
        (ws as unknown as HaWebSocket).haVersion = m.ha_version ?? '';
        resolve(ws as unknown as HaWebSocket);
      }
    };
    ws.addEventListener('message', onMessage);
    ws.addEventListener('close', onClose);
    ws.addEventListener('error', onClose);
  });
}

/**
 * One HA connection. Events: 'ready' (connected or reconnected), 'disconnected', 'auth-error'.
 * watch() subscribes to entity ids with subscribe_entities; the library resubscribes after a reconnect.
 */
export class HaClient extends EventEmitter {
  connection: Connection | null = null;
  connected = false;
  lastError: string | null = null;
  private closed = false;
  private readonly ready: Promise<Connection | null>;

  constructor(readonly settings: HaServerSettings) {
    super();
    this.setMaxListeners(0);
    this.ready = this.open();
  }

  private async open(): Promise<Connection | null> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        const c = await createConnection({ auth: createLongLivedTokenAuth(this.settings.url, this.settings.token), createSocket: createWsSocket });
        if (this.closed) {
          c.close();
          return null;
        }
        this.connection = c;
        this.connected = true;
        c.addEventListener('ready', () => ((this.connected = true), (this.lastError = null), this.emit('ready')));
        c.addEventListener('disconnected', () => ((this.connected = false), this.emit('disconnected')));
        c.addEventListener('reconnect-error', () => ((this.lastError = 'auth'), this.emit('auth-error')));
        this.emit('ready');
        return c;
      } catch (e) {
        this.lastError = e === ERR_INVALID_AUTH ? 'auth' : 'connect';
        this.emit(e === ERR_INVALID_AUTH ? 'auth-error' : 'disconnected');
        if (e === ERR_INVALID_AUTH) return null;
        await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5))).unref?.());
      }
    }
    return null;
  }

  /** Calls `onState` with every change of the given entities (their full state first). Returns an unsubscribe. */
  async watch(entityIds: string[], onState: (s: HaEntityState) => void): Promise<() => Promise<void>> {
    const c = await this.ready;
    if (!c) return async () => undefined;
    const book = new EntityStates();
    return c.subscribeMessage<EntitiesEvent>((ev) => {
      for (const s of book.apply(ev)) onState(s);
    }, { type: 'subscribe_entities', entity_ids: entityIds });
  }

  /** Every entity HA has: id, friendly name and unit (for the editor's entity picker). Rejects after `timeoutMs`. */
  async entities(timeoutMs = 5000): Promise<Array<{ id: string; name?: string; unit?: string }>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('Home Assistant did not answer')), timeoutMs)));
    try {
      const c = await Promise.race([this.ready, timeout]);
      if (!c) throw new Error(this.lastError === 'auth' ? 'token refused' : 'not connected');
      const states = await Promise.race([c.sendMessagePromise<Array<{ entity_id: string; attributes?: Record<string, unknown> }>>({ type: 'get_states' }), timeout]);
      return states
        .map((s) => ({
          id: s.entity_id,
          ...(typeof s.attributes?.friendly_name === 'string' ? { name: s.attributes.friendly_name } : {}),
          ...(typeof s.attributes?.unit_of_measurement === 'string' ? { unit: s.attributes.unit_of_measurement } : {}),
        }))
        .sort((a, b) => a.id.localeCompare(b.id));
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.closed = true;
    this.connection?.close();
  }
}

const clients = new SharedPool<HaClient>((c) => c.close());

/** A lease on the shared connection for these settings; `release()` closes it after the last user. */
export function acquireHaClient(s: HaServerSettings): { client: HaClient; release: () => void } {
  const lease = clients.acquire(JSON.stringify([s.url, s.token]), () => new HaClient(s));
  return { client: lease.value, release: () => void lease.release() };
}
