'use strict';
// Sessy discovery over real UDP: discoverSessy() against the mDNS responder on loopback (legacy
// unicast, RFC 6762 §6.7), against a terse responder, against garbage, and over real multicast
// when the network allows it.
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const packet = require('dns-packet');
const { discoverSessy, MDNS_ADDRESS } = require('../../dist/lib/transport/mdns');
const { MdnsResponder } = require('../../dist/lib/sim/mdns-responder');

const INSTANCES = [
  { name: 'sessy-dsim0001', host: 'sessy-dsim0001.local', port: 8091, address: '127.0.0.1', txt: { serial: 'DSIM0001', device: 'Sessy Dongle' } },
  { name: 'sessy-psim0001', host: 'sessy-psim0001.local', port: 8095, address: '127.0.0.2', txt: { serial: 'PSIM0001', device: 'Sessy P1 Dongle' } },
  { name: 'printer', host: 'printer.local', port: 631, address: '127.0.0.3', txt: { ty: 'Laser' } },
];

const stops = [];
after(async () => {
  for (const s of stops) await s();
});

async function responder(opts) {
  const r = new MdnsResponder({ instances: INSTANCES, port: 0, bind: '127.0.0.1', ...opts });
  await r.start();
  stops.push(() => r.stop());
  return r;
}

describe('Sessy discovery over UDP on loopback', () => {
  it('finds the sessy- instances with serial, type, host, address and port; ignores others', async () => {
    const r = await responder();
    const found = await discoverSessy({ address: '127.0.0.1', port: r.port, timeoutMs: 300 });
    assert.deepEqual(
      found.map((d) => ({ name: d.name, host: d.host, address: d.address, port: d.port, serial: d.serial, device: d.device, type: d.type })),
      [
        { name: 'sessy-dsim0001', host: 'sessy-dsim0001.local', address: '127.0.0.1', port: 8091, serial: 'DSIM0001', device: 'Sessy Dongle', type: 'battery' },
        { name: 'sessy-psim0001', host: 'sessy-psim0001.local', address: '127.0.0.2', port: 8095, serial: 'PSIM0001', device: 'Sessy P1 Dongle', type: 'p1' },
      ],
    );
    assert.ok(r.queries >= 1 && r.answered >= 1);
  });

  it('asks again for SRV and TXT when a responder sends the PTR answer alone', async () => {
    const r = await responder({ omitAdditionals: true });
    const found = await discoverSessy({ address: '127.0.0.1', port: r.port, timeoutMs: 300 });
    assert.deepEqual(found.map((d) => [d.name, d.serial, d.port, d.type]), [
      ['sessy-dsim0001', 'DSIM0001', 8091, 'battery'],
      ['sessy-psim0001', 'PSIM0001', 8095, 'p1'],
    ]);
    // Address: the A record was not sent, so the sender's address is used.
    assert.equal(found[0].address, '127.0.0.1');
    assert.ok(r.queries >= 3, `follow-up queries seen: ${r.queries}`);
  });

  it('survives garbage, truncated and non-response packets from a broken responder', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise((res) => sock.bind(0, '127.0.0.1', res));
    stops.push(() => new Promise((res) => sock.close(res)));
    const good = packet.encode({
      type: 'response',
      answers: [{ name: '_http._tcp.local', type: 'PTR', ttl: 10, data: 'sessy-d9._http._tcp.local' }],
      additionals: [
        { name: 'sessy-d9._http._tcp.local', type: 'SRV', ttl: 10, data: { priority: 0, weight: 0, port: 80, target: 'sessy-d9.local' } },
        { name: 'sessy-d9._http._tcp.local', type: 'TXT', ttl: 10, data: ['serial=D9999999', 'device=Sessy Dongle'] },
      ],
    });
    let queries = 0;
    sock.on('message', (msg, rinfo) => {
      let q;
      try {
        q = packet.decode(msg);
      } catch {
        return;
      }
      if (q.type !== 'query') return;
      queries++;
      const send = (b) => sock.send(b, rinfo.port, rinfo.address);
      send(Buffer.from('not dns at all'));
      send(good.subarray(0, 20));
      send(Buffer.from([0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 0x0c])); // self-pointing name
      send(msg); // the query echoed: not a response, ignored
      send(good);
    });
    const found = await discoverSessy({ address: '127.0.0.1', port: sock.address().port, timeoutMs: 300 });
    assert.ok(queries >= 1);
    assert.deepEqual(found.map((d) => [d.name, d.serial, d.address, d.type]), [['sessy-d9', 'D9999999', '127.0.0.1', 'battery']]);
  });

  it('an empty network gives an empty list; an abort ends the search early', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise((res) => sock.bind(0, '127.0.0.1', res));
    stops.push(() => new Promise((res) => sock.close(res)));
    assert.deepEqual(await discoverSessy({ address: '127.0.0.1', port: sock.address().port, timeoutMs: 200 }), []);
    const ac = new AbortController();
    const p = discoverSessy({ address: '127.0.0.1', port: sock.address().port, timeoutMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    assert.deepEqual(await p, []);
  });
});

/** Whether a datagram sent to the mDNS group comes back to a member on this host. */
async function multicastWorks(port) {
  const rx = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const tx = dgram.createSocket('udp4');
  try {
    await new Promise((res, rej) => {
      rx.once('error', rej);
      rx.bind(port, '0.0.0.0', res);
    });
    rx.addMembership(MDNS_ADDRESS);
    return await new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), 500);
      rx.once('message', () => {
        clearTimeout(t);
        resolve(true);
      });
      tx.bind(0, () => {
        tx.setMulticastLoopback(true);
        tx.send('probe', port, MDNS_ADDRESS, (e) => e && resolve(false));
      });
    });
  } catch {
    return false;
  } finally {
    tx.close();
    rx.close();
  }
}

describe('Sessy discovery over real multicast', () => {
  it('finds the responder through the 224.0.0.251 group (on a test port, not 5353)', async (t) => {
    const port = 40000 + Math.floor(Math.random() * 20000);
    if (!(await multicastWorks(port))) {
      t.skip('multicast to 224.0.0.251 does not loop back on this host (no multicast route or interface); the unicast tests above still ran');
      return;
    }
    const r = new MdnsResponder({ instances: INSTANCES, port, multicast: true, localOnly: true });
    const started = await r.start();
    stops.push(() => r.stop());
    assert.equal(started.multicast, true);
    const found = await discoverSessy({ address: MDNS_ADDRESS, port, timeoutMs: 500, listenMulticast: false });
    assert.deepEqual(found.map((d) => [d.name, d.serial, d.type]), [
      ['sessy-dsim0001', 'DSIM0001', 'battery'],
      ['sessy-psim0001', 'PSIM0001', 'p1'],
    ]);
  });
});
