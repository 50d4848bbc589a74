'use strict';
// The Home Assistant add-on without Docker: config.yaml, the Dockerfile and repository.yaml
// checked against the add-on rules; the start script against a fake Supervisor on loopback (the
// services API for the MQTT broker, the websocket proxy to a fake HA); and the user dir it writes
// loaded by a real Node-RED: the preconfigured ha-mqtt reaches a real broker with its decrypted
// login, the preconfigured ha-server reaches HA through the proxy with SUPERVISOR_TOKEN.
// Not tested here: the image build itself (needs Docker and the base image).
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const yaml = require('js-yaml');
const mqtt = require('mqtt');
const { FakeHa } = require('./ha-fake-server');
const { startMosquitto, skipWithoutMosquitto } = require('./ha-mosquitto');
const { freePort, waitFor } = require('../helpers');

const root = path.join(__dirname, '../..');
const addon = path.join(root, 'addon');
const dir = path.join(addon, 'home-energy');
const start = path.join(dir, 'start.js');
const { decrypt } = require(start);

/** Keys the add-on linter rejects when set to their default value (home-assistant.md §3). */
const DEFAULTS = { startup: 'application', boot: 'auto', ingress: false, ingress_port: 8099, panel_icon: 'mdi:puzzle', homeassistant_api: false, hassio_api: false, init: true };
const ARCHS = ['aarch64', 'amd64'];
const SCHEMA_TYPE = /^(str|bool|int(\(-?\d*,-?\d*\))?|float(\(-?[\d.]*,-?[\d.]*\))?|password|port|url|email|match\(.+\)|list\([^|()]+(\|[^|()]+)*\)|device(\(.*\))?)\??$/;

/** Problems of an add-on config.yaml under the current rules. */
function checkAddonConfig(c) {
  const bad = [];
  for (const k of ['name', 'version', 'slug', 'description', 'arch']) if (c[k] === undefined) bad.push(`${k} is required`);
  if (typeof c.version !== 'string') bad.push('version must be a string');
  if (!/^[a-z0-9_]+$/.test(c.slug ?? '')) bad.push('slug: [a-z0-9_] only');
  if (!Array.isArray(c.arch) || !c.arch.length || c.arch.some((a) => !ARCHS.includes(a))) bad.push(`arch: only ${ARCHS.join(', ')} (armhf, armv7, i386 are deprecated)`);
  for (const [k, v] of Object.entries(DEFAULTS)) if (c[k] === v) bad.push(`${k}: set to its default ${JSON.stringify(v)}`);
  if (c.ingress_port === 0 && c.host_network !== true) bad.push('ingress_port 0 only with host_network');
  for (const s of c.services ?? []) if (!/^[a-z]+:(want|need|provide)$/.test(s)) bad.push(`services: ${s}`);
  if (c.image !== undefined && c.build_from !== undefined) bad.push('image and build_from');
  const o = Object.keys(c.options ?? {});
  const s = Object.keys(c.schema ?? {});
  for (const k of o) if (!s.includes(k)) bad.push(`options.${k} has no schema`);
  for (const [k, t] of Object.entries(c.schema ?? {})) {
    if (typeof t !== 'string' || !SCHEMA_TYPE.test(t)) bad.push(`schema.${k}: ${t}`);
    if (!o.includes(k) && !String(t).endsWith('?')) bad.push(`schema.${k}: required but no option`);
  }
  return bad;
}

describe('the Home Assistant add-on', () => {
  it('config.yaml follows the add-on rules; the checker can fail', () => {
    const c = yaml.load(fs.readFileSync(path.join(dir, 'config.yaml'), 'utf8'));
    assert.deepEqual(checkAddonConfig(c), []);
    assert.deepEqual(c.arch, ['aarch64', 'amd64']);
    assert.equal(c.ingress, true);
    assert.equal(c.homeassistant_api, true);
    assert.deepEqual(c.services, ['mqtt:want']);
    assert.ok(c.panel_icon.startsWith('mdi:'));
    assert.deepEqual(checkAddonConfig({ ...c, startup: 'application', arch: ['armv7'], ingress_port: 8099 }).length, 3);
    assert.ok(checkAddonConfig({ ...c, version: 1, schema: { ...c.schema, x: 'nope' } }).length >= 2);
  });

  it('Dockerfile names its base image in FROM (no build.yaml, no BUILD_FROM) and sets the io.hass labels', () => {
    const c = yaml.load(fs.readFileSync(path.join(dir, 'config.yaml'), 'utf8'));
    const df = fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
    assert.equal(fs.existsSync(path.join(dir, 'build.yaml')), false);
    const from = /^FROM\s+(\S+)/m.exec(df);
    assert.ok(from && /^[a-z0-9.-]+\/[\w./-]+:[\w.-]+$/.test(from[1]) && !from[1].includes('$'), `FROM ${from && from[1]}`);
    assert.match(df, /io\.hass\.type="addon"/);
    assert.match(df, /io\.hass\.arch="aarch64\|amd64"/);
    assert.match(df, new RegExp(`io\\.hass\\.version="${c.version.replace(/\./g, '\\.')}"`));
    assert.match(df, /CMD \["\/run\.sh"\]/);
    assert.equal(c.init, false, 's6-overlay v3 base image: init false');
    const png = (f) => fs.readFileSync(path.join(dir, f)).subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    assert.ok(png('icon.png') && png('logo.png'));
    const repo = yaml.load(fs.readFileSync(path.join(addon, 'repository.yaml'), 'utf8'));
    for (const k of ['name', 'url', 'maintainer']) assert.equal(typeof repo[k], 'string', `repository.yaml ${k}`);
    assert.ok(fs.existsSync(path.join(dir, 'DOCS.md')));
    assert.equal(spawnSync('sh', ['-n', path.join(dir, 'run.sh')]).status, 0, 'run.sh parses');
  });

  describe('start script and Node-RED with the user dir it writes', { skip: skipWithoutMosquitto }, () => {
    let broker;
    let ha;
    let served = [];
    let mqttAnswer;
    let tmp;
    before(async () => {
      broker = await startMosquitto();
      mqttAnswer = () => ({ status: 200, body: { result: 'ok', data: { addon: 'core_mosquitto', host: '127.0.0.1', port: broker.port, ssl: false, protocol: '3.1.1', username: 'addons', password: 's3cret' } } });
      ha = new FakeHa({
        token: 'supervisor-token',
        path: '/core/api/websocket',
        onRequest: (req, res) => {
          served.push({ url: req.url, auth: req.headers.authorization });
          if (req.url !== '/services/mqtt') return false;
          if (req.headers.authorization !== 'Bearer supervisor-token') return (res.writeHead(401), res.end('{"result":"error","message":"Unauthorized"}'));
          const a = mqttAnswer();
          res.writeHead(a.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(a.body));
        },
      });
      await ha.start();
      ha.set('sensor.grid_power', '0.75', { unit_of_measurement: 'kW' });
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'he-addon-'));
    });
    after(async () => {
      await ha?.stop();
      await broker?.stop();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** Runs start.js as a child process (not spawnSync: the fake Supervisor lives in this process). */
    const runStart = (userDir, options = {}, extra = {}, env = null) => {
      fs.writeFileSync(path.join(tmp, 'options.json'), JSON.stringify(options));
      const child = spawn(process.execPath, [start], {
        env: env ?? { PATH: process.env.PATH, SUPERVISOR_TOKEN: 'supervisor-token', SUPERVISOR_URL: ha.url, OPTIONS_FILE: path.join(tmp, 'options.json'), USER_DIR: userDir, INGRESS_PORT: '18099', ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const r = { stdout: '', stderr: '', status: null };
      child.stdout.on('data', (d) => (r.stdout += d));
      child.stderr.on('data', (d) => (r.stderr += d));
      return new Promise((resolve) => child.on('close', (code) => resolve({ ...r, status: code })));
    };

    it('reads the broker from the Supervisor and writes both config nodes, the login encrypted', async () => {
      const userDir = path.join(tmp, 'a');
      const r = await runStart(userDir, { log_level: 'warn' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(served.filter((s) => s.url === '/services/mqtt').map((s) => s.auth), ['Bearer supervisor-token']);
      const flows = JSON.parse(fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8'));
      const m = flows.find((n) => n.type === 'ha-mqtt');
      assert.equal(m.broker, `mqtt://127.0.0.1:${broker.port}`);
      assert.equal(m.prefix, 'homeassistant');
      assert.equal(flows.find((n) => n.type === 'ha-server').supervisor, true);
      const credText = fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8');
      assert.ok(!credText.includes('s3cret'), 'the password is not in clear text');
      const secret = fs.readFileSync(path.join(userDir, '.credential-secret'), 'utf8').trim();
      assert.deepEqual(decrypt(secret, JSON.parse(credText))[m.id], { user: 'addons', password: 's3cret' });
      const settings = require(path.join(userDir, 'settings.js'));
      assert.deepEqual([settings.uiPort, settings.credentialSecret, settings.logging.console.level], [18099, secret, 'warn']);
      // A second start keeps the user's own nodes and credentials, and the same secret.
      flows.push({ id: 'mine', type: 'comment', name: 'my own node' });
      fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
      const cred = decrypt(secret, JSON.parse(credText));
      cred.mine = { x: 'kept' };
      fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(require(start).encrypt(secret, cred)));
      assert.equal((await runStart(userDir)).status, 0);
      const again = JSON.parse(fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8'));
      assert.equal(again.filter((n) => n.type === 'ha-mqtt').length, 1);
      assert.ok(again.some((n) => n.id === 'mine'));
      assert.deepEqual(decrypt(secret, JSON.parse(fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8'))).mine, { x: 'kept' });
    });

    it('without an MQTT service it still starts, with the HA server config only', async () => {
      const saved = mqttAnswer;
      mqttAnswer = () => ({ status: 400, body: { result: 'error', message: 'No mqtt service available' } });
      try {
        const userDir = path.join(tmp, 'b');
        const r = await runStart(userDir, { credential_secret: 'my-secret' });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /no MQTT service/);
        const flows = JSON.parse(fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8'));
        assert.deepEqual(flows.map((n) => n.type), ['ha-server']);
        assert.equal(require(path.join(userDir, 'settings.js')).credentialSecret, 'my-secret');
      } finally {
        mqttAnswer = saved;
      }
      const r = await runStart(path.join(tmp, 'none'), {}, {}, { PATH: process.env.PATH });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /SUPERVISOR_TOKEN is not set/);
    });

    it('Node-RED loads the user dir: the broker login decrypts, ha-entities connects, ha-state reads HA through the proxy', async () => {
      const userDir = path.join(tmp, 'c');
      const port = await freePort();
      assert.equal((await runStart(userDir, {}, { INGRESS_PORT: String(port) })).status, 0);
      // The package as the image installs it beside Node-RED; here a link to this checkout.
      fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
      fs.symlinkSync(root, path.join(userDir, 'node_modules', 'node-red-contrib-home-energy'), 'dir');
      const flows = JSON.parse(fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8'));
      flows.push(
        { id: 'tab1', type: 'tab', label: 'test' },
        { id: 'ent', z: 'tab1', type: 'ha-entities', server: 'he-addon-mqtt', interval: 5, offlineAfter: 120, wires: [[]] },
        { id: 'st', z: 'tab1', type: 'ha-state', server: 'he-addon-ha', entity: 'sensor.grid_power', as: 'grid', sign: 1, staleAfter: 0, wires: [[]] },
      );
      fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
      const watch = mqtt.connect(broker.url, { reconnectPeriod: 0 });
      const seen = [];
      watch.on('message', (t, p) => seen.push(`${t}=${p}`));
      await new Promise((r) => watch.once('connect', r));
      await watch.subscribeAsync('home-energy/status');
      const subsBefore = ha.subscribeCount;
      const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
        env: { PATH: process.env.PATH, SUPERVISOR_TOKEN: 'supervisor-token', HA_SUPERVISOR_CORE_URL: `${ha.url}/core` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      red.stdout.on('data', (d) => (out += d));
      red.stderr.on('data', (d) => (out += d));
      try {
        await waitFor(() => seen.includes('home-energy/status=online'), 60_000, `ha-entities online through the add-on broker config (Node-RED log: ${out.slice(-800)})`);
        await waitFor(() => ha.subscribeCount > subsBefore, 20_000, 'ha-state subscribed through the Supervisor proxy');
        const creds = await fetch(`http://127.0.0.1:${port}/credentials/ha-mqtt/he-addon-mqtt`).then((r) => r.json());
        assert.deepEqual(creds, { user: 'addons', has_password: true });
        const loaded = await fetch(`http://127.0.0.1:${port}/flows`).then((r) => r.json());
        assert.ok(loaded.some((n) => n.id === 'he-addon-ha' && n.type === 'ha-server'));
        assert.doesNotMatch(out, /Error loading credentials|Failed to decrypt/);
      } finally {
        red.kill('SIGTERM');
        await new Promise((r) => (red.exitCode !== null ? r() : red.once('exit', r)));
        await watch.endAsync(true);
      }
    });
  });
});
