'use strict';
// A fake Home Assistant websocket API on loopback for the ha-* tests: the auth handshake
// (auth_required → auth → auth_ok | auth_invalid), subscribe_entities with entity_ids (compressed
// states: `a` first, then `c` diffs), get_states, ping, unsubscribe, and a way to drop every connection.
// Not a test itself.
const http = require('node:http');
const { WebSocketServer } = require('ws');

class FakeHa {
  /** `onRequest(req, res)` answers plain HTTP requests (a fake Supervisor's REST API); return false for a 404. */
  constructor({ token = 'secret', version = '2026.11.1', path = '/api/websocket', onRequest = null } = {}) {
    this.token = token;
    this.version = version;
    this.entities = new Map();
    this.subs = [];
    this.auths = { ok: 0, invalid: 0 };
    this.subscribeCount = 0;
    this.server = http.createServer((req, res) => {
      if (!onRequest || onRequest(req, res) === false) {
        res.writeHead(404);
        res.end();
      }
    });
    this.wss = new WebSocketServer({ server: this.server, path });
    this.sockets = new Set();
    this.wss.on('connection', (ws) => this.onConnection(ws));
  }

  start() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(this.server.address().port)));
  }

  get url() {
    return `http://127.0.0.1:${this.server.address().port}`;
  }

  onConnection(ws) {
    this.sockets.add(ws);
    let authed = false;
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.subs = this.subs.filter((s) => s.ws !== ws);
    });
    ws.send(JSON.stringify({ type: 'auth_required', ha_version: this.version }));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (!authed) {
        if (m.type === 'auth' && m.access_token === this.token) {
          authed = true;
          this.auths.ok++;
          ws.send(JSON.stringify({ type: 'auth_ok', ha_version: this.version }));
        } else {
          this.auths.invalid++;
          ws.send(JSON.stringify({ type: 'auth_invalid', message: 'Invalid access token or password' }));
          ws.close();
        }
        return;
      }
      const reply = (o) => ws.send(JSON.stringify({ id: m.id, ...o }));
      if (m.type === 'subscribe_entities') {
        const ids = Array.isArray(m.entity_ids) ? m.entity_ids : [...this.entities.keys()];
        this.subs.push({ ws, id: m.id, ids });
        this.subscribeCount++;
        reply({ type: 'result', success: true, result: null });
        const a = {};
        for (const id of ids) if (this.entities.has(id)) a[id] = this.compressed(id);
        reply({ type: 'event', event: { a } });
      } else if (m.type === 'unsubscribe_events') {
        this.subs = this.subs.filter((s) => !(s.ws === ws && s.id === m.subscription));
        reply({ type: 'result', success: true, result: null });
      } else if (m.type === 'get_states') {
        reply({ type: 'result', success: true, result: [...this.entities].map(([entity_id, e]) => ({ entity_id, state: e.state, attributes: e.attributes })) });
      } else if (m.type === 'ping') reply({ type: 'pong' });
      else reply({ type: 'result', success: false, error: { code: 'unknown_command', message: 'Unknown command.' } });
    });
  }

  compressed(id) {
    const e = this.entities.get(id);
    return { s: e.state, a: e.attributes, c: 'ctx', lc: e.lu, lu: e.lu };
  }

  /** Sets an entity's state; subscribers get a `c` diff (or `a` for a new entity). */
  set(id, state, attributes) {
    const lu = Date.now() / 1000;
    const had = this.entities.get(id);
    this.entities.set(id, { state, attributes: attributes ?? had?.attributes ?? {}, lu });
    for (const s of this.subs) {
      if (!s.ids.includes(id)) continue;
      const event = had ? { c: { [id]: { '+': { s: state, lu, ...(attributes ? { a: attributes } : {}) } } } } : { a: { [id]: this.compressed(id) } };
      s.ws.send(JSON.stringify({ id: s.id, type: 'event', event }));
    }
  }

  /** Drops every client connection (HA restarting). */
  dropAll() {
    for (const ws of this.sockets) ws.terminate();
  }

  stop() {
    this.dropAll();
    return new Promise((resolve) => this.wss.close(() => this.server.close(() => resolve())));
  }
}

module.exports = { FakeHa };
