'use strict';
/**
 * Deterministic fuzzing of the P1 parser and framer: 100,000 cases in total (seeded mulberry32, no deps).
 * The generator and the properties live in test/fuzz-run.js (also the standalone `npm run fuzz`, default
 * 2,000,000 cases); see its header for the list. In short: parseTelegram / P1Framer never throw; a mutated
 * telegram is only accepted with crc 'ok' when the CRC-16/ARC of a real '/'…'!' span (or its LF→CRLF form)
 * equals the given digits; unchanged telegrams stay valid; the framer gives identical frames and counters for
 * whole and chunked input.
 */
const test = require('node:test');
const assert = require('node:assert/strict');

const { runFuzz, loadCorpus, mulberry32, genuineOk } = require('../fuzz-run');
const { parseTelegram, parseTimestamp } = require('../../dist/lib/devices/p1/parser');
const { P1Framer } = require('../../dist/lib/devices/p1/framer');
const { crc16Arc } = require('../../dist/lib/devices/p1/crc');

const modules = { parseTelegram, P1Framer, crc16Arc };
const corpus = loadCorpus(parseTelegram);
const SHARDS = 4;
const PER_SHARD = 25000; // 4 × 25,000 = 100,000 cases

test('corpus: the valid telegrams of the shared data set are found and accepted', () => {
  assert.ok(corpus.length >= 15, `corpus has ${corpus.length} telegrams`);
  for (const c of corpus) {
    const t = parseTelegram(c);
    assert.equal(t.crc, 'ok');
    assert.ok(genuineOk(c.toString('latin1'), t, crc16Arc));
  }
});

for (let shard = 0; shard < SHARDS; shard++) {
  test(`fuzz shard ${shard + 1}/${SHARDS}: ${PER_SHARD} cases (mutations + random bytes)`, () => {
    const r = runFuzz({ cases: PER_SHARD, seed: 20240601, first: shard * PER_SHARD, modules, corpus, maxFailures: 5 });
    assert.equal(r.cases, PER_SHARD);
    assert.deepEqual(r.failures, [], `${r.failed} failing check(s)`);
    assert.equal(r.failed, 0);
    // sanity: the generator really produced both kinds and some inputs were accepted
    assert.ok(r.byKind.random > PER_SHARD * 0.1);
    assert.ok(r.byKind.flip > 0 && r.byKind.swaplines > 0 && r.byKind.truncate > 0 && r.byKind.lfonly > 0);
    assert.ok(r.accepted > 0);
  });
}

test('fuzz: parseTimestamp never throws and returns null or an ISO string', () => {
  const rnd = mulberry32(77);
  const chars = '0123456789SWsw ABCDEF';
  for (let i = 0; i < 20000; i++) {
    const len = [12, 13, 24, Math.floor(rnd() * 30)][i % 4];
    let s = '';
    for (let k = 0; k < len; k++) s += chars[Math.floor(rnd() * (i % 3 === 0 ? 10 : chars.length))];
    const r = parseTimestamp(s);
    assert.ok(r === null || /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(r), `${s} → ${r}`);
    if (r !== null && len === 13) {
      // round trip: UTC + offset of the flag gives back the wall-clock digits
      const off = s[12] === 'S' || s[12] === 's' ? 2 : 1;
      const local = new Date(Date.parse(r) + off * 3600000).toISOString();
      const digits = local.slice(2, 4) + local.slice(5, 7) + local.slice(8, 10) + local.slice(11, 13) + local.slice(14, 16) + local.slice(17, 19);
      assert.equal(digits, s.slice(0, 12));
    }
  }
});
