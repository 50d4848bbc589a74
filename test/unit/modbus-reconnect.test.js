'use strict';
// Issue 11 defect 2: the Modbus link's reconnect backoff grew to 30 s, so a device that came back
// after a 40 s outage stayed unread for about 21 s more. A loopback Modbus server disappears and
// returns; the link's timers run on a virtual clock (connect attempts are real), a "poller" asks for
// a register every virtual second. Asserted: no reconnect wait exceeds the cap, and the first good
// reply comes within cap + one poll period of the device's return — for several outage lengths.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { once } = require('node:events');
const { ModbusServer } = require('../../dist/lib/transport/modbus/server');
const { ModbusClientLink, RECONNECT_MAX_MS } = require('../../dist/lib/transport/modbus/link');
const { VirtualClock } = require('../../dist/lib/util/clock');

const handler = { read: (_u, _fc, a, n) => Array.from({ length: n }, (_, i) => a + i), write: () => undefined };

async function serve(port) {
  const s = new ModbusServer({ transport: 'tcp', handler });
  return { server: s, port: await s.listen(port, '127.0.0.1') };
}

/** Resolves when the link's connect attempt has succeeded or failed (real time, at most 1 s). */
function attemptSettled(link) {
  return new Promise((resolve) => {
    const done = () => {
      link.off('reconnecting', done);
      link.off('connected', done);
      clearTimeout(guard);
      resolve();
    };
    const guard = setTimeout(done, 1000);
    link.on('reconnecting', done);
    link.on('connected', done);
  });
}

/**
 * One outage of `outageMs` (virtual): returns the waits the link scheduled, its connect attempts
 * during the outage and the virtual ms from the server's return to the first good reply.
 */
async function outage(outageMs, linkOptions = {}) {
  const clock = new VirtualClock(Date.UTC(2024, 0, 1));
  let { server, port } = await serve(0);
  const link = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port }, { timeoutMs: 500, ...linkOptions }, clock);
  const waits = [];
  link.on('reconnecting', (ms) => waits.push(ms));
  try {
    assert.deepEqual(await link.readHoldingRegisters(1, 7, 1), [7]);
    const lost = once(link, 'disconnected');
    await server.close();
    await lost;
    const attempts0 = link.connectAttempts;
    const downAt = clock.now();
    let backAt;
    // A poller: one read per virtual second; the link fails them at once while it waits.
    for (let step = 0; step < 400; step++) {
      if (backAt === undefined && clock.now() - downAt >= outageMs) {
        ({ server } = await serve(port));
        backAt = clock.now();
      }
      // Settles at once while the link waits, or after a real connect attempt (refused or accepted).
      const r = link.readHoldingRegisters(1, 7, 1).then(
        (w) => w,
        () => undefined,
      );
      const got = await Promise.race([r, new Promise((res) => setTimeout(() => res('pending'), 1000))]);
      if (backAt !== undefined && Array.isArray(got)) return { waits, attempts: link.connectAttempts - attempts0, recoveryMs: clock.now() - backAt };
      // Advance in small steps so a reconnect timer fires at its time, and let its connect settle.
      for (let t = 0; t < 1000; t += 100) {
        const n = link.connectAttempts;
        clock.advance(100);
        if (link.connectAttempts !== n) await attemptSettled(link);
      }
    }
    throw new Error('no recovery within 400 virtual seconds');
  } finally {
    await link.close();
    await server.close();
  }
}

test('reconnect waits never exceed the cap; recovery within cap + one poll period of the device coming back', async () => {
  assert.equal(RECONNECT_MAX_MS, 3000);
  for (const outageMs of [10_000, 40_000, 75_000]) {
    const r = await outage(outageMs);
    console.log(`# ${outageMs / 1000} s outage: recovered ${r.recoveryMs} ms after the device came back, ${r.attempts} connect attempts, waits ${r.waits.join(',')}`);
    assert.ok(r.waits.length >= 3, JSON.stringify(r));
    assert.ok(Math.max(...r.waits) <= RECONNECT_MAX_MS, `waits ${r.waits}`);
    assert.deepEqual(r.waits.slice(0, 3), [1000, 2000, 3000], 'probing: 1 s, 2 s, then every 3 s');
    assert.ok(r.recoveryMs <= RECONNECT_MAX_MS + 1000, `${outageMs} ms outage: recovered ${r.recoveryMs} ms after the device came back`);
    // While down it probes about every 3 s: a cheap connect attempt, no request storm.
    assert.ok(r.attempts <= Math.ceil(outageMs / 1000) && r.attempts >= Math.floor(outageMs / RECONNECT_MAX_MS) - 1, `attempts ${r.attempts}`);
  }
});

test('the old 30 s cap (still settable) is what made recovery slow: 40 s outage → well over 5 s', async () => {
  const r = await outage(40_000, { backoffMaxMs: 30_000 });
  console.log(`# old policy, 40 s outage: recovered ${r.recoveryMs} ms after the device came back`);
  assert.ok(Math.max(...r.waits) > 5000);
  assert.ok(r.recoveryMs > 5000, `recovered after ${r.recoveryMs} ms`);
});
