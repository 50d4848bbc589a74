'use strict';
// The virtual home with two simulated Sessy batteries: both serve the HTTP API with their own
// credentials, their AC power reaches the household and therefore the DSMR meter's telegrams (read
// over TCP and parsed like any meter), and the mDNS responder announces them.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { VirtualHome } = require('../../dist/lib/sim/home');
const { VirtualClock } = require('../../dist/lib/util/clock');
const { parseTelegram } = require('../../dist/lib/devices/p1/parser');
const { telegramToReading } = require('../../dist/lib/devices/p1/normalize');
const { discoverSessy } = require('../../dist/lib/transport/mdns');

function call(url, method, path, body, auth) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json' };
    if (auth) headers.authorization = 'Basic ' + Buffer.from(`${auth.serial}:${auth.password}`).toString('base64');
    const req = http.request(url + path, { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

/** Connects to the P1 TCP server, advances the virtual clock one period and returns the next telegram. */
async function nextTelegram(port, clock) {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((res, rej) => {
    sock.once('connect', res);
    sock.once('error', rej);
  });
  let text = '';
  const got = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no telegram: ' + JSON.stringify(text))), 3000);
    sock.on('data', (d) => {
      text += d.toString('latin1');
      const m = /\/[^]*?![0-9A-F]{4}\r\n/.exec(text);
      if (m) {
        clearTimeout(t);
        resolve(m[0]);
      }
    });
  });
  await new Promise((r) => setTimeout(r, 20)); // let the server register the client
  clock.advance(1000);
  try {
    return await got;
  } finally {
    sock.destroy();
  }
}

test('virtual home with sessyBatteries: 2 — two APIs, the meter sees their power, mDNS announces them', async () => {
  const T0 = Date.UTC(2024, 5, 1, 10, 0, 0);
  const clock = new VirtualClock(T0);
  const home = new VirtualHome();
  const ep = await home.start({ clock, loadFile: 2000, pvFile: null, sessyBatteries: 2, mdns: { port: 0 } });
  try {
    assert.equal(home.sessyBatteries.length, 2);
    assert.deepEqual(ep.sessyBatteries.map((b) => [b.serial, b.password]), [['DSIM0001', 'SIMPASS1'], ['DSIM0002', 'SIMPASS2']]);
    assert.notEqual(ep.sessyBatteries[0].url, ep.sessyBatteries[1].url);
    assert.equal(home.household.sourceCount, 2);

    // Each unit answers with its own serial and accepts only its own credentials.
    const [b1, b2] = ep.sessyBatteries;
    assert.equal((await call(b1.url, 'GET', '/api/v1/system/info')).json.self_serial, 'DSIM0001');
    assert.equal((await call(b2.url, 'GET', '/api/v1/system/info')).json.self_serial, 'DSIM0002');
    assert.equal((await call(b2.url, 'POST', '/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_API' }, b1)).status, 401);
    for (const b of [b1, b2]) assert.equal((await call(b.url, 'POST', '/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_API' }, b)).status, 200);
    clock.advance(1000); // running units stay running when the strategy changes (no new safety wait)
    assert.equal((await call(b1.url, 'POST', '/api/v1/power/setpoint', { setpoint: 1000 }, b1)).status, 200);
    assert.equal((await call(b2.url, 'POST', '/api/v1/power/setpoint', { setpoint: -500 }, b2)).status, 200);
    clock.advance(5000);
    assert.equal((await call(b1.url, 'GET', '/api/v1/power/status')).json.sessy.power, 1000);
    assert.equal((await call(b2.url, 'GET', '/api/v1/power/status')).json.sessy.power, -500);

    // The NL meter: 2000 W load − 1000 W discharge + 500 W charge = 1500 W import; battery 1 on L1, battery 2 on L2.
    const telegram = await nextTelegram(ep.p1Tcp.port, clock);
    const reading = telegramToReading(parseTelegram(telegram), clock.now());
    assert.equal(reading.power, 1500);
    assert.equal(reading.phases[0].power, Math.round(2000 * 0.4 - 1000));
    assert.equal(reading.phases[1].power, Math.round(2000 * 0.3 + 500));
    assert.equal(reading.phases[2].power, Math.round(2000 * 0.3));

    // mDNS (unicast on loopback in this test) lists both units with their ports.
    const found = await discoverSessy({ address: '127.0.0.1', port: ep.mdns.port, timeoutMs: 300 });
    assert.deepEqual(
      found.map((d) => [d.name, d.serial, d.type, `http://${d.address}:${d.port}`]),
      [
        ['sessy-dsim0001', 'DSIM0001', 'battery', b1.url],
        ['sessy-dsim0002', 'DSIM0002', 'battery', b2.url],
      ],
    );
  } finally {
    await home.stop();
  }
  assert.equal(home.sessyBatteries.length, 0);
  assert.equal(home.household.sourceCount, 0);
});

test('virtual home: consecutive Sessy ports from sessyBatteryPort; per-unit serial, password and SoC', async () => {
  // Two consecutive free ports: a port free a moment ago may be taken by a test running beside
  // this one (base + 1 is ephemeral too), so try another base when it is.
  let home;
  let ep;
  let base;
  for (let attempt = 0; ; attempt++) {
    const probe = net.createServer();
    await new Promise((r) => probe.listen(0, '127.0.0.1', r));
    base = probe.address().port;
    await new Promise((r) => probe.close(r));
    home = new VirtualHome();
    try {
      ep = await home.start({
        loadFile: 500,
        pvFile: null,
        sessyBatteryPort: base,
        sessyBatteries: [{}, { serial: 'D0000777', password: 'SECRET77', socPct: 90 }],
      });
      break;
    } catch (e) {
      await home.stop();
      if (e.code !== 'EADDRINUSE' || attempt >= 5) throw e;
    }
  }
  try {
    assert.deepEqual(ep.sessyBatteries.map((b) => b.url), [`http://127.0.0.1:${base}`, `http://127.0.0.1:${base + 1}`]);
    assert.deepEqual(ep.sessyBatteries[1], { url: `http://127.0.0.1:${base + 1}`, serial: 'D0000777', password: 'SECRET77' });
    const st = (await call(ep.sessyBatteries[1].url, 'GET', '/api/v1/power/status')).json;
    assert.ok(Math.abs(st.sessy.state_of_charge - 0.9) < 1e-6);
    assert.equal(st.sessy.system_state, 'SYSTEM_STATE_RUNNING_SAFE', 'the virtual home starts with running units (NOM)');
    assert.deepEqual((await call(ep.sessyBatteries[0].url, 'GET', '/api/v1/power/active_strategy')).json, { status: 'ok', strategy: 'POWER_STRATEGY_NOM' });
  } finally {
    await home.stop();
  }
});
