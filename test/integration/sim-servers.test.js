'use strict';
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const http = require('node:http');
const path = require('node:path');
const { systemClock } = require('../../dist/lib/util/clock');
const { crc16Arc } = require('../../dist/lib/devices/p1/crc');
const { Household } = require('../../dist/lib/sim/household');
const { DsmrMeter } = require('../../dist/lib/sim/dsmr-writer');
const { P1TcpServer, P1PtyServer, SessyP1HttpServer } = require('../../dist/lib/sim/p1-server');
const { VirtualHome } = require('../../dist/lib/sim/home');
const { runSim } = require('../../dist/cli/sim');
const { skipWithoutSocat: skipPty, waitFor } = require('../helpers');

const PERIOD = 100;

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function newMeter(profile = 'NL') {
  const household = new Household({ clock: systemClock, load: 1800, pv: 600 });
  return new DsmrMeter({ profile, clock: systemClock, household, periodMs: PERIOD });
}

/** Splits a byte stream into frames at each '/', classifying each. */
function frames(text) {
  const out = [];
  const parts = text.split('/');
  for (let i = 1; i < parts.length; i++) {
    const body = '/' + parts[i];
    const m = /!([0-9A-F]{4})\r\n/.exec(body);
    if (!m) {
      out.push({ kind: i === parts.length - 1 ? 'incomplete' : 'truncated', body });
      continue;
    }
    const upto = body.slice(0, m.index + 1);
    const ok = crc16Arc(Buffer.from(upto, 'latin1')) === parseInt(m[1], 16);
    out.push({ kind: ok ? 'valid' : 'bad-crc', body: body.slice(0, m.index + 7), trailing: body.slice(m.index + 7) });
  }
  return out;
}

/** A TCP client that collects everything it receives. */
function connect(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const c = { sock, data: '', closed: false };
    sock.setEncoding('latin1');
    sock.on('data', (d) => (c.data += d));
    sock.on('close', () => (c.closed = true));
    sock.on('error', () => undefined);
    sock.once('connect', () => resolve(c));
    sock.once('error', reject);
  });
}

function request(url, { auth, timeout = 2000, method = 'GET' } = {}) {
  return new Promise((resolve, reject) => {
    const headers = auth ? { authorization: 'Basic ' + Buffer.from(auth).toString('base64') } : {};
    const req = http.request(url, { method, headers, agent: false, timeout }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end();
  });
}

test('P1TcpServer: every connected client gets complete valid telegrams each period', async () => {
  const srv = new P1TcpServer({ source: newMeter('NL') });
  cleanups.push(() => srv.stop());
  const { host, port } = await srv.start();
  assert.equal(host, '127.0.0.1');
  assert.ok(port > 0);
  assert.equal(srv.periodMs, PERIOD);
  const a = await connect(port);
  const b = await connect(port);
  await waitFor(() => srv.clientCount === 2, 1000, 'clients');
  const t0 = Date.now();
  await waitFor(() => frames(a.data).filter((f) => f.kind === 'valid').length >= 5, 3000, '5 telegrams');
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 3 * PERIOD, `5 telegrams after ${elapsed} ms: too fast`);
  const fa = frames(a.data);
  assert.ok(fa.every((f) => f.kind === 'valid'), JSON.stringify(fa.map((f) => f.kind)));
  for (const f of fa) {
    assert.ok(f.body.startsWith('/ISK5\\2M550T-1012\r\n\r\n1-3:0.2.8(50)\r\n'));
    assert.equal(f.trailing, '');
  }
  // time stamps never go back
  const stamps = fa.map((f) => /0-0:1\.0\.0\((\d{12})[SW]\)/.exec(f.body)[1]);
  for (let i = 1; i < stamps.length; i++) assert.ok(stamps[i] >= stamps[i - 1]);
  await waitFor(() => frames(b.data).filter((f) => f.kind === 'valid').length >= 3, 2000, 'second client');
  a.sock.destroy();
  b.sock.destroy();
  await srv.stop();
  await assert.rejects(connect(port), /ECONNREFUSED/);
});

test('P1TcpServer faults: bad CRC, truncation, garbage, pause, dropped clients — then recovery', async () => {
  const srv = new P1TcpServer({ source: newMeter('BE') });
  cleanups.push(() => srv.stop());
  const { port } = await srv.start();
  let c = await connect(port);
  await waitFor(() => frames(c.data).filter((f) => f.kind === 'valid').length >= 1, 2000, 'first telegram');

  srv.corruptNext(1);
  await waitFor(() => frames(c.data).some((f) => f.kind === 'bad-crc'), 2000, 'bad CRC');
  const afterBad = () => {
    const fs_ = frames(c.data);
    const i = fs_.findIndex((f) => f.kind === 'bad-crc');
    return fs_.slice(i + 1).filter((f) => f.kind === 'valid').length;
  };
  await waitFor(() => afterBad() >= 2, 2000, 'recovery after bad CRC');
  assert.equal(frames(c.data).filter((f) => f.kind === 'bad-crc').length, 1);

  c.data = '';
  srv.truncateNext();
  await waitFor(() => frames(c.data).some((f) => f.kind === 'truncated'), 2000, 'truncated telegram');
  const fr = frames(c.data);
  const ti = fr.findIndex((f) => f.kind === 'truncated');
  assert.ok(!fr[ti].body.includes('!'), 'truncated frame has no end');
  await waitFor(() => frames(c.data).slice(ti + 1).filter((f) => f.kind === 'valid').length >= 1, 2000, 'recovery after truncation');

  c.data = '';
  srv.injectGarbage(40);
  srv.injectGarbage('\xff\xff\xff');
  await waitFor(() => c.data.length >= 43, 1000, 'garbage');
  await waitFor(() => frames(c.data).some((f) => f.kind === 'valid'), 2000, 'telegram after garbage');
  assert.ok(c.data.indexOf('/') >= 43, 'garbage came first and contains no "/"');

  // pause: no telegram for the paused time
  let lastAt = 0;
  let maxGap = 0;
  const onTg = () => {
    const now = Date.now();
    if (lastAt) maxGap = Math.max(maxGap, now - lastAt);
    lastAt = now;
  };
  srv.on('telegram', onTg);
  await waitFor(() => lastAt > 0, 1000, 'a telegram');
  srv.pause(400);
  assert.equal(srv.paused, true);
  await new Promise((r) => setTimeout(r, 600));
  srv.off('telegram', onTg);
  assert.ok(maxGap >= 350, `largest gap ${maxGap} ms`);
  assert.equal(srv.paused, false);

  srv.dropClients();
  await waitFor(() => c.closed, 1000, 'client closed');
  c = await connect(port);
  await waitFor(() => frames(c.data).filter((f) => f.kind === 'valid').length >= 1, 2000, 'telegram after reconnect');
  c.sock.destroy();
  await srv.stop();
});

test('P1PtyServer: telegrams reach a serialport reader through socat; stop removes the links', { skip: skipPty }, async () => {
  const { SerialPort } = require('serialport');
  const srv = new P1PtyServer({ source: newMeter('NL') });
  cleanups.push(() => srv.stop());
  const { path: dev, meterPath } = await srv.start();
  assert.equal(path.basename(dev), 'p1');
  assert.ok(fs.lstatSync(dev).isSymbolicLink() && fs.lstatSync(meterPath).isSymbolicLink());
  const port = new SerialPort({ path: dev, baudRate: 115200 });
  let data = '';
  port.on('data', (d) => (data += d.toString('latin1')));
  await new Promise((resolve, reject) => {
    port.once('open', resolve);
    port.once('error', reject);
  });
  await waitFor(() => frames(data).filter((f) => f.kind === 'valid').length >= 3, 3000, 'telegrams over the pty');
  srv.corruptNext(1);
  await waitFor(() => frames(data).some((f) => f.kind === 'bad-crc'), 2000, 'bad CRC over the pty');
  await new Promise((r) => port.close(r));
  await srv.stop();
  assert.ok(!fs.existsSync(dev) && !fs.existsSync(meterPath), 'links removed');
  assert.ok(!fs.existsSync(path.dirname(dev)), 'temp dir removed');
});

test('P1PtyServer: a missing socat gives a clear error', async () => {
  const srv = new P1PtyServer({ source: newMeter('NL'), socat: '/nonexistent/socat' });
  await assert.rejects(srv.start(), /socat not found.*apt-get install socat/);
  await srv.stop();
});

test('SessyP1HttpServer: details JSON in Sessy units, Basic auth, faults on demand', async () => {
  const meter = newMeter('NL');
  const srv = new SessyP1HttpServer({ meter, auth: { username: 'P1SIM001', password: 'SECRET12' } });
  cleanups.push(() => srv.stop());
  const { url } = await srv.start();
  const good = 'P1SIM001:SECRET12';
  const details = url + '/api/v2/p1/details';

  assert.equal((await request(details)).status, 401);
  const wrong = await request(details, { auth: 'P1SIM001:nope' });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers['www-authenticate'], /^Basic/);

  const r = await request(details, { auth: good });
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /application\/json/);
  const j = JSON.parse(r.body);
  const snap = meter.snapshot();
  assert.equal(j.status, 'ok');
  assert.equal(j.state, 'P1_OK');
  assert.equal(j.dsmr_version, 50);
  assert.equal(j.header_info, '/ISK5\\2M550T-1012');
  assert.equal(Buffer.from(j.equipment_identifier, 'hex').toString(), 'E0099000000000001');
  assert.equal(j.power_consumed, 1200);
  assert.equal(j.power_produced, 0);
  assert.equal(j.power_total, 1200);
  assert.equal(j.power_consumed_tariff1, snap.energyWh.import1);
  assert.equal(j.power_consumed_tariff2, snap.energyWh.import2);
  assert.equal(j.power_produced_tariff1, snap.energyWh.export1);
  assert.equal(j.power_produced_tariff2, snap.energyWh.export2);
  assert.ok(j.power_consumed_tariff1 > 1_000_000, 'Wh, not kWh');
  assert.equal(j.power_consumed_l1 + j.power_consumed_l2 + j.power_consumed_l3, 1200);
  for (const k of ['voltage_l1', 'voltage_l2', 'voltage_l3']) assert.ok(j[k] > 220_000 && j[k] < 240_000, `${k} in mV`);
  for (const k of ['current_l1', 'current_l2', 'current_l3']) assert.equal(j[k] % 1000, 0, 'NL whole amps in mA');
  assert.ok(j.current_l1 >= 1000);
  assert.ok(Number.isInteger(j.gas_meter_value) && j.gas_meter_value > 1_000_000, 'gas in dm3');
  assert.match(j.gas_meter_value_time, /^\d{12}[SW]$/);
  assert.equal(j.tariff_indicator, snap.tariff);
  for (const k of ['voltage_sag_count_l1', 'voltage_swell_count_l3', 'power_failure_any_phase', 'long_power_failure_any_phase']) assert.equal(typeof j[k], 'number');

  srv.fault('http500');
  const e500 = await request(details, { auth: good });
  assert.equal(e500.status, 500);
  assert.ok(e500.body.length > 0);

  srv.fault('malformed');
  const mal = await request(details, { auth: good });
  assert.equal(mal.status, 200);
  assert.throws(() => JSON.parse(mal.body));

  srv.fault('wrong-status');
  const ws = JSON.parse((await request(details, { auth: good })).body);
  assert.notEqual(ws.status, 'ok');

  srv.fault('not-connected');
  const nc = JSON.parse((await request(details, { auth: good })).body);
  assert.equal(nc.state, 'P1_NOT_CONNECTED');
  assert.equal(nc.power_total, 0);

  srv.fault('hang');
  await assert.rejects(request(details, { auth: good, timeout: 300 }), /timeout/);

  srv.fault('http500', 2);
  assert.equal((await request(details, { auth: good })).status, 500);
  assert.equal((await request(details, { auth: good })).status, 500);
  // faults used up: normal again
  assert.equal(JSON.parse((await request(details, { auth: good })).body).status, 'ok');
  assert.equal((await request(url + '/api/v9/nothing', { auth: good })).status, 404);
  assert.equal((await request(details, { auth: good, method: 'POST' })).status, 405);
  await srv.stop();
});

test('VirtualHome: NL and BE meters on their own TCP ports, Sessy API, pty when socat exists', async () => {
  const home = new VirtualHome();
  cleanups.push(() => home.stop());
  const ep = await home.start({ profiles: ['NL', 'BE'], tcpPort: 0, sessyP1Port: 0, periodMs: PERIOD, pty: !skipPty });
  assert.equal(ep.p1Tcp.profile, 'NL');
  assert.equal(ep.p1Tcp.port, ep.p1TcpByProfile.NL.port);
  assert.notEqual(ep.p1TcpByProfile.NL.port, ep.p1TcpByProfile.BE.port);
  const nl = await connect(ep.p1TcpByProfile.NL.port);
  const be = await connect(ep.p1TcpByProfile.BE.port);
  await waitFor(() => frames(nl.data).some((f) => f.kind === 'valid') && frames(be.data).some((f) => f.kind === 'valid'), 3000, 'both meters');
  assert.ok(frames(nl.data).find((f) => f.kind === 'valid').body.includes('1-3:0.2.8(50)'));
  assert.ok(frames(be.data).find((f) => f.kind === 'valid').body.includes('0-0:96.1.4(50217)'));
  // both meters see the same household
  const pn = /1-0:1\.7\.0\((\d+\.\d+)\*kW\)/.exec(frames(nl.data).find((f) => f.kind === 'valid').body);
  assert.ok(pn);
  const j = JSON.parse((await request(ep.sessyP1.url + '/api/v2/p1/details')).body);
  assert.equal(j.status, 'ok');
  assert.equal(j.header_info, '/ISK5\\2M550T-1012');
  if (!skipPty) {
    assert.ok(fs.lstatSync(ep.p1Serial.path).isSymbolicLink());
    assert.equal(ep.p1Serial.profile, 'NL');
  }
  nl.sock.destroy();
  be.sock.destroy();
  await home.stop();
  await assert.rejects(connect(ep.p1TcpByProfile.BE.port), /ECONNREFUSED/);
  if (!skipPty) assert.ok(!fs.existsSync(ep.p1Serial.path));
});

test('VirtualHome speed: simulated time runs faster, telegrams stay one per period', async () => {
  const home = new VirtualHome();
  cleanups.push(() => home.stop());
  const start = Date.UTC(2024, 5, 10, 10, 0);
  const ep = await home.start({ profile: 'BE', speed: 60, startTime: start, periodMs: PERIOD });
  const c = await connect(ep.p1Tcp.port);
  await waitFor(() => frames(c.data).filter((f) => f.kind === 'valid').length >= 3, 3000, 'telegrams');
  const stamps = frames(c.data)
    .filter((f) => f.kind === 'valid')
    .map((f) => /0-0:1\.0\.0\((\d{12})S\)/.exec(f.body)[1]);
  // consecutive telegrams are 60 × 100 ms = 6 s of simulated time apart
  const sec = (s) => Number(s.slice(6, 8)) * 3600 + Number(s.slice(8, 10)) * 60 + Number(s.slice(10, 12));
  const d = sec(stamps[2]) - sec(stamps[1]);
  assert.ok(d >= 5 && d <= 7, `step ${d} s`);
  assert.ok(stamps[0] >= '240610120000');
  c.sock.destroy();
  await home.stop();
});

test('runSim: --json prints the endpoints, stops cleanly on abort; bad arguments → 2', async () => {
  const lines = [];
  const ac = new AbortController();
  const done = runSim(['--json', '--profile', 'NL,BE', '--sessy-port', '0', '--tcp-port', '0'], (l) => lines.push(l), { signal: ac.signal });
  await waitFor(() => lines.length > 0, 3000, 'endpoint line');
  const ep = JSON.parse(lines[0]);
  assert.equal(ep.p1Tcp.host, '127.0.0.1');
  assert.ok(ep.p1TcpByProfile.BE.port > 0);
  assert.match(ep.sessyP1.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(ep.p1Serial, null);
  const r = await request(ep.sessyP1.url + '/api/v2/p1/details');
  assert.equal(r.status, 200);
  ac.abort();
  assert.equal(await done, 0);
  assert.equal(lines.length, 1, 'exactly one JSON line');
  await assert.rejects(connect(ep.p1Tcp.port), /ECONNREFUSED/);

  const human = [];
  const ac2 = new AbortController();
  const done2 = runSim(['--profile', 'BE'], (l) => human.push(l), { signal: ac2.signal });
  await waitFor(() => human.some((l) => /Ctrl-C/.test(l)), 3000, 'human output');
  assert.match(human[0], /^P1 telegrams \(e-MUCS 1\.7, BE\) over TCP: 127\.0\.0\.1:\d+$/);
  ac2.abort();
  assert.equal(await done2, 0);
  assert.equal(human[human.length - 1], 'virtual home stopped');

  const bad = [];
  assert.equal(await runSim(['--profile', 'FR'], (l) => bad.push(l)), 2);
  assert.match(bad[0], /--profile/);
  assert.equal(await runSim(['--load', '/nonexistent.csv'], () => undefined), 2);
  assert.equal(await runSim(['--bogus'], () => undefined), 2);
});

test('VirtualHome basePort: every simulator at its offset (portPlan), several Sessy batteries in one household', async () => {
  const { portPlan, PORT_OFFSETS } = require('../../dist/lib/sim/home');
  assert.throws(() => portPlan(65500), /base port/);
  assert.throws(() => portPlan(12000, { sessyBatteries: 33 }), /sessyBatteries/);
  const free = (port) => new Promise((r) => { const s = net.createServer(); s.once('error', () => r(false)); s.listen(port, '127.0.0.1', () => s.close(() => r(true))); });
  let base;
  for (let i = 0; i < 50 && base === undefined; i++) {
    const b = 20000 + Math.floor(Math.random() * 40000);
    let ok = true;
    for (let k = 0; k < 42 && ok; k++) ok = await free(b + k);
    if (ok) base = b;
  }
  const home = new VirtualHome();
  cleanups.push(() => home.stop());
  const ep = await home.start({ basePort: base, profiles: ['NL', 'BE'], periodMs: PERIOD, sessyBatteries: 2, sofar: {}, ksem: { tlsPort: 0 } });
  assert.deepEqual(
    [ep.p1TcpByProfile.NL.port, ep.p1TcpByProfile.BE.port, ep.ksem.port, ep.ksem.tlsPort, ep.sofar.gateway.port, ...ep.sessyBatteries.map((b) => Number(new URL(b.url).port))],
    [base + 1, base + 2, base + 3, base + 4, base + 6, base + 10, base + 11],
  );
  assert.equal(PORT_OFFSETS.editor, 0, 'the base itself is left for the editor');
  assert.deepEqual(portPlan(base, { sessyBatteries: 2 }).sessy, [base + 10, base + 11]);
  assert.equal(home.sessyBatteries.length, 2);
  assert.notEqual(home.sessyBatteries[0].port, home.sessyBatteries[1].port);
  await home.stop();
});

test('VirtualHome: a Sessy unit can start in a chosen strategy', async () => {
  const home = new VirtualHome();
  cleanups.push(() => home.stop());
  await home.start({ periodMs: PERIOD, sessyBatteries: [{ strategy: 'POWER_STRATEGY_IDLE' }, {}] });
  assert.deepEqual(home.sessyBatteries.map((b) => b.strategy), ['POWER_STRATEGY_IDLE', 'POWER_STRATEGY_NOM']);
  await home.stop();
});
