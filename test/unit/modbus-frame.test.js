'use strict';
// Modbus frames (lib/transport/modbus/frame.ts): byte vectors from the specifications and the
// Sofar vendor document (shared/protocols/sofar-me3000sp.md §3.6), exception parsing, truncated and
// garbage input, and a seeded fuzz of every decoder (50,000 random inputs, nothing may throw).
const test = require('node:test');
const assert = require('node:assert/strict');
const f = require('../../dist/lib/transport/modbus/frame');
const { mulberry32 } = require('../helpers');

const hex = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b) => b.toString('hex').toUpperCase().match(/../g).join(' ');


const read10 = { kind: 'read', fc: 3, address: 0, count: 10 };

test('RTU request with CRC: 01 03 00 00 00 0A → C5 CD', () => {
  const adu = f.encodeRtuAdu(1, f.encodeRequestPdu(read10));
  assert.equal(toHex(adu), '01 03 00 00 00 0A C5 CD');
  assert.deepEqual(f.decodeRtuAdu(adu), { unit: 1, pdu: hex('03 0000 000A') });
});

test('Sofar vendor frames (FC 0x42 / 0x49) encode byte-exact', () => {
  const custom = (unit, fc, data) => toHex(f.encodeRtuAdu(unit, f.encodeRequestPdu({ kind: 'custom', fc, data: hex(data) })));
  assert.equal(custom(1, 0x49, '2201 2202'), '01 49 22 01 22 02 1E DD');
  assert.equal(custom(0x88, 0x49, '2201 2202'), '88 49 22 01 22 02 01 84');
  assert.equal(custom(1, 0x42, '0100 5555'), '01 42 01 00 55 55 87 56');
  assert.equal(custom(1, 0x42, '0101 01F4'), '01 42 01 01 01 F4 29 EE');
  assert.equal(custom(1, 0x42, '0102 0BB8'), '01 42 01 02 0B B8 DE BB');
  assert.equal(custom(1, 0x41, '0000 0001 0055'), '01 41 00 00 00 01 00 55 41 3C');
});

test('request PDUs for FC 3, 4, 6, 16 and their validation', () => {
  assert.equal(toHex(f.encodeRequestPdu({ kind: 'read', fc: 4, address: 0x10b0, count: 13 })), '04 10 B0 00 0D');
  assert.equal(toHex(f.encodeRequestPdu({ kind: 'write-single', fc: 6, address: 0x1212, value: 0xbeef })), '06 12 12 BE EF');
  assert.equal(toHex(f.encodeRequestPdu({ kind: 'write-multiple', fc: 16, address: 1, values: [0x000a, 0x0102] })), '10 00 01 00 02 04 00 0A 01 02');
  assert.match(f.requestProblem({ kind: 'read', fc: 3, address: 0, count: 126 }), /count 126 is not in 1\.\.125/);
  assert.match(f.requestProblem({ kind: 'read', fc: 3, address: 65535, count: 2 }), /runs past 65535/);
  assert.match(f.requestProblem({ kind: 'write-single', fc: 6, address: 0, value: -1 }), /not a 16-bit word/);
  assert.match(f.requestProblem({ kind: 'write-multiple', fc: 16, address: 0, values: [] }), /1\.\.123/);
  assert.match(f.requestProblem({ kind: 'write-multiple', fc: 16, address: 0, values: [1, 70000] }), /values\[1\] = 70000/);
  assert.match(f.requestProblem({ kind: 'custom', fc: 0x80, data: Buffer.alloc(0) }), /1\.\.127/);
  assert.equal(f.requestProblem(read10), undefined);
  assert.throws(() => f.encodeRequestPdu({ kind: 'read', fc: 3, address: 0, count: 0 }), RangeError);
});

test('MBAP encode and decode, split and joined', () => {
  const adu = f.encodeTcpAdu(0x1234, 7, f.encodeRequestPdu(read10));
  assert.equal(toHex(adu), '12 34 00 00 00 06 07 03 00 00 00 0A');
  const two = Buffer.concat([adu, f.encodeTcpAdu(0x1235, 1, hex('83 02'))]);
  const all = f.decodeTcpAdus(two);
  assert.equal(all.error, undefined);
  assert.deepEqual(all.adus.map((a) => [a.transactionId, a.unit, toHex(a.pdu)]), [
    [0x1234, 7, '03 00 00 00 0A'],
    [0x1235, 1, '83 02'],
  ]);
  assert.equal(all.rest.length, 0);
  const part = f.decodeTcpAdus(two.subarray(0, 15));
  assert.equal(part.adus.length, 1);
  assert.equal(toHex(part.rest), '12 35 00');
  const bad = f.decodeTcpAdus(hex('0001 0001 0006 01 03 0000 000A'));
  assert.match(bad.error, /bad MBAP header \(protocol 1, length 6\)/);
  assert.match(f.decodeTcpAdus(hex('0001 0000 0000 01')).error, /length 0/);
  assert.match(f.decodeTcpAdus(hex('0001 0000 0100 01')).error, /length 256/);
});

test('reply PDUs: words, echoes, exceptions, malformed', () => {
  assert.deepEqual(f.parseReplyPdu({ kind: 'read', fc: 3, address: 0, count: 2 }, hex('03 04 0001 FFFF')), { ok: true, words: [1, 0xffff] });
  assert.deepEqual(f.parseReplyPdu(read10, hex('83 02')), { ok: false, exception: 2 });
  assert.deepEqual(f.parseReplyPdu({ kind: 'custom', fc: 0x42, data: hex('0101 01F4') }, hex('C2 04')), { ok: false, exception: 4 });
  assert.match(f.parseReplyPdu(read10, hex('83 02 00')).malformed, /exception reply of 3 bytes/);
  assert.match(f.parseReplyPdu({ kind: 'read', fc: 3, address: 0, count: 2 }, hex('03 02 0001')).malformed, /expected 4/);
  assert.match(f.parseReplyPdu({ kind: 'read', fc: 3, address: 0, count: 1 }, hex('04 02 0001')).malformed, /reply function code 0x04 to a request with 0x03/);
  assert.match(f.parseReplyPdu(read10, Buffer.alloc(0)).malformed, /empty/);
  const ws = { kind: 'write-single', fc: 6, address: 5, value: 9 };
  assert.deepEqual(f.parseReplyPdu(ws, hex('06 0005 0009')), { ok: true });
  assert.match(f.parseReplyPdu(ws, hex('06 0005 0008')).malformed, /echo/);
  const wm = { kind: 'write-multiple', fc: 16, address: 5, values: [1, 2, 3] };
  assert.deepEqual(f.parseReplyPdu(wm, hex('10 0005 0003')), { ok: true });
  assert.match(f.parseReplyPdu(wm, hex('10 0005 0002')).malformed, /quantity/);
  const c = f.parseReplyPdu({ kind: 'custom', fc: 0x42, data: hex('0101 01F4') }, hex('42 02 0300'));
  assert.deepEqual(c, { ok: true, data: hex('02 0300') });
});

test('server side: request parsing and reply encoding', () => {
  assert.deepEqual(f.parseRequestPdu(hex('03 0200 0045')), { kind: 'read', fc: 3, address: 0x200, count: 69 });
  assert.deepEqual(f.parseRequestPdu(hex('06 0001 0002')), { kind: 'write-single', fc: 6, address: 1, value: 2 });
  assert.deepEqual(f.parseRequestPdu(hex('10 0001 0002 04 000A 0102')), { kind: 'write-multiple', fc: 16, address: 1, values: [10, 258] });
  assert.deepEqual(f.parseRequestPdu(hex('42 0100 5555')), { kind: 'custom', fc: 0x42, data: hex('0100 5555') });
  assert.deepEqual(f.parseRequestPdu(hex('03 0000 0000')), { exception: 3, fc: 3 }, 'count 0');
  assert.deepEqual(f.parseRequestPdu(hex('03 0000')), { exception: 3, fc: 3 }, 'short');
  assert.deepEqual(f.parseRequestPdu(hex('10 0001 0002 03 000A 01')), { exception: 3, fc: 16 }, 'byte count mismatch');
  assert.deepEqual(f.parseRequestPdu(hex('83 00')), { exception: 1, fc: 3 });
  assert.equal(toHex(f.encodeReplyPdu({ kind: 'read', fc: 4, address: 0, count: 2 }, { words: [1, 0xabcd] })), '04 04 00 01 AB CD');
  assert.equal(toHex(f.encodeReplyPdu({ kind: 'write-multiple', fc: 16, address: 7, values: [1, 2] }, {})), '10 00 07 00 02');
  assert.equal(toHex(f.encodeReplyPdu({ kind: 'write-single', fc: 6, address: 7, value: 3 }, {})), '06 00 07 00 03');
  assert.equal(toHex(f.encodeReplyPdu({ kind: 'custom', fc: 0x42, data: hex('') }, { data: hex('02 0000') })), '42 02 00 00');
  assert.equal(toHex(f.encodeExceptionPdu(3, 2)), '83 02');
});

test('RTU: CRC errors and short frames are reported, not thrown', () => {
  const adu = f.encodeRtuAdu(1, hex('03 02 0001'));
  const bad = Buffer.from(adu);
  bad[bad.length - 1] ^= 0xff;
  const r = f.decodeRtuAdu(bad);
  assert.equal(r.error, 'crc');
  assert.match(r.message, /CRC 0x[0-9A-F]{4} in frame, computed 0x[0-9A-F]{4}/);
  assert.equal(f.decodeRtuAdu(hex('01 03 00')).error, 'short');
});

test('RTU reply and request lengths by function code', () => {
  assert.equal(f.rtuReplyLength(3, hex('01')), undefined);
  assert.equal(f.rtuReplyLength(3, hex('01 03')), undefined);
  assert.equal(f.rtuReplyLength(3, hex('01 03 14')), 25);
  assert.equal(f.rtuReplyLength(3, hex('01 83')), 5);
  assert.equal(f.rtuReplyLength(6, hex('01 06')), 8);
  assert.equal(f.rtuReplyLength(16, hex('01 10')), 8);
  assert.equal(f.rtuReplyLength(0x42, hex('01 42 02')), 'silence');
  // Sofar 0x42 reply: 01 42 02 hi lo crc crc → 3 bytes after unit + fc
  const sofar = (pdu) => (pdu.length < 1 ? undefined : 1 + pdu[0]);
  assert.equal(f.rtuReplyLength(0x42, hex('01 42'), sofar), undefined);
  assert.equal(f.rtuReplyLength(0x42, hex('01 42 02'), sofar), 7);
  assert.equal(f.rtuReplyLength(0x42, hex('01 42 02'), () => -1), 'silence', 'nonsense from the callback');
  assert.equal(f.rtuReplyLength(0x42, hex('01 42 02'), () => {
    throw new Error('x');
  }), 'silence');
  assert.equal(f.rtuRequestLength(hex('01 03')), 8);
  assert.equal(f.rtuRequestLength(hex('01 10 00 01 00 02')), undefined);
  assert.equal(f.rtuRequestLength(hex('01 10 00 01 00 02 04')), 13);
  assert.equal(f.rtuRequestLength(hex('01 42')), 'silence');
  assert.equal(f.rtuRequestLength(hex('01 42'), (fc) => (fc === 0x42 ? 4 : undefined)), 8);
});

test('RTU silence: 3.5 character times, at least 2 ms, fixed above 19200 baud', () => {
  assert.equal(f.rtuSilenceMs(9600), 4); // 3.5 × 10 bits / 9600 = 3.65 ms
  assert.equal(f.rtuSilenceMs(9600, 8, 'even', 1), 5); // 11 bits: 4.01 ms
  assert.equal(f.rtuSilenceMs(1200), 30);
  assert.equal(f.rtuSilenceMs(19200), 2);
  assert.equal(f.rtuSilenceMs(57600, 8, 'none', 2), 2);
  assert.equal(f.rtuSilenceMs(0), 2);
});

test('fuzz: 50,000 random inputs to every decoder; nothing throws, results are well-formed', () => {
  const rnd = mulberry32(20240715);
  const requests = [
    read10,
    { kind: 'read', fc: 4, address: 100, count: 1 },
    { kind: 'write-single', fc: 6, address: 1, value: 2 },
    { kind: 'write-multiple', fc: 16, address: 1, values: [1, 2] },
    { kind: 'custom', fc: 0x42, data: hex('0101 01F4') },
  ];
  const sofar = (pdu) => (pdu.length < 1 ? undefined : 1 + pdu[0]);
  const counts = { tcpFrames: 0, tcpErrors: 0, rtuOk: 0, rtuCrc: 0, exceptions: 0, ok: 0 };
  for (let i = 0; i < 50000; i++) {
    const len = Math.floor(rnd() * (i % 10 === 0 ? 300 : 20));
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = Math.floor(rnd() * 256);
    // Bias a share of inputs toward plausible frames so deeper paths run too.
    if (i % 3 === 0 && len >= 7) {
      b.writeUInt16BE(0, 2);
      b.writeUInt16BE(Math.min(len - 6, 2 + Math.floor(rnd() * 20)), 4);
    }
    if (i % 5 === 0 && len >= 4) {
      const c = f.crc16modbus(b, 0, len - 2);
      b[len - 2] = c & 0xff;
      b[len - 1] = c >>> 8;
    }
    const t = f.decodeTcpAdus(b);
    assert.ok(Array.isArray(t.adus) && Buffer.isBuffer(t.rest));
    counts.tcpFrames += t.adus.length;
    if (t.error) counts.tcpErrors++;
    for (const a of t.adus) assert.ok(a.pdu.length >= 1 && a.pdu.length <= 253);
    const r = f.decodeRtuAdu(b);
    if ('error' in r) {
      assert.ok(r.error === 'crc' || r.error === 'short');
      if (r.error === 'crc') counts.rtuCrc++;
    } else counts.rtuOk++;
    const req = requests[i % requests.length];
    const p = f.parseReplyPdu(req, b);
    if (p.ok) counts.ok++;
    else if ('exception' in p) counts.exceptions++;
    else assert.equal(typeof p.malformed, 'string');
    const q = f.parseRequestPdu(b);
    assert.ok(q && (typeof q.kind === 'string' || typeof q.exception === 'number'));
    for (const fc of [3, 6, 16, 0x42]) {
      const n = f.rtuReplyLength(fc, b, fc === 0x42 && i % 2 ? sofar : undefined);
      assert.ok(n === undefined || n === 'silence' || (Number.isInteger(n) && n >= 4 && n <= 260), `rtuReplyLength ${n}`);
    }
    const m = f.rtuRequestLength(b);
    assert.ok(m === undefined || m === 'silence' || (Number.isInteger(m) && m >= 8));
  }
  // The biased inputs reach the accepting paths.
  assert.ok(counts.tcpFrames > 1000, JSON.stringify(counts));
  assert.ok(counts.tcpErrors > 1000, JSON.stringify(counts));
  assert.ok(counts.rtuOk > 5000 && counts.rtuCrc > 10000, JSON.stringify(counts));
  assert.ok(counts.exceptions > 0 && counts.ok > 0, JSON.stringify(counts));
});
