'use strict';
/**
 * Unit tests for P1Framer (lib/devices/p1/framer.ts), run against the compiled code in dist/.
 * Telegrams come from shared/data/p1_telegrams (CRLF files with a valid CRC) plus a few built here.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { P1Framer } = require('../../dist/lib/devices/p1/framer');
const { parseTelegram } = require('../../dist/lib/devices/p1/parser');
const { crc16Arc, crcHex } = require('../../dist/lib/devices/p1/crc');
const { mulberry32 } = require('../helpers');

const DATA = path.resolve(__dirname, '../../../shared/data/p1_telegrams');
const read = (rel) => fs.readFileSync(path.join(DATA, rel));

// CRLF telegrams with a valid CRC (each file ends with CR LF after the CRC)
const FILES = [
  'ndokter_dsmr_parser/telegram_v5_two_mbus.txt',
  'ndokter_dsmr_parser/telegram_fluvius_v171_alt.txt',
  'ndokter_dsmr_parser/telegram_v4_2.txt',
  'ndokter_dsmr_parser/telegram_unpadded_crc.txt',
  'ndokter_dsmr_parser/telegram_v2_2.txt',
  'wassasin_dsmr5/kaifa.txt',
];
const TELEGRAMS = FILES.map(read);
/** The frame the framer must return for a telegram: from '/' through the CRC digits (no CR LF). */
const expectedFrame = (buf) => {
  const s = buf.toString('latin1');
  const a = s.indexOf('/');
  const b = s.indexOf('!', a);
  let e = b + 1;
  while (e < s.length && e < b + 5 && /[0-9A-Fa-f]/.test(s[e])) e++;
  return s.slice(a, e);
};
const EXPECTED = TELEGRAMS.map(expectedFrame);
const STREAM = Buffer.concat(TELEGRAMS);

function feed(framer, buf, sizes) {
  const out = [];
  let p = 0;
  let k = 0;
  while (p < buf.length) {
    const n = typeof sizes === 'function' ? sizes(k++) : sizes;
    out.push(...framer.push(buf.subarray(p, p + n)));
    p += n;
  }
  return out;
}

function seal(header, body) {
  const pre = '/' + header + '\r\n\r\n' + body.map((l) => l + '\r\n').join('') + '!';
  return pre + crcHex(crc16Arc(pre)) + '\r\n';
}

test('whole stream in one chunk: one frame per telegram, CRC digits included, CR LF not', () => {
  const f = new P1Framer();
  const frames = f.push(STREAM);
  assert.deepEqual(frames, EXPECTED);
  assert.deepEqual(f.counters, { frames: TELEGRAMS.length, oversize: 0, aborted: 0, garbageBytes: 0 });
  for (const fr of frames) assert.ok(['ok', 'none'].includes(parseTelegram(fr).crc));
  assert.ok(frames[3].endsWith('!B9F'));
  assert.ok(frames[4].endsWith('!'), 'DSMR 2.2: bare "!"');
});

test('byte-at-a-time feeding', () => {
  const f = new P1Framer();
  assert.deepEqual(feed(f, STREAM, 1), EXPECTED);
  assert.equal(f.counters.frames, TELEGRAMS.length);
  assert.equal(f.counters.garbageBytes, 0);
});

test('random chunking (seeded) gives the same frames and counters as one chunk', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rnd = mulberry32(seed);
    const f = new P1Framer();
    const frames = feed(f, STREAM, () => 1 + Math.floor(rnd() * (seed % 3 === 0 ? 8 : 300)));
    assert.deepEqual(frames, EXPECTED, `seed ${seed}`);
    assert.deepEqual(f.counters, { frames: TELEGRAMS.length, oversize: 0, aborted: 0, garbageBytes: 0 });
  }
});

test('string chunks work like bytes (latin1, one char per byte)', () => {
  const f = new P1Framer();
  const s = STREAM.toString('latin1');
  const out = [];
  for (let i = 0; i < s.length; i += 97) out.push(...f.push(s.slice(i, i + 97)));
  assert.deepEqual(out, EXPECTED);
  // plain Uint8Array (not a Buffer)
  assert.deepEqual(new P1Framer().push(new Uint8Array(STREAM)), EXPECTED);
});

test('garbage between telegrams is skipped and counted (CR, LF, NUL not counted)', () => {
  const rnd = mulberry32(42);
  const parts = [];
  let garbage = 0;
  for (const t of TELEGRAMS) {
    const g = Buffer.alloc(1 + Math.floor(rnd() * 50));
    for (let i = 0; i < g.length; i++) {
      let b;
      do b = Math.floor(rnd() * 256);
      while ((b & 0x7f) === 47 || (b & 0x7f) === 13 || (b & 0x7f) === 10 || (b & 0x7f) === 0);
      g[i] = b;
    }
    garbage += g.length;
    parts.push(g, t, Buffer.from('\r\n\0'));
  }
  const buf = Buffer.concat(parts);
  for (const size of [1, 7, buf.length]) {
    const f = new P1Framer();
    assert.deepEqual(feed(f, buf, size), EXPECTED, `chunk ${size}`);
    assert.equal(f.counters.garbageBytes, garbage, `chunk ${size}`);
  }
});

test('0xFF runs (misconfigured reader, EasyMeter padding) are ignored', () => {
  const ff = Buffer.alloc(1000, 0xff);
  const buf = Buffer.concat([ff, TELEGRAMS[0], ff, ff, TELEGRAMS[1], ff]);
  const f = new P1Framer();
  assert.deepEqual(feed(f, buf, 64), EXPECTED.slice(0, 2));
  assert.equal(f.counters.garbageBytes, 4000);
  const esy = read('ndokter_dsmr_parser/telegram_esy5q3db1024_v304.txt');
  const e = new P1Framer().push(esy);
  assert.equal(e.length, 1);
  assert.equal(parseTelegram(e[0]).crc, 'none');
});

test('parity bit set on every byte (7E1 read as 8N1): masked to 7 bits', () => {
  const hi = Buffer.from(STREAM.map((b) => b | 0x80));
  for (const size of [1, 13, hi.length]) {
    const f = new P1Framer();
    const frames = feed(f, hi, size);
    assert.deepEqual(frames, EXPECTED, `chunk ${size}`);
    for (const fr of frames) assert.ok(['ok', 'none'].includes(parseTelegram(fr).crc));
  }
  // real even parity (only some bytes have bit 7 set)
  const even = Buffer.from(
    STREAM.map((b) => {
      let p = 0;
      for (let x = b; x; x >>= 1) p ^= x & 1;
      return p ? b | 0x80 : b;
    }),
  );
  assert.deepEqual(new P1Framer().push(even), EXPECTED);
});

test('LF-only line ends (bridges, copy/paste)', () => {
  const lfOnly = Buffer.from(STREAM.toString('latin1').replace(/\r/g, ''), 'latin1');
  const f = new P1Framer();
  const frames = feed(f, lfOnly, 50);
  assert.deepEqual(
    frames,
    EXPECTED.map((e) => e.replace(/\r/g, '')),
  );
  // the parser accepts their CRC through the CRLF form
  assert.equal(parseTelegram(frames[0]).crc, 'ok');
  // mixed CR / LF / CRLF line ends still frame
  const mixed = STREAM.toString('latin1').replace(/\r\n/g, (m, off) => ['\r\n', '\n', '\r'][off % 3]);
  assert.equal(new P1Framer().push(mixed).length, TELEGRAMS.length);
});

test('truncated telegram then a complete one', () => {
  const t0 = TELEGRAMS[0].toString('latin1');
  // cut at a line end: the next '/' starts a line → the cut frame is aborted, the next one is intact
  const cutAtLine = t0.slice(0, t0.indexOf('1-0:32.7.0'));
  let f = new P1Framer();
  let frames = f.push(cutAtLine + TELEGRAMS[1].toString('latin1'));
  assert.deepEqual(frames, [EXPECTED[1]]);
  assert.equal(f.counters.aborted, 1);
  // cut mid-line right before CR LF is lost: same
  const cutMid = t0.slice(0, t0.indexOf('1-0:32.7.0') + 14) + '\r\n';
  f = new P1Framer();
  frames = feed(f, Buffer.from(cutMid + TELEGRAMS[1].toString('latin1'), 'latin1'), 5);
  assert.deepEqual(frames, [EXPECTED[1]]);
  assert.equal(f.counters.aborted, 1);
  // cut mid-line with the next header glued to it (CR LF lost too): a '/' that does not start a line is data,
  // unless it is followed by an identification prefix (3 letters + digit, `/ISK5`), which is a header
  const glued = t0.slice(0, t0.indexOf('1-0:32.7.0') + 12) + TELEGRAMS[1].toString('latin1') + TELEGRAMS[2].toString('latin1');
  for (const size of [1, 2, 3, 5, 64, glued.length]) {
    f = new P1Framer();
    frames = feed(f, Buffer.from(glued, 'latin1'), size);
    assert.deepEqual(frames, [EXPECTED[1], EXPECTED[2]], `chunk ${size}`);
    assert.equal(f.counters.aborted, 1);
    assert.equal(parseTelegram(frames[0]).crc, 'ok');
  }
  // the truncated line ends inside an open group, as the simulator's truncate() does
  assert.ok(glued.includes('1-0:32.7.0(2' + '/FLU5'));
  // a '/' followed by something else stays data: the frames merge and the merged frame fails its CRC
  const notHeader = t0.slice(0, t0.indexOf('1-0:32.7.0') + 12) + '/12' + TELEGRAMS[1].toString('latin1').slice(1);
  f = new P1Framer();
  frames = f.push(notHeader);
  assert.equal(frames.length, 1);
  assert.equal(parseTelegram(frames[0]).crc, 'bad');
  assert.equal(f.counters.aborted, 0);
});

test("'/' inside a value and '!' inside parentheses are data", () => {
  const t = seal('ISk5\\2MT382-1003', ['0-0:96.13.0(test-/-test)', '0-0:96.13.1(a!b)', '1-0:1.7.0(0000.14*kW)']);
  const f = new P1Framer();
  const frames = feed(f, Buffer.from(t + t, 'latin1'), 3);
  assert.equal(frames.length, 2);
  const p = parseTelegram(frames[0]);
  assert.equal(p.crc, 'ok');
  assert.deepEqual(p.message, { code: 'a!b', text: 'test-/-test' });
  assert.equal(f.counters.aborted, 0);
});

test('CRC digits split across chunks, NUL after the CRC, next telegram without CR LF', () => {
  const a = TELEGRAMS[0].toString('latin1');
  const bang = a.indexOf('!');
  const f = new P1Framer();
  assert.deepEqual(f.push(a.slice(0, bang + 2)), []);
  assert.deepEqual(f.push(a.slice(bang + 2, bang + 4)), []);
  assert.deepEqual(f.push(a.slice(bang + 4, bang + 5)), [EXPECTED[0]], 'complete after the 4th digit');
  // NUL after the digits, and a telegram glued to the CRC of the previous one
  const g = new P1Framer();
  const frames = g.push(EXPECTED[0] + '\0' + EXPECTED[1] + EXPECTED[2] + '\r\n');
  assert.deepEqual(frames, EXPECTED.slice(0, 3));
  assert.equal(g.counters.garbageBytes, 0);
  // unpadded CRC (1-3 digits) completes on the first non-hex byte
  const h = new P1Framer();
  assert.deepEqual(h.push(EXPECTED[3]), []);
  assert.deepEqual(h.push('\r'), [EXPECTED[3]]);
  // bare '!' (DSMR 2.2) too
  const k = new P1Framer();
  assert.deepEqual(k.push(EXPECTED[4]), []);
  assert.deepEqual(k.push('\n'), [EXPECTED[4]]);
});

test('oversize frames are dropped and the framer resyncs on the next telegram', () => {
  const huge = '/ISK5\\2M550T-1012\r\n\r\n' + '0-0:96.13.0(' + '41'.repeat(3000) + ')\r\n';
  for (const size of [1, 100, 100000]) {
    const f = new P1Framer({ maxBytes: 2048 });
    const frames = feed(f, Buffer.from(huge + huge + '!1234\r\n' + EXPECTED[0] + '\r\n', 'latin1'), size);
    assert.deepEqual(frames, [EXPECTED[0]], `chunk ${size}`);
    assert.ok(f.counters.oversize >= 1, `chunk ${size}: oversize counted`);
    assert.equal(f.counters.frames, 1);
  }
  // a single line longer than the cap (no CR/LF at all) is dropped as well
  const f = new P1Framer({ maxBytes: 1500 });
  assert.deepEqual(f.push('/' + 'x'.repeat(5000) + '!ABCD\r\n' + EXPECTED[0]), [EXPECTED[0]]);
  assert.equal(f.counters.oversize, 1);
  assert.equal(f.counters.garbageBytes, 5000 + 1 + 5 - 1500, 'the dropped rest of the line counts as garbage');
  // the same byte by byte
  const g = new P1Framer({ maxBytes: 1500 });
  assert.deepEqual(feed(g, Buffer.from('/' + 'x'.repeat(5000) + '!ABCD\r\n' + EXPECTED[0], 'latin1'), 1), [EXPECTED[0]]);
  assert.deepEqual(g.counters, f.counters);
  // the default cap is 16 KiB
  const big = seal('ISK5\\2M550T-1012', ['0-0:96.13.0(' + '41'.repeat(7000) + ')']);
  assert.equal(new P1Framer().push(big).length, 1);
  assert.equal(new P1Framer().push(seal('ISK5\\2M550T-1012', ['0-0:96.13.0(' + '41'.repeat(8200) + ')'])).length, 0);
});

test('flush() drops a partial frame (reconnect); reset() also zeroes the counters', () => {
  const a = TELEGRAMS[0].toString('latin1');
  const f = new P1Framer();
  assert.deepEqual(f.push(a.slice(0, 300)), []);
  f.flush();
  // without flush the tail would be glued to the head; after flush the tail is garbage until the next '/'
  assert.deepEqual(f.push(a.slice(300)), []);
  assert.ok(f.counters.garbageBytes > 0);
  assert.deepEqual(f.push(TELEGRAMS[1]), [EXPECTED[1]]);
  assert.equal(f.counters.frames, 1);
  f.push(a.slice(0, 100));
  f.reset();
  assert.deepEqual(f.counters, { frames: 0, oversize: 0, aborted: 0, garbageBytes: 0 });
  assert.deepEqual(f.push(TELEGRAMS[2]), [EXPECTED[2]]);
  assert.equal(f.counters.frames, 1);
});

test('odd inputs do not throw', () => {
  const f = new P1Framer({ maxBytes: 3 });
  for (const x of [undefined, null, 5, {}, '', new Uint8Array(0), '!!!!', '////', '/\r/\n/!', Buffer.alloc(10, 0x2f)]) {
    assert.ok(Array.isArray(f.push(x)));
  }
  const g = new P1Framer({ maxBytes: Number.NaN });
  assert.equal(g.push(TELEGRAMS[0]).length, 1);
});
