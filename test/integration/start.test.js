'use strict';
// `npm start` end to end: the start script runs the virtual home and Node-RED with the example flows;
// both p1-meter nodes must report fresh readings (green status with a power value) through the
// editor's own websocket, as a user would see them.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');
const { freePort } = require('../helpers');

const root = path.join(__dirname, '../..');

test('npm start: Node-RED with the example flow reads the virtual home', { timeout: 90000 }, async () => {
  const uiPort = await freePort();
  let p1Port = await freePort();
  // The BE meter takes the next port; find a pair that is free.
  while (!(await new Promise((r) => { const s = net.createServer(); s.once('error', () => r(false)); s.listen(p1Port + 1, '127.0.0.1', () => s.close(() => r(true))); }))) p1Port = await freePort();
  const sessyPort = await freePort();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-start-'));
  const child = spawn(process.execPath, [path.join(root, 'scripts/start.mjs'), '--port', String(uiPort)], {
    cwd: root,
    env: { ...process.env, HOME_ENERGY_USER_DIR: userDir, HOME_ENERGY_P1_PORT: String(p1Port), HOME_ENERGY_SOFAR_PORT: String(await freePort()), HOME_ENERGY_KSEM_PORT: String(await freePort()), HOME_ENERGY_KSEM_TLS_PORT: String(await freePort()), HOME_ENERGY_KSEM_PUSH_PORT: String(await freePort()), HOME_ENERGY_SESSY_PORT: String(sessyPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (b) => (log += b));
  child.stderr.on('data', (b) => (log += b));
  try {
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('editor URL not printed:\n' + log)), 60000);
      const check = () => {
        if (log.includes(`Node-RED editor: http://127.0.0.1:${uiPort}/`)) {
          clearTimeout(t);
          resolve();
        }
      };
      child.stdout.on('data', check);
      child.on('exit', (code) => reject(new Error(`start exited with ${code}:\n${log}`)));
    });
    assert.match(log, new RegExp(`P1 meter \\(NL\\) on tcp://127.0.0.1:${p1Port}`));
    const flows = JSON.parse(fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8'));
    const meters = flows.filter((n) => n.type === 'p1-meter');
    // Examples 01 (NL and BE meters) and 05 (zero export, on the NL meter).
    assert.deepEqual(meters.map((n) => n.port).sort(), [p1Port, p1Port, p1Port + 1]);
    // The KSEM example: one node polling the simulated KSEM, one receiving its pushes.
    const ksem = flows.filter((n) => n.type === 'ksem-meter');
    assert.deepEqual(ksem.map((n) => n.mode).sort(), ['poll', 'push']);
    // The Sofar example: the simulated ME3000SP behind its RTU-over-TCP gateway.
    const sofar = flows.filter((n) => n.type === 'sofar-inverter');
    assert.equal(sofar.length, 1);
    // The Sessy and zero-export examples: their dongles point at the simulated Sessy, with the sim's credentials.
    const dongles = flows.filter((n) => n.type === 'sessy-dongle');
    assert.deepEqual(dongles.map((n) => n.host), [`127.0.0.1:${sessyPort}`, `127.0.0.1:${sessyPort}`]);
    assert.ok(flows.every((n) => n.credentials === undefined && n.password === undefined), 'no credentials in flows.json');
    assert.ok(!fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8').includes('SIMPASS1'), 'flows_cred.json is encrypted');
    assert.match(log, new RegExp(`Sessy battery DSIM0001 on http://127.0.0.1:${sessyPort}`));
    const sessy = flows.filter((n) => n.type === 'sessy-battery');
    assert.equal(sessy.length, 2);
    // The zero-export example: p1-meter → zero-export → sessy-battery, the battery wired back.
    const ze = flows.filter((n) => n.type === 'zero-export');
    assert.equal(ze.length, 1);
    assert.ok(sessy.some((n) => n.wires[0].includes(ze[0].id)) && ze[0].wires[0].some((id) => sessy.some((n) => n.id === id)), 'zero-export and its battery wired both ways');
    const watched = [...meters, ...ksem, ...sofar, ...sessy, ...ze];

    // Watch node status through the editor's comms websocket.
    const ws = new WebSocket(`ws://127.0.0.1:${uiPort}/comms`);
    const green = new Map();
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no green status for every meter; seen: ' + JSON.stringify([...green]))), 30000);
      ws.on('open', () => ws.send(JSON.stringify({ subscribe: 'status/#' })));
      ws.on('error', reject);
      ws.on('message', (data) => {
        for (const m of [].concat(JSON.parse(data.toString()))) {
          const id = String(m.topic || '').replace(/^status\//, '');
          if (!watched.some((n) => n.id === id)) continue;
          if (m.data && m.data.fill === 'green' && /W · (.+ · )?\d+s( · \d+ err)?( · q\d+)?$/.test(m.data.text)) green.set(id, m.data.text);
          // sessy-battery: green only with a reading (it is red on a wrong password, yellow while connecting).
          if (m.data && m.data.fill === 'green' && sessy.some((n) => n.id === id) && /W/.test(m.data.text)) green.set(id, m.data.text);
          // zero-export: green while it controls with fresh meter and battery data ("grid +12 W · set −850 W · …").
          if (m.data && m.data.fill === 'green' && ze.some((n) => n.id === id) && /^grid [+−]?[\d.]+ k?W · set [+−]?[\d.]+ k?W · /.test(m.data.text)) green.set(id, m.data.text);
          if (green.size === watched.length) {
            clearTimeout(t);
            resolve();
          }
        }
      });
    });
    ws.close();
    // Node-RED decrypted the credentials start.mjs wrote for the simulated Sessy (admin API).
    const cred = await new Promise((resolve, reject) => {
      require('node:http')
        .get(`http://127.0.0.1:${uiPort}/credentials/sessy-dongle/${dongles[0].id}`, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(JSON.parse(body)));
        })
        .on('error', reject);
    });
    assert.deepEqual(cred, { user: 'DSIM0001', has_password: true });
    // The zero-export example's dongle got the same credentials.
    const cred5 = await new Promise((resolve, reject) => {
      require('node:http')
        .get(`http://127.0.0.1:${uiPort}/credentials/sessy-dongle/${dongles[1].id}`, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(JSON.parse(body)));
        })
        .on('error', reject);
    });
    assert.deepEqual(cred5, { user: 'DSIM0001', has_password: true });
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        r();
      }, 10000);
      child.on('exit', () => {
        clearTimeout(t);
        r();
      });
      if (child.exitCode !== null) r();
    });
    fs.rmSync(userDir, { recursive: true, force: true });
  }
});
