'use strict';
// The Modbus client link's queue, timers and reply handling (lib/transport/modbus/link.ts) against a
// scripted connection on a VirtualClock: deterministic, no sockets, no wall-clock. Real sockets and
// ptys are covered in test/integration/modbus-link.test.js. Ends with a 50,000-case fuzz of the
// link's TCP and RTU reply handling.
const test = require('node:test');
const assert = require('node:assert/strict');
const { ModbusClientLink, endpointKey, describeEndpoint, endpointProblem, normalizeFingerprint } = require('../../dist/lib/transport/modbus/link');
const { ModbusError } = require('../../dist/lib/transport/modbus/errors');
const f = require('../../dist/lib/transport/modbus/frame');
const { VirtualClock } = require('../../dist/lib/util/clock');
const { mulberry32 } = require('../helpers');

const hex = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const tick = () => new Promise((r) => setImmediate(r));
const TCP = { transport: 'tcp', host: '10.0.0.1', port: 502 };
const RTU_TCP = { transport: 'rtu-over-tcp', host: '10.0.0.2', port: 4196 };

/** A link whose connection is scripted by the test. */
function scripted(endpoint, options = {}) {
  const clock = new VirtualClock();
  const link = new ModbusClientLink(endpoint, { timeoutMs: 200, interRequestDelayMs: 0, ...options }, clock);
  const io = { written: [], opens: 0, destroyed: 0, h: undefined };
  // Test seam: replace the private connection factory (TypeScript privacy is compile-time only).
  link.openConnection = (h) => {
    io.h = h;
    io.opens++;
    return { write: (b) => io.written.push(Buffer.from(b)), destroy: () => io.destroyed++, closed: Promise.resolve() };
  };
  return { link, clock, io };
}

/** Observe a promise's outcome without awaiting it. */
function watch(p) {
  const w = { state: 'pending' };
  p.then(
    (v) => Object.assign(w, { state: 'resolved', value: v }),
    (e) => Object.assign(w, { state: 'rejected', error: e }),
  );
  return w;
}

const mbapReply = (tid, unit, pdu) => f.encodeTcpAdu(tid, unit, hex(pdu));
const rtuReply = (unit, pdu) => f.encodeRtuAdu(unit, hex(pdu));

test('endpoint keys, descriptions and validation', () => {
  assert.equal(endpointKey(TCP), 'tcp://10.0.0.1:502');
  assert.equal(endpointKey({ transport: 'tls', host: 'ksem' }), 'tls://ksem:802');
  assert.equal(endpointKey(RTU_TCP), 'rtu-tcp://10.0.0.2:4196');
  assert.equal(endpointKey({ transport: 'rtu', path: '/dev/ttyUSB0', baudRate: 9600 }), 'rtu:/dev/ttyUSB0');
  assert.equal(describeEndpoint({ transport: 'rtu', path: '/dev/ttyUSB0', baudRate: 57600, parity: 'none', stopBits: 2 }), 'rtu:/dev/ttyUSB0 57600 8N2');
  assert.match(endpointProblem({ transport: 'tcp' }), /needs a host/);
  assert.match(endpointProblem({ transport: 'rtu' }), /serial port path/);
  assert.match(endpointProblem({ transport: 'tcp', host: 'x', port: 70000 }), /port 70000/);
  assert.match(endpointProblem({ transport: 'tls', host: 'x', tls: { fingerprint256: 'abc' } }), /64 hex digits/);
  assert.match(endpointProblem({ transport: 'udp', host: 'x' }), /transport must be/);
  assert.throws(() => new ModbusClientLink({ transport: 'tcp' }), (e) => e instanceof ModbusError && e.code === 'invalid');
  assert.equal(normalizeFingerprint('ab'.repeat(32)), Array(32).fill('AB').join(':'));
  assert.equal(normalizeFingerprint('xyz'), undefined);
});

test('lazy connect: nothing opens until the first request, which waits for the connection', async () => {
  const { link, io } = scripted(TCP);
  assert.equal(io.opens, 0);
  const r = watch(link.readHoldingRegisters(1, 0x200, 2));
  assert.equal(io.opens, 1);
  assert.equal(io.written.length, 0, 'nothing written before the connection is up');
  io.h.open();
  assert.equal(link.connected, true);
  assert.equal(io.written[0].toString('hex'), '000100000006010302000002');
  io.h.data(mbapReply(1, 1, '03 04 0001 0002'));
  await tick();
  assert.deepEqual(r.value, [1, 2]);
});

test('TCP: a reply with another transaction id is discarded; a timeout fails only its own request', async () => {
  const { link, clock, io } = scripted(TCP);
  const dead = watch(link.readHoldingRegisters(5, 0, 1));
  const live = watch(link.readHoldingRegisters(1, 0, 1));
  io.h.open();
  assert.equal(io.written.length, 1);
  clock.advance(199);
  await tick();
  assert.equal(dead.state, 'pending');
  clock.advance(1);
  await tick();
  assert.equal(dead.state, 'rejected');
  assert.equal(dead.error.code, 'timeout');
  assert.equal(dead.error.message, 'tcp://10.0.0.1:502 unit 5: timeout after 200 ms (FC 0x03 read 1 at 0)');
  assert.equal(io.written.length, 2, 'the next request went out at once');
  io.h.data(mbapReply(1, 5, '03 02 DEAD')); // late reply to the timed-out request
  await tick();
  assert.equal(live.state, 'pending', 'late reply not taken for the live request');
  io.h.data(mbapReply(2, 1, '03 02 0007'));
  await tick();
  assert.deepEqual(live.value, [7]);
  assert.deepEqual(link.counters, { requests: 2, errors: 1, timeouts: 1, queue: 0, reconnects: 0 });
});

test('exception replies reject with code "exception" and the exception code', async () => {
  const { link, io } = scripted(TCP);
  const r = watch(link.readInputRegisters(3, 40000, 2));
  io.h.open();
  io.h.data(mbapReply(1, 3, '84 02'));
  await tick();
  assert.equal(r.error.code, 'exception');
  assert.equal(r.error.exceptionCode, 2);
  assert.equal(r.error.message, 'tcp://10.0.0.1:502 unit 3: exception 2 (illegal data address) to FC 0x04 read 2 at 40000');
});

test('malformed replies reject with code "malformed"; invalid arguments never reach the wire', async () => {
  const { link, io } = scripted(TCP);
  const r = watch(link.readHoldingRegisters(1, 0, 2));
  io.h.open();
  io.h.data(mbapReply(1, 1, '03 02 0001'));
  await tick();
  assert.equal(r.error.code, 'malformed');
  for (const p of [link.readHoldingRegisters(1, 0, 200), link.writeSingleRegister(1, 0, 65536), link.readHoldingRegisters(256, 0, 1), link.custom(1, 0x90, Buffer.alloc(0))]) {
    await assert.rejects(p, (e) => e.code === 'invalid' && /^tcp:\/\/10\.0\.0\.1:502 unit \d+: /.test(e.message));
  }
  assert.equal(io.written.length, 1);
});

test('bounded queue: reads beyond maxQueue are rejected with "queue-full", writes always queue', async () => {
  const { link, io } = scripted(TCP, { maxQueue: 2 });
  const inflight = watch(link.readHoldingRegisters(1, 0, 1));
  io.h.open();
  const queued = [watch(link.readHoldingRegisters(1, 1, 1)), watch(link.readHoldingRegisters(1, 2, 1))];
  const rejected = watch(link.readHoldingRegisters(1, 3, 1));
  const writes = [0, 1, 2].map((i) => watch(link.writeSingleRegister(1, 10 + i, i)));
  await tick();
  assert.equal(rejected.error.code, 'queue-full');
  assert.match(rejected.error.message, /unit 1: queue full \(2 requests waiting\)/);
  assert.equal(link.counters.queue, 5);
  // Answer everything in order.
  let tid = 1;
  io.h.data(mbapReply(tid++, 1, '03 02 0000'));
  for (let i = 1; i <= 2; i++) io.h.data(mbapReply(tid++, 1, '03 02 0000'));
  for (let i = 0; i < 3; i++) io.h.data(mbapReply(tid++, 1, `06 ${(10 + i).toString(16).padStart(4, '0')} ${i.toString(16).padStart(4, '0')}`));
  await tick();
  assert.equal(inflight.state, 'resolved');
  assert.deepEqual(queued.map((q) => q.state), ['resolved', 'resolved']);
  assert.deepEqual(writes.map((w) => w.state), ['resolved', 'resolved', 'resolved']);
  assert.equal(io.written.length, 6);
});

test('inter-request delay and connect delay run on the injected clock', async () => {
  const { link, clock, io } = scripted(TCP, { interRequestDelayMs: 50, connectDelayMs: 300 });
  const a = watch(link.readHoldingRegisters(1, 0, 1));
  const b = watch(link.readHoldingRegisters(1, 1, 1));
  io.h.open();
  assert.equal(io.written.length, 0, 'connect delay holds the first request');
  clock.advance(299);
  assert.equal(io.written.length, 0);
  clock.advance(1);
  assert.equal(io.written.length, 1);
  io.h.data(mbapReply(1, 1, '03 02 0001'));
  await tick();
  assert.equal(a.state, 'resolved');
  assert.equal(io.written.length, 1, 'inter-request delay holds the second');
  clock.advance(49);
  assert.equal(io.written.length, 1);
  clock.advance(1);
  assert.equal(io.written.length, 2);
  io.h.data(mbapReply(2, 1, '03 02 0002'));
  await tick();
  assert.deepEqual(b.value, [2]);
});

test('connection loss: in-flight request fails "disconnected", requests fail fast during backoff, reconnect after backoff', async () => {
  const { link, clock, io } = scripted(TCP, { backoffMinMs: 1000, backoffMaxMs: 4000 });
  const events = [];
  link.on('connected', () => events.push('connected'));
  link.on('disconnected', (r) => events.push('disconnected:' + r));
  const a = watch(link.readHoldingRegisters(1, 0, 1));
  const queued = watch(link.writeSingleRegister(1, 0, 1));
  io.h.open();
  io.h.lost('ECONNRESET');
  await tick();
  assert.equal(a.error.code, 'disconnected');
  assert.equal(a.error.message, 'tcp://10.0.0.1:502 unit 1: connection lost: ECONNRESET');
  assert.equal(queued.error.code, 'disconnected');
  assert.equal(link.connected, false);
  const fast = watch(link.readHoldingRegisters(2, 0, 1));
  await tick();
  assert.equal(fast.error.code, 'disconnected');
  assert.equal(fast.error.message, 'tcp://10.0.0.1:502 unit 2: not connected (ECONNRESET), next attempt in 1000 ms');
  clock.advance(999);
  assert.equal(io.opens, 1);
  clock.advance(1);
  assert.equal(io.opens, 2, 'reconnects by itself after the backoff');
  io.h.lost('ECONNREFUSED'); // attempt fails: next wait doubles
  clock.advance(1999);
  assert.equal(io.opens, 2);
  clock.advance(1);
  assert.equal(io.opens, 3);
  io.h.open();
  assert.equal(link.counters.reconnects, 1);
  const ok = watch(link.readHoldingRegisters(1, 0, 1));
  io.h.data(mbapReply(2, 1, '03 02 0009')); // transaction ids continue across connections
  await tick();
  assert.deepEqual(ok.value, [9]);
  assert.deepEqual(events, ['connected', 'disconnected:ECONNRESET', 'connected']);
  // A good reply resets the backoff: the next loss waits the minimum again.
  io.h.lost('EPIPE');
  clock.advance(1000);
  assert.equal(io.opens, 4);
});

test('connect timeout fails the waiting requests', async () => {
  const { link, clock, io } = scripted(TCP, { connectTimeoutMs: 3000 });
  const r = watch(link.readHoldingRegisters(1, 0, 1));
  clock.advance(3000);
  await tick();
  assert.equal(r.error.code, 'disconnected');
  assert.equal(r.error.message, 'tcp://10.0.0.1:502 unit 1: not connected: connect timeout after 3000 ms');
  assert.equal(io.destroyed, 1);
});

test('RTU framing: flush before send, skip stale bytes, CRC errors, silence for unknown lengths, broadcast', async () => {
  const { link, clock, io } = scripted(RTU_TCP, { silenceMs: 5 });
  const a = watch(link.readHoldingRegisters(1, 0x200, 2));
  io.h.open();
  assert.equal(io.written[0].toString('hex'), f.encodeRtuAdu(1, hex('03 0200 0002')).toString('hex'));
  // A stale reply from unit 5 and noise before the real reply, split across chunks.
  const good = rtuReply(1, '03 04 0001 0002');
  io.h.data(Buffer.concat([rtuReply(5, '03 02 FFFF'), hex('00 FF'), good.subarray(0, 4)]));
  io.h.data(good.subarray(4));
  await tick();
  assert.deepEqual(a.value, [1, 2]);

  const b = watch(link.readHoldingRegisters(1, 0, 1));
  const bad = rtuReply(1, '03 02 0001');
  bad[bad.length - 1] ^= 0x55;
  io.h.data(bad);
  await tick();
  assert.equal(b.error.code, 'crc');
  assert.match(b.error.message, /^rtu-tcp:\/\/10\.0\.0\.2:4196 unit 1: CRC error \(CRC 0x/);

  const c = watch(link.custom(1, 0x42, hex('0101 01F4')));
  io.h.data(rtuReply(1, '42 02 0300').subarray(0, 5));
  io.h.data(rtuReply(1, '42 02 0300').subarray(5));
  clock.advance(4);
  await tick();
  assert.equal(c.state, 'pending', 'waits for the line to go quiet');
  clock.advance(1);
  await tick();
  assert.equal(c.value.toString('hex'), '020300');

  const d = watch(link.custom(1, 0x42, hex('0101 01F4'), { replyLength: (p) => (p.length ? 1 + p[0] : undefined) }));
  io.h.data(rtuReply(1, '42 02 0000'));
  await tick();
  assert.equal(d.value.toString('hex'), '020000', 'replyLength ends the frame without waiting');

  const e = watch(link.custom(1, 0x42, hex('0100 5555')));
  io.h.data(rtuReply(1, 'C2 01'));
  await tick();
  assert.equal(e.error.code, 'exception');
  assert.equal(e.error.exceptionCode, 1);

  const n = io.written.length;
  const bc = watch(link.custom(0x88, 0x49, hex('2201 2202'), { noReply: true }));
  const b0 = watch(link.writeSingleRegister(0, 1, 2));
  await tick();
  assert.equal(bc.state, 'resolved');
  assert.equal(b0.state, 'resolved', 'RTU unit 0 is a broadcast: no reply awaited');
  assert.equal(io.written.length, n + 2);
  assert.equal(io.written[n].toString('hex'), '884922012202' + '0184');
});

test('close rejects pending requests with "closed" and stops reconnecting', async () => {
  const { link, clock, io } = scripted(TCP);
  const a = watch(link.readHoldingRegisters(1, 0, 1));
  const b = watch(link.readHoldingRegisters(1, 1, 1));
  io.h.open();
  await link.close();
  assert.equal(a.error.code, 'closed');
  assert.equal(b.error.code, 'closed');
  await assert.rejects(link.readHoldingRegisters(1, 0, 1), (e) => e.code === 'closed');
  clock.advance(60000);
  assert.equal(io.opens, 1);
});

test('"counters" events follow the queue', async () => {
  const { link, io } = scripted(TCP);
  const seen = [];
  link.on('counters', (c) => seen.push(c.queue));
  const a = watch(link.readHoldingRegisters(1, 0, 1));
  watch(link.readHoldingRegisters(1, 0, 1));
  io.h.open();
  io.h.data(mbapReply(1, 1, '03 02 0000'));
  await tick();
  assert.equal(a.state, 'resolved');
  assert.ok(seen.includes(2) && seen.includes(1), `queue lengths seen: ${seen}`);
});


test('fuzz: 50,000 random replies through the link (TCP and RTU); every request settles, nothing throws', async () => {
  const rnd = mulberry32(99);
  const byte = () => Math.floor(rnd() * 256);
  const codes = new Set(['not-modbus', 'exception', 'timeout', 'crc', 'disconnected', 'malformed']);
  const tally = { resolved: 0, rejected: {} };
  for (const endpoint of [TCP, RTU_TCP]) {
    const { link, clock, io } = scripted(endpoint, { silenceMs: 3, backoffMinMs: 10, backoffMaxMs: 10 });
    for (let i = 0; i < 25000; i++) {
      const kind = i % 4;
      const unit = 1 + (i % 3);
      const p =
        kind === 0
          ? link.readHoldingRegisters(unit, 0, 1 + (i % 4))
          : kind === 1
            ? link.writeSingleRegister(unit, 1, 2)
            : kind === 2
              ? link.writeMultipleRegisters(unit, 1, [1, 2])
              : link.custom(unit, 0x42, hex('0101 01F4'), i % 8 === 3 ? { replyLength: (b) => (b.length ? b[0] : undefined) } : undefined);
      const w = watch(p);
      if (!link.connected) {
        clock.advance(20); // past any backoff
        if (io.h && !link.connected) io.h.open();
      }
      await tick();
      // Garbage, sometimes a well-formed frame with random content, in 1–3 chunks.
      const len = Math.floor(rnd() * 24);
      let b = Buffer.from(Array.from({ length: len }, byte));
      if (rnd() < 0.3 && io.written.length) {
        const last = io.written[io.written.length - 1];
        const pdu = Buffer.concat([Buffer.of(rnd() < 0.2 ? last[endpoint === TCP ? 7 : 1] | 0x80 : last[endpoint === TCP ? 7 : 1]), b.subarray(0, Math.max(1, len >> 1))]);
        b = endpoint === TCP ? f.encodeTcpAdu(last.readUInt16BE(0), unit, pdu) : f.encodeRtuAdu(unit, pdu);
        if (rnd() < 0.1) b[b.length - 1] ^= 1;
      }
      let at = 0;
      while (at < b.length && io.h) {
        const n = 1 + Math.floor(rnd() * (b.length - at));
        io.h.data(b.subarray(at, at + n));
        at += n;
      }
      clock.advance(200);
      await tick();
      assert.notEqual(w.state, 'pending', `case ${i} settled`);
      if (w.state === 'resolved') tally.resolved++;
      else {
        assert.ok(w.error instanceof ModbusError && codes.has(w.error.code), `case ${i}: ${w.error && w.error.message}`);
        tally.rejected[w.error.code] = (tally.rejected[w.error.code] || 0) + 1;
      }
    }
    await link.close();
  }
  assert.ok(tally.resolved > 100, JSON.stringify(tally));
  for (const c of ['exception', 'timeout', 'crc', 'malformed', 'not-modbus']) assert.ok(tally.rejected[c] > 0, `${c}: ${JSON.stringify(tally)}`);
});
