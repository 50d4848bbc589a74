'use strict';
// Issue 11 reliability 2: the P1 TCP stream's reconnect backoff grew to 30 s, so a gateway that came
// back after a long outage was read again only up to 30 s later. The delay is now capped
// (RECONNECT_MAX_MS): recovery follows within the cap. Real sockets, virtual reconnect timers.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { ReconnectingByteStream, RECONNECT_MAX_MS, streamError } = require('../../dist/lib/transport/byte-stream');
const { VirtualClock } = require('../../dist/lib/util/clock');
const { sleep, waitFor } = require('../helpers');

function listen(port = 0) {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        close: () =>
          new Promise((r) => {
            sockets.forEach((s) => s.destroy());
            server.close(r);
          }),
      }),
    );
  });
}

/** Advances virtual time in `step` ms steps, letting real socket events through, until pred() or `maxMs` of virtual time. */
async function advanceUntil(clock, pred, maxMs, step = 100) {
  const start = clock.now();
  while (!pred() && clock.now() - start < maxMs) {
    clock.advance(step);
    await sleep(2);
  }
  return clock.now() - start;
}

test('after a 2-minute outage the stream reconnects within the backoff cap of the gateway coming back', async () => {
  assert.ok(RECONNECT_MAX_MS <= 5000, 'recovery within about 5 s');
  const clock = new VirtualClock();
  let gw = await listen();
  const port = gw.port;
  const stream = new ReconnectingByteStream({ type: 'tcp', host: '127.0.0.1', port }, clock);
  const attempts = [];
  let connected = 0;
  stream.on('error', (e) => attempts.push({ at: clock.now(), short: e.short, code: e.code }));
  stream.on('connected', () => connected++);
  try {
    stream.start();
    await waitFor(() => connected === 1, 3000, 'first connect');
    await gw.close(); // the gateway goes away
    await waitFor(() => attempts.length > 0, 3000, 'the drop');
    const outageStart = clock.now();
    await advanceUntil(clock, () => false, 120_000, 250);
    const during = attempts.filter((a) => a.at >= outageStart);
    const refused = during.filter((a) => a.code === 'ECONNREFUSED');
    assert.ok(refused.length >= 120_000 / RECONNECT_MAX_MS - 3, `probes while down: ${refused.length}`);
    for (let i = 1; i < during.length; i++) assert.ok(during[i].at - during[i - 1].at <= RECONNECT_MAX_MS + 250, `gap ${during[i].at - during[i - 1].at} ms`);
    assert.equal(refused[0].short, `refused 127.0.0.1:${port}`);
    gw = await listen(port); // back, on the same port
    const back = clock.now();
    await advanceUntil(clock, () => connected === 2, 60_000, 100);
    assert.equal(connected, 2, 'reconnected');
    assert.ok(clock.now() - back <= RECONNECT_MAX_MS + 100, `reconnected ${clock.now() - back} ms after the gateway returned`);
  } finally {
    stream.stop();
    await gw.close();
  }
});

test('stream errors carry a short status text naming the endpoint', () => {
  const tcp = { type: 'tcp', host: 'p1.local', port: 23 };
  assert.deepEqual({ ...streamError(tcp, 'ECONNREFUSED', 'ECONNREFUSED') }, { short: 'refused p1.local:23', code: 'ECONNREFUSED' });
  assert.equal(streamError(tcp, 'ENOTFOUND', 'ENOTFOUND').short, 'unknown host p1.local');
  assert.equal(streamError(tcp, 'connect timeout', 'ETIMEDOUT').short, 'timeout p1.local:23');
  assert.equal(streamError({ type: 'serial', path: '/dev/ttyUSB0', baudRate: 115200 }, 'No such file', 'serial').short, '/dev/ttyUSB0: No such file');
});
