'use strict';
// Register word decoding/encoding (lib/transport/modbus/data-types.ts): known vectors, word order,
// range errors, and seeded round-trip properties.
const test = require('node:test');
const assert = require('node:assert/strict');
const { decodeValue, encodeValue, wordCount, decodeBigInt, crc16modbus } = require('../../dist/lib/transport/modbus/data-types');
const { mulberry32 } = require('../helpers');


test('wordCount', () => {
  assert.deepEqual(
    ['u16', 's16', 'u32', 's32', 'u64', 's64', 'f32', 'f64'].map((t) => wordCount(t)),
    [1, 1, 2, 2, 4, 4, 2, 4],
  );
  assert.equal(wordCount('string', 8), 8);
  assert.throws(() => wordCount('string'), RangeError);
  assert.throws(() => wordCount('u24'), RangeError);
});

test('known vectors, big-endian word order (ABCD)', () => {
  assert.equal(decodeValue([0x1234], 0, 'u16'), 0x1234);
  assert.equal(decodeValue([0xffff], 0, 's16'), -1);
  assert.equal(decodeValue([0x8000], 0, 's16'), -32768);
  assert.equal(decodeValue([0x7fff], 0, 's16'), 32767);
  assert.equal(decodeValue([0x0001, 0x0002], 0, 'u32'), 65538);
  assert.equal(decodeValue([0xffff, 0xffff], 0, 'u32'), 4294967295);
  assert.equal(decodeValue([0xffff, 0xfffe], 0, 's32'), -2);
  assert.equal(decodeValue([0x8000, 0x0000], 0, 's32'), -2147483648);
  // 1.0f = 0x3F800000, -2.5f = 0xC0200000, 230.5f = 0x43668000
  assert.equal(decodeValue([0x3f80, 0x0000], 0, 'f32'), 1);
  assert.equal(decodeValue([0xc020, 0x0000], 0, 'f32'), -2.5);
  assert.equal(decodeValue([0x4366, 0x8000], 0, 'f32'), 230.5);
  // u64: a KSEM energy counter in 0.1 Wh, 123456789012 = 0x0000_001C_BE99_1A14
  assert.equal(decodeValue([0x0000, 0x001c, 0xbe99, 0x1a14], 0, 'u64'), 123456789012);
  assert.equal(decodeValue([0xffff, 0xffff, 0xffff, 0xffff], 0, 's64'), -1);
  assert.equal(decodeBigInt([0xffff, 0xffff, 0xffff, 0xffff], 0, 'u64'), 0xffffffffffffffffn);
  // 1.0 as a double = 0x3FF0_0000_0000_0000
  assert.equal(decodeValue([0x3ff0, 0, 0, 0], 0, 'f64'), 1);
  // offset
  assert.equal(decodeValue([9, 9, 0x0001, 0x0000], 2, 'u32'), 65536);
});

test('word-swapped order (CDAB)', () => {
  assert.equal(decodeValue([0x0002, 0x0001], 0, 'u32', { wordOrder: 'le' }), 65538);
  assert.equal(decodeValue([0x0000, 0x3f80], 0, 'f32', { wordOrder: 'le' }), 1);
  assert.equal(decodeValue([0x1a14, 0xbe99, 0x001c, 0x0000], 0, 'u64', { wordOrder: 'le' }), 123456789012);
  assert.deepEqual(encodeValue(65538, 'u32', { wordOrder: 'le' }), [0x0002, 0x0001]);
  assert.deepEqual(encodeValue(1, 'f32', { wordOrder: 'le' }), [0x0000, 0x3f80]);
  // 16-bit values and strings are not affected by word order
  assert.equal(decodeValue([0xfffe], 0, 's16', { wordOrder: 'le' }), -2);
  assert.equal(decodeValue([0x4142, 0x4300], 0, 'string', { length: 2, wordOrder: 'le' }), 'ABC');
});

test('strings: two characters per register, trailing NUL and spaces removed, padded on encode', () => {
  assert.equal(decodeValue([0x4b53, 0x454d, 0x2047, 0x3220, 0x0000], 0, 'string', { length: 5 }), 'KSEM G2');
  assert.deepEqual(encodeValue('KSEM', 'string', { length: 3 }), [0x4b53, 0x454d, 0x0000]);
  assert.deepEqual(encodeValue('ABCDEFG', 'string', { length: 2 }), [0x4142, 0x4344], 'cut to length');
  assert.throws(() => decodeValue([0x4142], 0, 'string', {}), RangeError);
});

test('encode vectors and range errors', () => {
  assert.deepEqual(encodeValue(-1, 's16'), [0xffff]);
  assert.deepEqual(encodeValue(-2, 's32'), [0xffff, 0xfffe]);
  assert.deepEqual(encodeValue(123456789012, 'u64'), [0x0000, 0x001c, 0xbe99, 0x1a14]);
  assert.deepEqual(encodeValue(0xffffffffffffffffn, 'u64'), [0xffff, 0xffff, 0xffff, 0xffff]);
  assert.deepEqual(encodeValue(-1, 's64'), [0xffff, 0xffff, 0xffff, 0xffff]);
  assert.deepEqual(encodeValue(230.5, 'f32'), [0x4366, 0x8000]);
  assert.throws(() => encodeValue(65536, 'u16'), /u16 value 65536 is not an integer in 0\.\.65535/);
  assert.throws(() => encodeValue(-1, 'u32'), RangeError);
  assert.throws(() => encodeValue(1.5, 's16'), RangeError);
  assert.throws(() => encodeValue(0x80000000, 's32'), RangeError);
  assert.throws(() => encodeValue(-1, 'u64'), RangeError);
  assert.throws(() => encodeValue(2n ** 63n, 's64'), RangeError);
  assert.throws(() => decodeValue([1], 0, 'u32'), /need 2 register\(s\) at offset 0, have 1/);
});

test('u64 beyond 2^53 is rounded (documented); decodeBigInt is exact', () => {
  const words = encodeValue(2n ** 53n + 1n, 'u64');
  assert.equal(decodeValue(words, 0, 'u64'), 2 ** 53); // nearest double
  assert.equal(decodeBigInt(words, 0, 'u64'), 2n ** 53n + 1n);
});

test('property: encode → decode round-trips every type and word order (20,000 cases)', () => {
  const rnd = mulberry32(7);
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  const gens = {
    u16: () => int(0, 0xffff),
    s16: () => int(-0x8000, 0x7fff),
    u32: () => int(0, 0xffffffff),
    s32: () => int(-0x80000000, 0x7fffffff),
    u64: () => int(0, 2 ** 31) * 2 ** 22 + int(0, 2 ** 22 - 1), // < 2^53, exact
    s64: () => (rnd() < 0.5 ? -1 : 1) * (int(0, 2 ** 30) * 2 ** 22 + int(0, 2 ** 22 - 1)),
    f32: () => Math.fround((rnd() - 0.5) * 10 ** int(-6, 30)),
    f64: () => (rnd() - 0.5) * 10 ** int(-100, 100),
  };
  let n = 0;
  for (let i = 0; i < 2500; i++) {
    for (const [type, gen] of Object.entries(gens)) {
      const order = rnd() < 0.5 ? 'be' : 'le';
      const v = gen();
      const words = encodeValue(v, type, { wordOrder: order });
      assert.equal(words.length, wordCount(type));
      assert.ok(words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff), `${type} words are u16`);
      const pad = int(0, 3);
      const at = [...Array(pad).fill(0xabcd), ...words, 0x1234];
      assert.equal(decodeValue(at, pad, type, { wordOrder: order }), v, `${type} ${order} ${v}`);
      n++;
    }
  }
  assert.equal(n, 20000);
});

test('property: decode → encode reproduces the words (integer types, random words)', () => {
  const rnd = mulberry32(11);
  for (let i = 0; i < 5000; i++) {
    for (const type of ['u16', 's16', 'u32', 's32']) {
      const order = i % 2 ? 'le' : 'be';
      const words = Array.from({ length: wordCount(type) }, () => Math.floor(rnd() * 0x10000));
      assert.deepEqual(encodeValue(decodeValue(words, 0, type, { wordOrder: order }), type, { wordOrder: order }), words);
    }
  }
});

test('CRC-16/MODBUS check value and a frame vector', () => {
  assert.equal(crc16modbus(Buffer.from('123456789')), 0x4b37);
  // 01 03 00 00 00 0A → CRC bytes C5 CD on the wire (low byte first) = 0xCDC5
  assert.equal(crc16modbus(Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a])), 0xcdc5);
  assert.equal(crc16modbus(Buffer.from([0xff, 0x01, 0x03, 0x00, 0x00, 0x00, 0x0a, 0xff]), 1, 7), 0xcdc5, 'sub-range');
});
