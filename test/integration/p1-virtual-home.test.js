'use strict';
// P1 source and p1-meter node against the virtual home over real transports: TCP on loopback, a
// serial pty made by socat, and the Sessy P1 dongle's HTTP API; faults injected on demand.
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { VirtualHome } = require('../../dist/lib/sim/home');
const { P1TcpServer, P1PtyServer } = require('../../dist/lib/sim/p1-server');
const { DsmrMeter } = require('../../dist/lib/sim/dsmr-writer');
const { Household } = require('../../dist/lib/sim/household');
const { P1Source, AUTO_BAUD_SWITCH_MS } = require('../../dist/lib/devices/p1/source');
const { VirtualClock, systemClock } = require('../../dist/lib/util/clock');
const { validator } = require('../../dist/lib/api/validate');
const { meterReadingSchema } = require('../../dist/lib/api/schemas');
const { skipWithoutSocat } = require('../helpers');

const checkReading = validator(meterReadingSchema, 'payload');

/** Resolves with the first n `event` payloads that pass `accept`, or rejects after timeoutMs. */
function events(source, event, n, timeoutMs = 10000, accept = () => true) {
  return new Promise((resolve, reject) => {
    const got = [];
    const t = setTimeout(() => {
      source.off(event, on);
      reject(new Error(`only ${got.length}/${n} '${event}' events within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (ev) => {
      if (!accept(ev)) return;
      got.push(ev);
      if (got.length < n) return;
      clearTimeout(t);
      source.off(event, on);
      resolve(got);
    };
    source.on(event, on);
  });
}

const collect = (source, n, timeoutMs) => events(source, 'reading', n, timeoutMs);
const waitState = (source, want) => events(source, 'state', 1, 10000, (s) => s === want);

function fastMeter(profile) {
  const household = new Household({ clock: systemClock, load: 1500, pv: 400 });
  return new DsmrMeter({ profile, clock: systemClock, household });
}

describe('P1 source over TCP against the simulated meter', () => {
  let server;
  let source;
  afterEach(async () => {
    source?.stop();
    await server?.stop();
  });

  it('reads NL telegrams, rejects corrupted and truncated ones, and counts them', async () => {
    server = new P1TcpServer({ source: fastMeter('NL'), host: '127.0.0.1', port: 0, periodMs: 100 });
    const { port } = await server.start();
    source = new P1Source({ type: 'tcp', host: '127.0.0.1', port }, systemClock, { backoff: { minMs: 100, maxMs: 500 } });
    source.start();
    const first = await collect(source, 2);
    for (const ev of first) assert.equal(checkReading(ev.reading), null);
    assert.equal(first[0].reading.power, 1100); // 1500 W load − 400 W PV
    assert.equal(first[0].reading.protocol, 'DSMR 5.0');
    server.corruptNext(2);
    server.truncateNext(1);
    server.injectGarbage(200);
    await collect(source, 3);
    assert.equal(source.counters.crcErrors, 2);
    assert.ok(source.counters.incomplete >= 1, 'the truncated telegram is counted as incomplete');
  });

  it('recovers without a restart after the gateway drops every client', async () => {
    server = new P1TcpServer({ source: fastMeter('BE'), host: '127.0.0.1', port: 0, periodMs: 100 });
    const { port } = await server.start();
    source = new P1Source({ type: 'tcp', host: '127.0.0.1', port }, systemClock, { backoff: { minMs: 100, maxMs: 500 } });
    const states = [];
    source.on('state', (s) => states.push(s));
    source.start();
    const [ev] = await collect(source, 1);
    assert.equal(ev.reading.protocol, 'e-MUCS 50217');
    assert.equal(ev.reading.capacity.computed, false, 'BE meters send 1-0:1.4.0');
    server.dropClients();
    await collect(source, 2);
    assert.ok(states.includes('disconnected'));
    assert.ok(states.lastIndexOf('connected') > states.indexOf('disconnected'));
  });
});

describe('P1 source on a serial port (socat pty)', { skip: skipWithoutSocat }, () => {
  let pty;
  let source;
  afterEach(async () => {
    source?.stop();
    await pty?.stop();
  });

  it('reads telegrams through a real serial port at 115200 8N1', async () => {
    pty = new P1PtyServer({ source: fastMeter('NL'), periodMs: 100 });
    const { path: dev } = await pty.start();
    source = new P1Source({ type: 'serial', path: dev, baudRate: 115200 }, systemClock, { backoff: { minMs: 100, maxMs: 500 } });
    source.start();
    const got = await collect(source, 3);
    assert.equal(got[2].reading.source, 'p1');
    assert.equal(source.counters.crcErrors, 0);
  });

  it('auto speed switches to 9600 after 12 s of silence (virtual time) and back', async () => {
    pty = new P1PtyServer({ source: fastMeter('NL'), periodMs: 100 });
    const { path: dev } = await pty.start();
    pty.pause(60000); // a silent meter
    const clock = new VirtualClock(Date.now());
    source = new P1Source({ type: 'serial', path: dev, baudRate: 'auto' }, clock);
    const problems = [];
    source.on('problem', (e) => problems.push(e.message));
    const connected = waitState(source, 'connected');
    source.start();
    await connected;
    clock.advance(AUTO_BAUD_SWITCH_MS - 1);
    assert.equal(problems.length, 0);
    clock.advance(1);
    assert.match(problems[0], /trying 9600 baud/);
    assert.match(source.description, /9600/);
    await waitState(source, 'connected');
    clock.advance(AUTO_BAUD_SWITCH_MS);
    assert.match(problems[1], /trying 115200 baud/);
  });

  it('reports a missing serial port and keeps retrying', async () => {
    const clock = new VirtualClock(Date.now());
    source = new P1Source({ type: 'serial', path: '/dev/does-not-exist-p1', baudRate: 115200 }, clock);
    const problem = new Promise((r) => source.once('problem', r));
    source.start();
    assert.match((await problem).message, /does-not-exist-p1/);
    const again = new Promise((r) => source.once('problem', r));
    clock.advance(1000); // first backoff step
    assert.match((await again).message, /does-not-exist-p1/);
  });
});

describe('Sessy P1 dongle source against the simulated dongle', () => {
  let home;
  let source;
  afterEach(async () => {
    source?.stop();
    await home?.stop();
  });

  it('polls, survives each injected fault, and comes back', async () => {
    home = new VirtualHome();
    const ep = await home.start({ tcpPort: 0, host: '127.0.0.1', sessyP1Port: 0, sessyAuth: { username: 'SESSYP1', password: 'PASSWORD' } });
    source = new P1Source({ type: 'sessy', url: ep.sessyP1.url, user: 'SESSYP1', password: 'PASSWORD', pollMs: 200, timeoutMs: 300 }, systemClock);
    const problems = [];
    source.on('problem', (e) => problems.push(e.message));
    source.start();
    const [ev] = await collect(source, 1);
    assert.equal(checkReading(ev.reading), null);
    assert.equal(ev.reading.source, 'sessy-p1');
    assert.equal(ev.reading.phases.length, 3);
    for (const kind of ['http500', 'malformed', 'wrong-status', 'not-connected', 'hang']) {
      home.sessy.fault(kind, 3); // more than the one retry per poll
      await collect(source, 1, 10000);
    }
    const text = problems.join('\n');
    assert.match(text, /HTTP 500/);
    assert.match(text, /not valid JSON/);
    assert.match(text, /status/);
    assert.match(text, /P1_NOT_CONNECTED/);
    assert.match(text, /no reply within 300 ms/);
  });

  it('wrong credentials give an authentication error', async () => {
    home = new VirtualHome();
    const ep = await home.start({ tcpPort: 0, host: '127.0.0.1', sessyP1Port: 0, sessyAuth: { username: 'SESSYP1', password: 'PASSWORD' } });
    source = new P1Source({ type: 'sessy', url: ep.sessyP1.url, user: 'SESSYP1', password: 'WRONG', pollMs: 200 }, systemClock);
    const problem = new Promise((r) => source.once('problem', r));
    source.start();
    assert.match((await problem).message, /authentication failed/);
  });
});

describe('p1-meter nodes in Node-RED against the virtual home', () => {
  const p1Node = require(path.join(__dirname, '../../dist/nodes/p1-meter/p1-meter.js'));
  helper.init(require.resolve('node-red'));
  let home;
  before(() => new Promise((r) => helper.startServer(r)));
  after(async () => {
    await home?.stop();
    await new Promise((r) => helper.stopServer(r));
  });

  it('an NL meter over TCP and a BE meter over TCP in one flow', async () => {
    home = new VirtualHome();
    const ep = await home.start({ profiles: ['NL', 'BE'], tcpPort: 0, host: '127.0.0.1', periodMs: 200 });
    await helper.load(p1Node, [
      { id: 'nl', type: 'p1-meter', source: 'tcp', host: '127.0.0.1', port: ep.p1TcpByProfile.NL.port, wires: [['outNl']] },
      { id: 'be', type: 'p1-meter', source: 'tcp', host: '127.0.0.1', port: ep.p1TcpByProfile.BE.port, wires: [['outBe']] },
      { id: 'outNl', type: 'helper' },
      { id: 'outBe', type: 'helper' },
    ]);
    const first = (id) => new Promise((r) => helper.getNode(id).once('input', r));
    const [nl, be] = await Promise.all([first('outNl'), first('outBe')]);
    assert.equal(nl.payload.protocol, 'DSMR 5.0');
    assert.equal(be.payload.protocol, 'e-MUCS 50217');
    try {
      // The meter's power is the household's grid power at the telegram time, to the meter's 1 W resolution. The
      // telegram's timestamp has whole seconds, so the power is the household's somewhere in that second.
      const within = Array.from({ length: 21 }, (_, k) => home.household.state(nl.payload.timestamp + k * 50).gridW);
      const [lo, hi] = [Math.min(...within), Math.max(...within)];
      assert.ok(nl.payload.power >= lo - 1 && nl.payload.power <= hi + 1, `${nl.payload.power} vs ${lo}–${hi} W in the telegram's second`);
      assert.equal(checkReading(be.payload), null);
    } finally {
      await helper.unload();
    }
  });
});
