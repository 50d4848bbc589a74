'use strict';
// Sessy discovery's own logic on top of multicast-dns / dns-packet: Sessy instance selection and
// typing from decoded packets (across packets, case-insensitively), TXT keys, and a 20,000-packet
// fuzz run: mutated answers that dns-packet still decodes never make the gathering throw.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const packet = require('dns-packet');
const { txtToMap, sessyTypeOf, gather, newGathered, sessyResults } = require('../../dist/lib/transport/mdns');

function sessyAnswer(inst = 'sessy-d1a2', serial = 'D1A2B3C4', device = 'Sessy Dongle', address = '192.168.1.50') {
  return {
    type: 'response',
    flags: packet.AUTHORITATIVE_ANSWER,
    answers: [{ name: '_http._tcp.local', type: 'PTR', ttl: 120, data: `${inst}._http._tcp.local` }],
    additionals: [
      { name: `${inst}._http._tcp.local`, type: 'SRV', ttl: 120, flush: true, data: { priority: 0, weight: 0, port: 80, target: `${inst}.local` } },
      { name: `${inst}._http._tcp.local`, type: 'TXT', ttl: 120, flush: true, data: [`serial=${serial}`, `device=${device}`, 'flag'] },
      { name: `${inst}.local`, type: 'A', ttl: 120, flush: true, data: address },
    ],
  };
}
/** Through the wire format, as multicast-dns hands packets over. */
const wire = (p) => packet.decode(packet.encode(p));

test('mdns: a Sessy answer as dns-packet decodes it gives the instance with serial, type, host, address and port', () => {
  const g = newGathered();
  gather(g, wire(sessyAnswer()), '10.0.0.9');
  assert.deepEqual(sessyResults(g), [
    {
      name: 'sessy-d1a2',
      host: 'sessy-d1a2.local',
      address: '192.168.1.50',
      port: 80,
      serial: 'D1A2B3C4',
      device: 'Sessy Dongle',
      type: 'battery',
      txt: { serial: 'D1A2B3C4', device: 'Sessy Dongle', flag: '' },
    },
  ]);
});

test('mdns: TXT keys and Sessy device typing', () => {
  assert.deepEqual(txtToMap(['Serial=D1', 'serial=X', 'device=Sessy P1 Dongle', '', '=nokey', 'path=/a=b']), {
    serial: 'D1',
    device: 'Sessy P1 Dongle',
    path: '/a=b',
  });
  assert.deepEqual(txtToMap([Buffer.from('serial=D2'), Buffer.from('')]), { serial: 'D2' }, 'TXT strings as dns-packet decodes them (Buffers)');
  assert.equal(sessyTypeOf('D1A2', 'whatever'), 'battery');
  assert.equal(sessyTypeOf('p9XX', null), 'p1');
  assert.equal(sessyTypeOf('CABC', 'Sessy Dongle'), 'ct', 'the serial letter wins (a CT dongle once answered as P1, ha-sessy #51)');
  assert.equal(sessyTypeOf('AP6QQVPY', null), 'unknown', 'A = the AC board, no local API');
  assert.equal(sessyTypeOf(null, 'Sessy P1 Dongle'), 'p1');
  assert.equal(sessyTypeOf(null, 'Sessy CT'), 'ct');
  assert.equal(sessyTypeOf('', 'Sessy Dongle'), 'battery');
  assert.equal(sessyTypeOf(undefined, 'Printer'), 'unknown');
});

test('mdns: gathering keeps only sessy- instances of _http._tcp, across packets, case-insensitively', () => {
  const g = newGathered();
  // PTR alone from one packet (address from the sender), SRV/TXT later.
  gather(g, wire({ type: 'response', answers: [{ name: '_HTTP._tcp.local', type: 'PTR', ttl: 10, data: 'Sessy-P1X._http._tcp.local' }] }), '192.168.1.60');
  gather(g, wire(sessyAnswer('printer', 'X', 'HP')), '192.168.1.70');
  gather(g, wire({ type: 'response', answers: [{ name: '_ipp._tcp.local', type: 'PTR', ttl: 10, data: 'sessy-other._ipp._tcp.local' }] }), '192.168.1.71');
  let r = sessyResults(g);
  assert.deepEqual(r.map((x) => [x.name, x.address, x.port, x.host, x.serial, x.type]), [['sessy-p1x', '192.168.1.60', 80, '', null, 'unknown']]);
  gather(
    g,
    wire({
      type: 'response',
      answers: [
        { name: 'sessy-p1x._http._tcp.local', type: 'SRV', ttl: 10, data: { priority: 0, weight: 0, port: 8080, target: 'sessy-p1x.local' } },
        { name: 'sessy-p1x._http._tcp.local', type: 'TXT', ttl: 10, data: ['serial=P12345', 'device=Sessy P1'] },
        { name: 'sessy-p1x.local', type: 'A', ttl: 10, data: '192.168.1.61' },
      ],
    }),
    '192.168.1.60',
  );
  r = sessyResults(g);
  assert.deepEqual(r.map((x) => [x.name, x.address, x.port, x.host, x.serial, x.type]), [['sessy-p1x', '192.168.1.61', 8080, 'sessy-p1x.local', 'P12345', 'p1']]);
});

test('mdns: records of unexpected shape are skipped, never thrown on', () => {
  const g = newGathered();
  const odd = [null, { name: 5 }, { name: '_http._tcp.local', type: 'PTR', data: 7 }, { name: 'x', type: 'SRV', data: { port: 'a' } }, { name: 'x', type: 'TXT', data: 'text' }, { name: 'x', type: 'A', data: [1, 2] }];
  assert.doesNotThrow(() => gather(g, { answers: odd, additionals: 'no', authorities: undefined }, '10.0.0.1'));
  assert.deepEqual(sessyResults(g), []);
});

const rng = require('../../dist/lib/util/random').mulberry32;

test('mdns: 20,000 mutated answers: what dns-packet decodes, the gathering takes without throwing', () => {
  const rand = rng(0x5e55);
  const int = (n) => Math.floor(rand() * n);
  const seeds = [packet.encode(sessyAnswer()), packet.encode(sessyAnswer('sessy-p1', 'P0000001', 'Sessy P1'))];
  let decoded = 0;
  let found = 0;
  for (let i = 0; i < 20_000; i++) {
    let buf = Buffer.from(seeds[int(seeds.length)]);
    for (let k = 1 + int(6); k > 0 && buf.length; k--) {
      const at = int(buf.length);
      const what = int(4);
      if (what === 0) buf[at] ^= 1 << int(8);
      else if (what === 1) buf[at] = int(256);
      else if (what === 2) buf[at] = 0xc0 | int(64);
      else buf = buf.subarray(0, at);
    }
    let p;
    try {
      p = packet.decode(buf); // multicast-dns drops what does not decode ('warning')
    } catch {
      continue;
    }
    decoded++;
    const g = newGathered();
    gather(g, p, '10.0.0.1');
    for (const d of sessyResults(g)) {
      found++;
      assert.ok(d.name.startsWith('sessy-'));
      assert.ok(Number.isInteger(d.port) && d.port >= 0 && d.port < 65536);
      assert.ok(['battery', 'p1', 'ct', 'unknown'].includes(d.type));
    }
  }
  assert.ok(decoded > 2_000 && found > 1_000, JSON.stringify({ decoded, found }));
});
