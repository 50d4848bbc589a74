#!/usr/bin/env node
'use strict';
/**
 * Add-on start: prepares the Node-RED user dir before run.sh starts Node-RED.
 * - reads the add-on options (/data/options.json);
 * - asks the Supervisor for the MQTT broker (GET http://supervisor/services/mqtt with
 *   SUPERVISOR_TOKEN; answered when the add-on asks for `services: [mqtt:want]`);
 * - writes settings.js (ingress port, the credential secret, log level) and, in flows.json, two
 *   config nodes: `ha-mqtt` for that broker and `ha-server` through the Supervisor proxy (it reads
 *   SUPERVISOR_TOKEN itself at run time); the broker login goes into flows_cred.json, encrypted
 *   the way Node-RED does it (aes-256-ctr, key = SHA-256 of the credential secret);
 * - keeps everything else in flows.json as it is; the example flows of the package are under
 *   Import → Examples in the editor.
 * Environment (overridable for tests): SUPERVISOR_TOKEN, SUPERVISOR_URL (http://supervisor),
 * OPTIONS_FILE (/data/options.json), USER_DIR (/data/node-red), INGRESS_PORT (8099).
 * No dependencies beyond Node itself (it runs before anything else).
 */
const nodeCrypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const MQTT_ID = 'he-addon-mqtt';
const HA_ID = 'he-addon-ha';
const env = process.env;
const log = (m) => console.log(`[home-energy] ${m}`);

function readJson(file, fallback) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return fallback;
  }
}

function writeFile(file, text, mode = 0o644) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text, { mode });
  fs.renameSync(tmp, file);
}

/** The broker the Supervisor hands out, or null (no MQTT add-on / integration, or not allowed). */
async function mqttService(base, token) {
  try {
    const res = await fetch(`${base}/services/mqtt`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    const body = await res.json().catch(() => null);
    if (!res.ok || !body || body.result !== 'ok' || !body.data || !body.data.host) {
      log(`no MQTT service from the Supervisor (HTTP ${res.status}${body && body.message ? `: ${body.message}` : ''}); install the Mosquitto broker add-on for the ha-entities node`);
      return null;
    }
    return body.data;
  } catch (e) {
    log(`the Supervisor did not answer for the MQTT service (${e.message})`);
    return null;
  }
}

/** The credential secret: the option, else one generated once and kept in the user dir. */
function credentialSecret(options, userDir) {
  if (typeof options.credential_secret === 'string' && options.credential_secret.trim()) return options.credential_secret.trim();
  const file = path.join(userDir, '.credential-secret');
  try {
    const s = fs.readFileSync(file, 'utf8').trim();
    if (s) return s;
  } catch {
    /* first start */
  }
  const s = nodeCrypto.randomBytes(32).toString('hex');
  writeFile(file, s + '\n', 0o600);
  return s;
}

const keyOf = (secret) => nodeCrypto.createHash('sha256').update(secret).digest();

function decrypt(secret, data) {
  if (!data || typeof data.$ !== 'string') return data && typeof data === 'object' ? data : {};
  const iv = Buffer.from(data.$.slice(0, 32), 'hex');
  const d = nodeCrypto.createDecipheriv('aes-256-ctr', keyOf(secret), iv);
  return JSON.parse(d.update(data.$.slice(32), 'base64', 'utf8') + d.final('utf8'));
}

function encrypt(secret, creds) {
  const iv = nodeCrypto.randomBytes(16);
  const c = nodeCrypto.createCipheriv('aes-256-ctr', keyOf(secret), iv);
  return { $: iv.toString('hex') + c.update(JSON.stringify(creds), 'utf8', 'base64') + c.final('base64') };
}

function settingsJs(o) {
  return `// Written by the Home Energy add-on at every start (start.js); changes here are overwritten.
module.exports = ${JSON.stringify(
    {
      uiPort: o.port,
      uiHost: '0.0.0.0',
      userDir: o.userDir,
      flowFile: 'flows.json',
      credentialSecret: o.secret,
      httpAdminRoot: '/',
      httpNodeRoot: '/endpoint',
      editorTheme: { projects: { enabled: false }, header: { title: 'Node-RED Home Energy' } },
      logging: { console: { level: o.logLevel, metrics: false, audit: false } },
      functionExternalModules: false,
    },
    null,
    2,
  )};
`;
}

async function main() {
  const token = env.SUPERVISOR_TOKEN;
  if (!token) throw new Error('SUPERVISOR_TOKEN is not set: this runs inside the Home Assistant add-on');
  const base = (env.SUPERVISOR_URL || 'http://supervisor').replace(/\/+$/, '');
  const options = readJson(env.OPTIONS_FILE || '/data/options.json', {});
  const userDir = env.USER_DIR || '/data/node-red';
  const port = Number(env.INGRESS_PORT || 8099);
  fs.mkdirSync(userDir, { recursive: true });

  const secret = credentialSecret(options, userDir);
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
  const logLevel = levels.includes(options.log_level) ? options.log_level : 'info';
  writeFile(path.join(userDir, 'settings.js'), settingsJs({ port, userDir, secret, logLevel }), 0o600);

  const mqtt = await mqttService(base, token);
  const flowsFile = path.join(userDir, 'flows.json');
  const flows = readJson(flowsFile, []);
  if (!Array.isArray(flows)) throw new Error(`${flowsFile} is not a flow list`);
  const upsert = (node) => {
    const i = flows.findIndex((n) => n && n.id === node.id);
    if (i >= 0) flows[i] = { ...flows[i], ...node };
    else flows.push(node);
  };
  upsert({ id: HA_ID, type: 'ha-server', name: 'Home Assistant (add-on)', url: '', supervisor: true, version: 1 });
  const credFile = path.join(userDir, 'flows_cred.json');
  let creds = {};
  if (fs.existsSync(credFile)) {
    try {
      creds = decrypt(secret, readJson(credFile, {}));
    } catch {
      log('flows_cred.json could not be decrypted with the credential secret; the add-on entries are written again');
      creds = {};
    }
  }
  if (mqtt) {
    const scheme = mqtt.ssl ? 'mqtts' : 'mqtt';
    upsert({ id: MQTT_ID, type: 'ha-mqtt', name: 'Home Assistant MQTT (add-on)', broker: `${scheme}://${mqtt.host}:${mqtt.port}`, tlsTrust: mqtt.ssl ? 'insecure' : 'verify', tlsCa: '', prefix: 'homeassistant', baseTopic: 'home-energy', clientId: '', version: 1 });
    creds[MQTT_ID] = { user: mqtt.username || '', password: mqtt.password || '' };
    log(`MQTT broker ${scheme}://${mqtt.host}:${mqtt.port} (user ${mqtt.username || 'none'})`);
  }
  writeFile(flowsFile, JSON.stringify(flows, null, 2) + '\n');
  writeFile(credFile, JSON.stringify(encrypt(secret, creds)) + '\n', 0o600);
  log(`user dir ${userDir} ready: ${flows.length} node(s), port ${port}`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`[home-energy] ${e.message}`);
    process.exit(1);
  });
}

module.exports = { main, encrypt, decrypt };
