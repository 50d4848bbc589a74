'use strict';
// The Modbus link and server over real transports on loopback: TCP, TLS (pinned certificate,
// pinned fingerprint, self-signed rejected / accepted with insecure), RTU on a serial pty pair made
// by socat, RTU over TCP; queue isolation, reconnects, bounded queue, exceptions, CRC errors,
// custom function codes, and the shared link pool.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { once } = require('node:events');
const { spawn, execFileSync } = require('node:child_process');
const { ModbusServer } = require('../../dist/lib/transport/modbus/server');
const { ModbusClientLink } = require('../../dist/lib/transport/modbus/link');
const { acquireLink, openLinks } = require('../../dist/lib/transport/modbus/pool');
const { ModbusError } = require('../../dist/lib/transport/modbus/errors');
const { simCertificate } = require('../../dist/lib/sim/certs');
const { skipWithoutSocat: skipPty, waitFor } = require('../helpers');

const TIMEOUT = 200;
const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});


/**
 * A register bank per unit: unread registers hold unit * 1000 + address; reads past 9999 get
 * exception 2. Writes are logged. FC 0x42 (Sofar-like) answers 02 <status word>, 0x49 echoes.
 */
function bank() {
  const regs = new Map();
  const writes = [];
  const handler = {
    read(unit, fc, address, count) {
      if (address + count > 10000) return { exception: 2 };
      return Array.from({ length: count }, (_, i) => regs.get(`${unit}:${address + i}`) ?? ((unit * 1000 + address + i + (fc === 4 ? 1 : 0)) & 0xffff));
    },
    write(unit, fc, address, values) {
      writes.push({ unit, fc, address, values });
      values.forEach((v, i) => regs.set(`${unit}:${address + i}`, v));
    },
    custom(unit, fc, data) {
      if (fc === 0x42) return Buffer.from([0x02, 0x03, data[1]]);
      if (fc === 0x49) return unit === 0x88 ? undefined : data;
      return { exception: 1 };
    },
    requestLength(fc) {
      return fc === 0x42 || fc === 0x49 ? 4 : -1; // -1: unknown, end by line silence
    },
  };
  return { handler, writes, regs };
}

async function startServer(transport, opts = {}) {
  const b = bank();
  const tls = transport === 'tls' ? { key: simCertificate().key, cert: simCertificate().cert } : undefined;
  const server = new ModbusServer({ transport, handler: b.handler, tls, ...opts });
  const port = transport === 'rtu' ? undefined : await server.listen(opts.port ?? 0, '127.0.0.1');
  cleanups.push(() => server.close());
  return { server, port, ...b };
}

function newLink(endpoint, options = {}) {
  const link = new ModbusClientLink(endpoint, { timeoutMs: TIMEOUT, backoffMinMs: 20, backoffMaxMs: 100, ...options });
  cleanups.push(() => link.close());
  return link;
}

/** Basic conversation every transport must hold. */
async function conversation(link) {
  assert.deepEqual(await link.readHoldingRegisters(2, 100, 3), [2100, 2101, 2102]);
  assert.deepEqual(await link.readInputRegisters(2, 7, 2), [2008, 2009]);
  await link.writeSingleRegister(1, 100, 0xbeef);
  await link.writeMultipleRegisters(1, 101, [1, 2]);
  assert.deepEqual(await link.readHoldingRegisters(1, 100, 3), [0xbeef, 1, 2]);
  const reply = await link.custom(1, 0x42, Buffer.from([0x01, 0x01, 0x01, 0xf4]));
  assert.equal(reply.toString('hex'), '020301');
  await assert.rejects(link.readHoldingRegisters(1, 9999, 2), (e) => e instanceof ModbusError && e.code === 'exception' && e.exceptionCode === 2);
  await assert.rejects(link.custom(1, 0x55, Buffer.alloc(0)), (e) => e.code === 'exception' && e.exceptionCode === 1);
}

// ---------------------------------------------------------------------------------------------

test('Modbus TCP: reads, writes, custom function code, exceptions', async () => {
  const { server, port } = await startServer('tcp');
  const link = newLink({ transport: 'tcp', host: '127.0.0.1', port });
  await conversation(link);
  server.setFaults({ exception: 6 }, 3);
  await assert.rejects(link.readHoldingRegisters(3, 0, 1), (e) => {
    assert.equal(e.code, 'exception');
    assert.equal(e.exceptionCode, 6);
    assert.equal(e.message, `tcp://127.0.0.1:${port} unit 3: exception 6 (server device busy) to FC 0x03 read 1 at 0`);
    return true;
  });
  assert.equal(link.connected, true);
  assert.equal(link.counters.errors, 3);
});

test('TLS: pinned certificate and pinned fingerprint accepted; self-signed rejected unless insecure', async () => {
  const { port } = await startServer('tls');
  const cert = simCertificate();
  const base = { transport: 'tls', host: '127.0.0.1', port };

  await conversation(newLink({ ...base, tls: { ca: cert.cert } }));
  await conversation(newLink({ ...base, tls: { fingerprint256: cert.fingerprint256.replace(/:/g, '').toLowerCase() } }));
  assert.deepEqual(await newLink({ ...base, tls: { insecure: true } }).readHoldingRegisters(1, 0, 1), [1000]);

  const verify = newLink(base);
  await assert.rejects(verify.readHoldingRegisters(1, 0, 1), (e) => {
    assert.equal(e.code, 'tls-untrusted');
    assert.ok(e.message.startsWith(`tls://127.0.0.1:${port} unit 1: not connected: TLS certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT): the device presents a self-signed certificate`), e.message);
    assert.ok(e.message.includes(cert.fingerprint256), 'names the fingerprint to pin');
    assert.match(e.message, /accept self-signed/);
    return true;
  });
  assert.equal(verify.connected, false);

  const wrongPin = newLink({ ...base, tls: { fingerprint256: '00'.repeat(32) } });
  await assert.rejects(wrongPin.readHoldingRegisters(1, 0, 1), (e) => e.code === 'tls-fingerprint' && /fingerprint .* does not match the pinned 00:00/.test(e.message));

  // A different certificate pinned: not trusted.
  const other = execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other', '-keyout', '/dev/null'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const wrongCa = newLink({ ...base, tls: { ca: other } });
  await assert.rejects(wrongCa.readHoldingRegisters(1, 0, 1), (e) => e.code === 'tls-untrusted' && /neither the pinned certificate nor signed by it/.test(e.message));
});

test('queue isolation: a dead unit timing out never stalls a live unit on the same link (TCP and RTU over TCP)', async () => {
  for (const transport of ['tcp', 'rtu-over-tcp']) {
    const { server, port } = await startServer(transport);
    server.setFaults({ timeout: true }, 5);
    const link = newLink({ transport, host: '127.0.0.1', port });
    const dead = [];
    const live = [];
    for (let i = 0; i < 4; i++) {
      dead.push(link.readHoldingRegisters(5, i, 1));
      for (let j = 0; j < 3; j++) live.push(link.readHoldingRegisters(1, 10 * i + j, 1));
    }
    const results = await Promise.allSettled([...dead, ...live]);
    const deadR = results.slice(0, 4);
    const liveR = results.slice(4);
    assert.deepEqual(deadR.map((r) => r.status + ':' + (r.reason && r.reason.code)), Array(4).fill('rejected:timeout'), transport);
    assert.deepEqual(
      liveR.map((r) => r.value && r.value[0]),
      [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32].map((a) => 1000 + a),
      `${transport}: every live request answered with its own value`,
    );
    assert.match(deadR[0].reason.message, new RegExp(`^${transport === 'tcp' ? 'tcp' : 'rtu-tcp'}://127\\.0\\.0\\.1:${port} unit 5: timeout after ${TIMEOUT} ms`));
    assert.equal(link.counters.timeouts, 4);
  }
});

test('RTU over TCP: conversation, CRC error, unit filter, broadcast', async () => {
  const { server, port, writes } = await startServer('rtu-over-tcp', { units: [1, 2, 0x88] });
  const link = newLink({ transport: 'rtu-over-tcp', host: '127.0.0.1', port }, { interRequestDelayMs: 0 });
  await conversation(link);
  server.setFaults({ crcError: true }, 2);
  await assert.rejects(link.readHoldingRegisters(2, 0, 1), (e) => e.code === 'crc' && e.message.startsWith(`rtu-tcp://127.0.0.1:${port} unit 2: CRC error`));
  server.setFaults({}, 2);
  assert.deepEqual(await link.readHoldingRegisters(2, 0, 1), [2000], 'healthy again after the fault');
  await assert.rejects(link.readHoldingRegisters(9, 0, 1), (e) => e.code === 'timeout', 'unit 9 is not on this bus');
  await link.writeSingleRegister(0, 5, 55); // broadcast: executed by the server, never answered
  await link.custom(0x88, 0x49, Buffer.from([0x22, 0x01, 0x22, 0x02]), { noReply: true });
  assert.deepEqual(await link.readHoldingRegisters(1, 0, 1), [1000]);
  assert.ok(writes.some((w) => w.unit === 0 && w.address === 5 && w.values[0] === 55), 'broadcast write delivered');
  assert.equal(server.counters.crcErrors, 0);
});

test('RTU over a serial pty (socat): conversation, CRC error, silence framing, unit filter', { skip: skipPty }, async () => {
  const pty = await ptyPair();
  const { server } = await startServer('rtu', { units: [1, 2] });
  await server.openSerial(pty.a, { baudRate: 9600 });
  const link = newLink({ transport: 'rtu', path: pty.b, baudRate: 9600 }, { interRequestDelayMs: 5 });
  assert.equal(link.key, `rtu:${pty.b}`);
  await conversation(link);
  // Custom code without replyLength: the reply ends by line silence; with it, by length.
  assert.equal((await link.custom(1, 0x49, Buffer.from([0x22, 0x01, 0x22, 0x02]))).toString('hex'), '22012202');
  assert.equal((await link.custom(1, 0x42, Buffer.from([0x01, 0x02, 0x00, 0x10]), { replyLength: (b) => (b.length ? 1 + b[0] : undefined) })).toString('hex'), '020302');
  server.setFaults({ crcError: true });
  await assert.rejects(link.readHoldingRegisters(1, 0, 1), (e) => e.code === 'crc' && e.message.startsWith(`rtu:${pty.b} unit 1: CRC error`));
  server.clearFaults();
  await assert.rejects(link.readHoldingRegisters(7, 0, 1), (e) => e.code === 'timeout');
  assert.deepEqual(await link.readHoldingRegisters(2, 3, 2), [2003, 2004]);
});

test('server attach(): RTU on any Duplex; line noise is dropped at the next silence', async () => {
  const net = require('node:net');
  const { encodeRtuAdu } = require('../../dist/lib/transport/modbus/frame');
  const b = bank();
  const server = new ModbusServer({ transport: 'rtu', handler: b.handler, silenceMs: 5 });
  const tcp = net.createServer((sock) => server.attach(sock));
  await new Promise((r) => tcp.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => tcp.close(r)));
  cleanups.push(() => server.close());
  const sock = net.connect(tcp.address().port, '127.0.0.1');
  await once(sock, 'connect');
  cleanups.push(() => sock.destroy());
  const replies = [];
  sock.on('data', (d) => replies.push(d.toString('hex')));
  sock.write(Buffer.from('0110ff00', 'hex')); // noise: looks like the start of a long FC 16 request
  await new Promise((r) => setTimeout(r, 30)); // the line goes quiet
  sock.write(encodeRtuAdu(1, Buffer.from('0300050001', 'hex')));
  if (!replies.length) await once(sock, 'data', { signal: AbortSignal.timeout(5000) }); // a missing reply fails instead of hanging
  assert.equal(replies.join(''), encodeRtuAdu(1, Buffer.from('03020' + '3ed', 'hex')).toString('hex')); // 1005 = 0x03ED
  assert.equal(server.counters.requests, 1);
});

test('TCP faults wrongUnit and garble: the bytes on the wire, a clear ModbusError each, and the next request works', async () => {
  const net = require('node:net');
  const { server, port } = await startServer('tcp');
  // Raw bytes first: read 1 register at 0 of unit 1 (value 1000 = 0x03E8), transaction id 7.
  const raw = net.connect(port, '127.0.0.1');
  await once(raw, 'connect');
  cleanups.push(() => raw.destroy());
  const ask = async () => {
    raw.write(Buffer.from('000700000006010300000001', 'hex'));
    const [d] = await once(raw, 'data', { signal: AbortSignal.timeout(2000) });
    return d.toString('hex');
  };
  assert.equal(await ask(), '00070000000501030203e8', 'healthy reply');
  server.setFaults({ wrongUnit: 9 });
  assert.equal(await ask(), '00070000000509030203e8', 'MBAP unit id 9');
  server.setFaults({ garble: true });
  assert.equal(await ask(), '000700000003010302', 'PDU cut to its first half, MBAP length 3 to match');
  server.setFaults({ garble: 'length' });
  assert.equal(await ask(), '00070000000801030203e8', 'whole PDU, MBAP length 8 instead of 5');
  raw.destroy();

  const link = newLink({ transport: 'tcp', host: '127.0.0.1', port });
  const where = `tcp://127.0.0.1:${port} unit 1`;
  server.setFaults({ wrongUnit: 9 });
  await assert.rejects(link.readHoldingRegisters(1, 0, 1), (e) => e instanceof ModbusError && e.code === 'malformed' && e.message === `${where}: reply from unit 9 to FC 0x03 read 1 at 0`);
  server.setFaults({ garble: true });
  await assert.rejects(link.readHoldingRegisters(1, 0, 2), (e) => e.code === 'malformed' && e.message === `${where}: malformed reply to FC 0x03: read reply with 1 data bytes (byte count 4), expected 4`);
  await assert.rejects(link.writeSingleRegister(1, 100, 5), (e) => e.code === 'malformed' && /write-single reply does not echo the request/.test(e.message));
  server.setFaults({ garble: 'length' });
  await assert.rejects(link.readHoldingRegisters(1, 0, 1), (e) => e.code === 'timeout' && e.message.startsWith(`${where}: timeout after ${TIMEOUT} ms`));
  server.setFaults({});
  // The cut-off frame left in the receive buffer must not swallow this reply.
  assert.deepEqual(await link.readHoldingRegisters(1, 3, 2), [1003, 1004]);
  assert.equal(link.connected, true, 'no reconnect was needed');
  assert.equal(link.counters.reconnects, 0);
});

test('RTU faults wrongUnit: the reply carries the other address with a valid CRC; the link times out, then recovers', async () => {
  const net = require('node:net');
  const { encodeRtuAdu } = require('../../dist/lib/transport/modbus/frame');
  const { server, port } = await startServer('rtu-over-tcp');
  server.setFaults({ wrongUnit: 9 }, 1);
  const raw = net.connect(port, '127.0.0.1');
  await once(raw, 'connect');
  cleanups.push(() => raw.destroy());
  raw.write(encodeRtuAdu(1, Buffer.from('0300000001', 'hex')));
  const [d] = await once(raw, 'data', { signal: AbortSignal.timeout(2000) });
  assert.equal(d.toString('hex'), encodeRtuAdu(9, Buffer.from('030203e8', 'hex')).toString('hex'));
  raw.destroy();

  const link = newLink({ transport: 'rtu-over-tcp', host: '127.0.0.1', port }, { interRequestDelayMs: 0 });
  await assert.rejects(link.readHoldingRegisters(1, 0, 1), (e) => e.code === 'timeout' && e.message.startsWith(`rtu-tcp://127.0.0.1:${port} unit 1: timeout`));
  assert.deepEqual(await link.readHoldingRegisters(2, 0, 1), [2000], 'another unit is not affected');
  server.setFaults({}, 1);
  assert.deepEqual(await link.readHoldingRegisters(1, 0, 1), [1000]);
});

test("server: 'ignored' events for filtered unit ids; attached streams are released when they close", async () => {
  const net = require('node:net');
  const b = bank();
  const server = new ModbusServer({ transport: 'rtu', handler: b.handler, units: [1], silenceMs: 5 });
  cleanups.push(() => server.close());
  const requests = [];
  const ignored = [];
  server.on('request', (r) => requests.push(r));
  server.on('ignored', (r) => ignored.push(r));
  const tcp = net.createServer((sock) => server.attach(sock));
  await new Promise((r) => tcp.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => tcp.close(r)));
  const link = newLink({ transport: 'rtu-over-tcp', host: '127.0.0.1', port: tcp.address().port }, { interRequestDelayMs: 0 });
  assert.deepEqual(await link.readHoldingRegisters(1, 4, 1), [1004]);
  await assert.rejects(link.readHoldingRegisters(7, 2, 3), (e) => e.code === 'timeout');
  assert.deepEqual(requests, [{ unit: 1, fc: 3, address: 4, count: 1 }]);
  assert.deepEqual(ignored, [{ unit: 7, fc: 3, address: 2, count: 3 }]);
  assert.equal(server.counters.unanswered, 1);

  // dropConnection destroys an attached socket; each closed connection leaves the server's list.
  assert.equal(server.streamCount, 1);
  server.setFaults({ dropConnection: true });
  await assert.rejects(link.readHoldingRegisters(1, 0, 1), (e) => e.code === 'disconnected');
  for (let i = 0; i < 5; i++) {
    const c = net.connect(tcp.address().port, '127.0.0.1');
    await once(c, 'connect');
    c.destroy();
  }
  if (!link.connected) await once(link, 'connected');
  assert.deepEqual(await link.readHoldingRegisters(1, 0, 1), [1000]);
  await waitFor(() => server.streamCount === 1, 2000, "only the link's own connection is still served (7 before the fix)");
});

test('reconnect after the server drops the connection, without a new link', async () => {
  const { server, port } = await startServer('tcp');
  const link = newLink({ transport: 'tcp', host: '127.0.0.1', port });
  const events = [];
  link.on('connected', () => events.push('connected'));
  link.on('disconnected', () => events.push('disconnected'));
  assert.deepEqual(await link.readHoldingRegisters(1, 0, 1), [1000]);
  server.setFaults({ dropConnection: true });
  await assert.rejects(link.readHoldingRegisters(1, 0, 1), (e) => e.code === 'disconnected' && /connection lost/.test(e.message));
  assert.equal(server.faults.dropConnection, false, 'the drop fault is one-shot');
  if (!link.connected) await once(link, 'connected');
  assert.deepEqual(await link.readHoldingRegisters(1, 1, 1), [1001]);
  assert.equal(link.counters.reconnects, 1);
  assert.deepEqual(events, ['connected', 'disconnected', 'connected']);
});

test('reconnect after the server restarts on the same port, without a new link', async () => {
  const first = await startServer('tcp');
  const port = first.port;
  const link = newLink({ transport: 'tcp', host: '127.0.0.1', port });
  assert.deepEqual(await link.readHoldingRegisters(1, 0, 1), [1000]);
  const down = once(link, 'disconnected');
  await first.server.close();
  await down;
  await assert.rejects(link.readHoldingRegisters(1, 0, 1), (e) => e.code === 'disconnected');
  const second = await startServer('tcp', { port });
  second.regs.set('1:0', 4242);
  await once(link, 'connected');
  assert.deepEqual(await link.readHoldingRegisters(1, 0, 1), [4242], 'talking to the restarted server');
  assert.ok(link.counters.reconnects >= 1);
});

test('bounded queue: reads beyond maxQueue rejected with "queue-full", every write delivered', async () => {
  const { server, port, writes } = await startServer('tcp');
  server.setFaults({ delayMs: 5 });
  const link = newLink({ transport: 'tcp', host: '127.0.0.1', port }, { maxQueue: 3 });
  await link.readHoldingRegisters(1, 0, 1); // connected: the next request goes straight on the wire
  const reads = Array.from({ length: 10 }, (_, i) => link.readHoldingRegisters(1, i, 1));
  const ws = Array.from({ length: 6 }, (_, i) => link.writeSingleRegister(1, 500 + i, i));
  const readR = await Promise.allSettled(reads);
  await Promise.all(ws);
  const ok = readR.filter((r) => r.status === 'fulfilled');
  const full = readR.filter((r) => r.status === 'rejected');
  assert.equal(ok.length, 4, 'one in flight + three queued');
  assert.ok(full.every((r) => r.reason.code === 'queue-full'));
  assert.deepEqual(ok.map((r) => r.value[0]), [1000, 1001, 1002, 1003]);
  assert.deepEqual(writes.map((w) => w.address), [500, 501, 502, 503, 504, 505]);
});

test('pool: one link per endpoint, shared queue, first settings win with a warning, last release closes', async () => {
  const { port } = await startServer('tcp');
  const ep = { transport: 'tcp', host: '127.0.0.1', port };
  const a = acquireLink(ep, { timeoutMs: TIMEOUT });
  const b = acquireLink({ ...ep }, { timeoutMs: TIMEOUT });
  const c = acquireLink(ep, { timeoutMs: 5000 });
  assert.equal(a.link, b.link);
  assert.equal(a.link, c.link);
  assert.equal(a.key, `tcp://127.0.0.1:${port}`);
  assert.equal(b.warning, undefined);
  assert.match(c.warning, /timeoutMs 5000 \(link uses 200\)/);
  const d = acquireLink({ transport: 'rtu-over-tcp', host: '127.0.0.1', port });
  assert.notEqual(d.link, a.link, 'another framing on the same address is another link');
  await d.release();
  assert.deepEqual(await a.link.readHoldingRegisters(1, 0, 1), [1000]);
  assert.deepEqual(openLinks().filter((l) => l.key === a.key), [{ key: a.key, refs: 3, connected: true }]);
  await a.release();
  await a.release(); // idempotent
  await b.release();
  assert.equal(a.link.connected, true, 'still held by c');
  await c.release();
  assert.equal(a.link.connected, false);
  assert.deepEqual(openLinks().filter((l) => l.key === a.key), []);
  await assert.rejects(a.link.readHoldingRegisters(1, 0, 1), (e) => e.code === 'closed');
  const again = acquireLink(ep, { timeoutMs: TIMEOUT });
  assert.notEqual(again.link, a.link, 'a fresh link after the last release');
  await again.release();
});

// ---------------------------------------------------------------------------------------------

/** Two linked ptys from socat; resolves with their paths when both exist. */
async function ptyPair() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-modbus-pty-'));
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  await new Promise((resolve, reject) => {
    const ready = () => stderr.includes('starting data transfer loop') && fs.existsSync(a) && fs.existsSync(b);
    proc.stderr.on('data', (d) => {
      stderr += d;
      if (ready()) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`socat exited ${code}: ${stderr}`)));
    const poll = setInterval(() => ready() && (clearInterval(poll), resolve()), 20);
  });
  cleanups.unshift(() => {
    proc.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { a, b };
}
