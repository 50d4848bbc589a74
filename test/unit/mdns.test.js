'use strict';
// mDNS / DNS-SD codec used by Sessy discovery: exact bytes of the query, name compression, record
// decoding, Sessy instance selection and typing, and a 50,000-packet fuzz run of the parser.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const {
  buildQuery,
  encodeDnsMessage,
  parseDnsMessage,
  txtToMap,
  sessyTypeOf,
  gather,
  newGathered,
  sessyResults,
  RR,
  FLAG_RESPONSE,
  FLAG_AUTHORITATIVE,
} = require('../../dist/lib/transport/mdns');

const hex = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('mdns: the PTR query for _http._tcp.local, byte for byte', () => {
  assert.deepEqual(
    buildQuery(),
    hex(`0000 0000 0001 0000 0000 0000
         05 5f68747470 04 5f746370 05 6c6f63616c 00  000c 0001`),
  );
  const q = parseDnsMessage(buildQuery([{ name: 'sessy-d1.local', type: RR.A, unicastResponse: true }], 0x1234));
  assert.deepEqual(q.questions, [{ name: 'sessy-d1.local', type: RR.A, class: 1, unicastResponse: true }]);
  assert.equal(q.id, 0x1234);
});

function sessyAnswer(inst = 'sessy-d1a2', serial = 'D1A2B3C4', device = 'Sessy Dongle', address = '192.168.1.50') {
  return {
    id: 0,
    flags: FLAG_RESPONSE | FLAG_AUTHORITATIVE,
    answers: [{ name: '_http._tcp.local', type: RR.PTR, ttl: 120, data: `${inst}._http._tcp.local` }],
    additionals: [
      { name: `${inst}._http._tcp.local`, type: RR.SRV, ttl: 120, cacheFlush: true, data: { priority: 0, weight: 0, port: 80, target: `${inst}.local` } },
      { name: `${inst}._http._tcp.local`, type: RR.TXT, ttl: 120, cacheFlush: true, data: [`serial=${serial}`, `device=${device}`, 'flag'] },
      { name: `${inst}.local`, type: RR.A, ttl: 120, cacheFlush: true, data: address },
    ],
  };
}

test('mdns: encode/parse round trip with name compression', () => {
  const m = sessyAnswer();
  const buf = encodeDnsMessage(m);
  // "_http._tcp.local" is written once; later names point back to it (0xC0 0x0C = offset 12).
  assert.equal(buf.indexOf(Buffer.from('_http')), buf.lastIndexOf(Buffer.from('_http')));
  assert.ok(buf.includes(hex('c00c')));
  const p = parseDnsMessage(buf);
  assert.equal(p.truncated, undefined);
  assert.equal(p.flags, FLAG_RESPONSE | FLAG_AUTHORITATIVE);
  assert.deepEqual(p.answers[0], { name: '_http._tcp.local', type: RR.PTR, class: 1, cacheFlush: false, ttl: 120, data: 'sessy-d1a2._http._tcp.local' });
  assert.deepEqual(p.additionals[0].data, { priority: 0, weight: 0, port: 80, target: 'sessy-d1a2.local' });
  assert.equal(p.additionals[0].cacheFlush, true);
  assert.deepEqual(p.additionals[1].data, ['serial=D1A2B3C4', 'device=Sessy Dongle', 'flag']);
  assert.equal(p.additionals[2].data, '192.168.1.50');
  const g = newGathered();
  gather(g, p, '10.0.0.9');
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

test('mdns: a hand-made packet with a pointer into the middle of a name, AAAA and an unknown type', () => {
  // Answer 1: PTR _http._tcp.local → "sessy-x" + pointer to offset 12 (the question name).
  // Answer 2: A for "sessy-x.local" written as "sessy-x" + pointer to "local" inside the question (offset 12+6+5 = 23).
  const q = '05 5f68747470 04 5f746370 05 6c6f63616c 00 000c 0001';
  const ptr = 'c00c 000c 0001 00000078 000a 07 73657373792d78 c00c';
  const a = '07 73657373792d78 c017 0001 8001 00000078 0004 0a000005';
  const aaaa = 'c038 001c 0001 00000078 0010 fe800000000000000000000000000001';
  const other = 'c00c 0063 0001 00000078 0002 abcd';
  const buf = hex(`0000 8400 0001 0004 0000 0000 ${q} ${ptr} ${a} ${aaaa} ${other}`);
  const p = parseDnsMessage(buf);
  assert.equal(p.truncated, undefined);
  assert.equal(p.answers[0].data, 'sessy-x._http._tcp.local');
  assert.equal(p.answers[1].name, 'sessy-x.local');
  assert.equal(p.answers[1].data, '10.0.0.5');
  assert.equal(p.answers[1].cacheFlush, true);
  assert.equal(p.answers[2].name, 'sessy-x.local');
  assert.equal(p.answers[2].data, 'fe80:0:0:0:0:0:0:1');
  assert.deepEqual([...p.answers[3].data], [0xab, 0xcd]);
});

test('mdns: malformed names never loop or throw (self pointer, forward pointer, reserved label bits, cut packets)', () => {
  const header = (an) => `0000 8400 0000 ${an} 0000 0000`;
  const cases = {
    self: hex(`${header('0001')} c00c 000c 0001 00000078 0002 c00c`),
    forward: hex(`${header('0001')} c020 000c 0001 00000078 0002 c00c`),
    reserved: hex(`${header('0001')} 4041 000c 0001 00000078 0002 c00c`),
    cutRdata: hex(`${header('0001')} 01 61 00 0001 0001 00000078 0004 0a00`),
    shortA: hex(`${header('0001')} 01 61 00 0001 0001 00000078 0002 0a00`),
    srvShort: hex(`${header('0001')} 01 61 00 0021 0001 00000078 0003 000000`),
    txtOverrun: hex(`${header('0001')} 01 61 00 0010 0001 00000078 0002 0561`),
  };
  for (const [k, buf] of Object.entries(cases)) {
    const p = parseDnsMessage(buf);
    assert.ok(p && p.truncated === true && p.answers.length === 0, k);
  }
  assert.equal(parseDnsMessage(Buffer.alloc(5)), null);
  assert.equal(parseDnsMessage(hex('0000 0000 0001 0000 0000 0000 05 5f68')), null, 'cut question');
  // 200 labels through pointers: longer than 255 bytes → rejected, not built.
  let s = '0000 8400 0000 0001 0000 0000 3f' + '61'.repeat(63);
  for (let i = 0; i < 4; i++) s += ' 3f' + '62'.repeat(63);
  assert.equal(parseDnsMessage(hex(s + ' 00 0001 0001 00000078 0004 01020304')).truncated, true);
});

test('mdns: TXT keys and Sessy device typing', () => {
  assert.deepEqual(txtToMap(['Serial=D1', 'serial=X', 'device=Sessy P1 Dongle', '', '=nokey', 'path=/a=b']), {
    serial: 'D1',
    device: 'Sessy P1 Dongle',
    path: '/a=b',
  });
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
  gather(g, parseDnsMessage(encodeDnsMessage({ flags: FLAG_RESPONSE, answers: [{ name: '_HTTP._tcp.local', type: RR.PTR, ttl: 10, data: 'Sessy-P1X._http._tcp.local' }] })), '192.168.1.60');
  gather(g, parseDnsMessage(encodeDnsMessage(sessyAnswer('printer', 'X', 'HP'))), '192.168.1.70');
  gather(g, parseDnsMessage(encodeDnsMessage({ flags: FLAG_RESPONSE, answers: [{ name: '_ipp._tcp.local', type: RR.PTR, ttl: 10, data: 'sessy-other._ipp._tcp.local' }] })), '192.168.1.71');
  let r = sessyResults(g);
  assert.deepEqual(r.map((x) => [x.name, x.address, x.port, x.host, x.serial, x.type]), [['sessy-p1x', '192.168.1.60', 80, '', null, 'unknown']]);
  gather(
    g,
    parseDnsMessage(
      encodeDnsMessage({
        flags: FLAG_RESPONSE,
        answers: [
          { name: 'sessy-p1x._http._tcp.local', type: RR.SRV, ttl: 10, data: { priority: 0, weight: 0, port: 8080, target: 'sessy-p1x.local' } },
          { name: 'sessy-p1x._http._tcp.local', type: RR.TXT, ttl: 10, data: ['serial=P12345', 'device=Sessy P1'] },
          { name: 'sessy-p1x.local', type: RR.A, ttl: 10, data: '192.168.1.61' },
        ],
      }),
    ),
    '192.168.1.60',
  );
  r = sessyResults(g);
  assert.deepEqual(r.map((x) => [x.name, x.address, x.port, x.host, x.serial, x.type]), [['sessy-p1x', '192.168.1.61', 8080, 'sessy-p1x.local', 'P12345', 'p1']]);
});

test('mdns: encoder rejects what DNS cannot carry', () => {
  assert.throws(() => buildQuery([{ name: 'a'.repeat(64) + '.local', type: RR.A }]), /label of 64 bytes/);
  assert.throws(() => encodeDnsMessage({ answers: [{ name: 'x.local', type: RR.A, ttl: 1, data: '1.2.3' }] }), /bad IPv4/);
});

/** xorshift32, deterministic. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

test('mdns fuzz: 50,000 random and mutated packets never throw; results stay well-formed', () => {
  const rand = rng(0x5e55);
  const int = (n) => Math.floor(rand() * n);
  const seeds = [
    encodeDnsMessage(sessyAnswer()),
    encodeDnsMessage(sessyAnswer('sessy-p1', 'P0000001', 'Sessy P1')),
    buildQuery(),
    buildQuery([{ name: 'sessy-d1._http._tcp.local', type: RR.SRV }, { name: 'sessy-d1._http._tcp.local', type: RR.TXT }]),
  ];
  let parsed = 0;
  let nulls = 0;
  let found = 0;
  for (let i = 0; i < 50_000; i++) {
    let buf;
    const mode = i % 5;
    if (mode === 0) {
      buf = Buffer.alloc(int(600));
      for (let j = 0; j < buf.length; j++) buf[j] = int(256);
    } else {
      buf = Buffer.from(seeds[int(seeds.length)]);
      const flips = 1 + int(mode === 4 ? 40 : 6);
      for (let k = 0; k < flips; k++) {
        const at = int(buf.length);
        const what = int(6);
        if (what === 0) buf[at] ^= 1 << int(8);
        else if (what === 1) buf[at] = int(256);
        else if (what === 2) buf[at] = 0xc0 | int(64); // compression pointer high byte
        else if (what === 3) buf = buf.subarray(0, at); // truncation
        else if (what === 4 && buf.length >= 12) buf.writeUInt16BE(int(65536), 2 * int(6)); // header counts / flags
        else buf[at] = int(2) ? 0x3f : 0x00; // long label / root
        if (!buf.length) break;
      }
    }
    let p;
    assert.doesNotThrow(() => (p = parseDnsMessage(buf)));
    if (p === null) {
      nulls++;
      continue;
    }
    parsed++;
    assert.ok(Array.isArray(p.answers) && Array.isArray(p.additionals) && Array.isArray(p.questions));
    for (const r of [...p.answers, ...p.authorities, ...p.additionals]) {
      assert.equal(typeof r.name, 'string');
      assert.ok(r.name.length <= 255 * 4);
      assert.ok(Number.isInteger(r.type) && Number.isInteger(r.ttl) && r.ttl >= 0);
    }
    const g = newGathered();
    gather(g, p, '10.0.0.1');
    for (const d of sessyResults(g)) {
      found++;
      assert.ok(d.name.toLowerCase().startsWith('sessy-'));
      assert.ok(Number.isInteger(d.port) && d.port > 0 && d.port < 65536);
      assert.ok(['battery', 'p1', 'ct', 'unknown'].includes(d.type));
    }
  }
  // The mix exercised both outcomes and found Sessy instances in mutated answers.
  assert.ok(parsed > 10_000 && nulls > 5_000 && found > 1_000, JSON.stringify({ parsed, nulls, found }));
});
