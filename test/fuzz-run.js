#!/usr/bin/env node
'use strict';
/**
 * Deterministic fuzzer for the P1 telegram parser and framer (compiled code in dist/).
 *
 *   node test/fuzz-run.js [cases] [--seed N]        (or FUZZ_CASES / FUZZ_SEED; default 2,000,000 cases)
 *   npm run fuzz                                     (builds first)
 *
 * Inputs: random byte strings (raw and drawn from the DSMR alphabet), and mutations of the valid telegrams in
 * shared/data/p1_telegrams (bit flips, byte set/insert/delete, digit changes, truncation, duplicated / swapped /
 * deleted lines, CR removal, junk around, two telegrams spliced, a cut telegram with the next one glued to it,
 * parity bits). Properties checked for every case:
 *  1. parseTelegram and P1Framer never throw (and report no internal error);
 *  2. crc === 'ok' only when the CRC really matches: some '/'…'!' span of the 7-bit input has a CRC-16/ARC
 *     (crc.ts crc16Arc, independent of the parser's own loop) equal to the digits right after that '!', on the
 *     bytes as given or — for a span without any CR — on its LF→CRLF form;
 *  3. an input whose 7-bit text equals an original valid telegram is accepted (crc 'ok');
 *  4. crcValid === (crc is 'ok' or 'none');
 *  5. the framer gives the same frames and counters whether a case is pushed whole or in random chunks
 *     (fast path vs. byte-by-byte path), every frame starts with '/' and respects maxBytes, and every frame
 *     satisfies property 2;
 *  6. a valid telegram glued to a telegram cut off at any point comes out of the framer whole (headers of the
 *     §2.3 form `XXXd…`; a '/' in the middle of a line is otherwise data).
 * Case i is generated from its own PRNG state (seed, i), so a failure is reproducible from its number.
 * Exit code 1 when any case fails. Also used by test/unit/p1-fuzz.test.js (runFuzz).
 */
const fs = require('node:fs');
const path = require('node:path');
const { mulberry32 } = require('./helpers');

const DIST = path.resolve(__dirname, '../dist/lib/devices/p1');
const DATA = path.resolve(__dirname, '../../shared/data/p1_telegrams');

function loadModules() {
  const { parseTelegram } = require(path.join(DIST, 'parser'));
  const { P1Framer } = require(path.join(DIST, 'framer'));
  const { crc16Arc } = require(path.join(DIST, 'crc'));
  return { parseTelegram, P1Framer, crc16Arc };
}

/** Valid telegrams (CRC ok as given, or ok after LF→CRLF) from the shared data set, as Buffers. */
function loadCorpus(parseTelegram) {
  const out = [];
  if (!fs.existsSync(DATA)) return out;
  for (const dir of fs.readdirSync(DATA).sort()) {
    const full = path.join(DATA, dir);
    if (!fs.statSync(full).isDirectory()) continue;
    for (const f of fs.readdirSync(full).sort()) {
      if (!f.endsWith('.txt')) continue;
      const bytes = fs.readFileSync(path.join(full, f));
      const text = bytes.toString('latin1');
      const s = text.indexOf('/');
      const t = parseTelegram(bytes);
      if (t.crc !== 'ok' || s < 0) continue;
      // the telegram itself (from '/' through the CRC line), CRLF form and, for LF files, the LF form too
      const bang = text.indexOf('!' + t.crcGiven, s);
      const body = text.slice(s, bang + 1 + t.crcGiven.length) + (text.includes('\r\n') ? '\r\n' : '\n');
      if (body.includes('\r')) out.push(Buffer.from(body, 'latin1'));
      else {
        out.push(Buffer.from(body, 'latin1'));
        out.push(Buffer.from(body.replace(/\n/g, '\r\n'), 'latin1'));
      }
    }
  }
  return out;
}

const MAX_BYTES = [48, 300, 1024, 16384];

const ALPHABET = Buffer.from('0123456789012345.:-*()()!/\r\n\r\n\r\nSWkWhAVm3ABCDEF \\\0', 'latin1');

function mask(buf) {
  const b = Buffer.allocUnsafe(buf.length);
  for (let i = 0; i < buf.length; i++) b[i] = buf[i] & 0x7f;
  return b.toString('latin1');
}

function lineRanges(buf) {
  const r = [];
  let s = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 10) {
      r.push([s, i + 1]);
      s = i + 1;
    }
  }
  if (s < buf.length) r.push([s, buf.length]);
  return r;
}

/** One mutation of `src`, chosen by `rnd`. Returns [kind, Buffer]. */
function mutate(src, rnd, corpus) {
  const int = (n) => Math.floor(rnd() * n);
  const n = src.length;
  const op = int(16);
  switch (op) {
    case 0: {
      const b = Buffer.from(src);
      const flips = 1 + int(3);
      for (let k = 0; k < flips; k++) b[int(n)] ^= 1 << int(7);
      return ['flip', b];
    }
    case 1: {
      const b = Buffer.from(src);
      b[int(n)] = int(256);
      return ['set', b];
    }
    case 2: {
      const at = int(n + 1);
      const ins = Buffer.from([rnd() < 0.5 ? ALPHABET[int(ALPHABET.length)] : int(256)]);
      return ['insert', Buffer.concat([src.subarray(0, at), ins, src.subarray(at)])];
    }
    case 3: {
      const at = int(n);
      const len = 1 + int(3);
      return ['delete', Buffer.concat([src.subarray(0, at), src.subarray(Math.min(n, at + len))])];
    }
    case 4: {
      // change one digit into another digit (keeps the syntax valid)
      const b = Buffer.from(src);
      for (let tries = 0; tries < 20; tries++) {
        const i = int(n);
        if (b[i] >= 48 && b[i] <= 57) {
          b[i] = 48 + ((b[i] - 48 + 1 + int(9)) % 10);
          break;
        }
      }
      return ['digit', b];
    }
    case 5:
      return ['truncate', src.subarray(0, int(n))];
    case 6: {
      const lines = lineRanges(src);
      const [a, e] = lines[int(lines.length)];
      const at = lines[int(lines.length)][0];
      return ['dupline', Buffer.concat([src.subarray(0, at), src.subarray(a, e), src.subarray(at)])];
    }
    case 7: {
      const lines = lineRanges(src).map(([a, e]) => src.subarray(a, e));
      const i = int(lines.length);
      const j = int(lines.length);
      const t = lines[i];
      lines[i] = lines[j];
      lines[j] = t;
      return ['swaplines', Buffer.concat(lines)];
    }
    case 8: {
      const lines = lineRanges(src).map(([a, e]) => src.subarray(a, e));
      lines.splice(int(lines.length), 1);
      return ['delline', Buffer.concat(lines)];
    }
    case 9: {
      // drop every CR (LF-only copy: must still verify through the CRLF form) or just one (must not)
      const text = src.toString('latin1');
      if (rnd() < 0.5) return ['lfonly', Buffer.from(text.replace(/\r/g, ''), 'latin1')];
      const crs = [];
      for (let i = 0; i < n; i++) if (src[i] === 13) crs.push(i);
      if (crs.length === 0) return ['onecr', Buffer.from(src)];
      const at = crs[int(crs.length)];
      return ['onecr', Buffer.concat([src.subarray(0, at), src.subarray(at + 1)])];
    }
    case 10: {
      const junk = Buffer.alloc(int(40));
      for (let i = 0; i < junk.length; i++) junk[i] = rnd() < 0.5 ? 0xff : int(256);
      return ['junk', rnd() < 0.5 ? Buffer.concat([junk, src]) : Buffer.concat([src, junk])];
    }
    case 11: {
      // splice: the head of this telegram + the tail of another one
      const other = corpus[int(corpus.length)];
      return ['splice', Buffer.concat([src.subarray(0, int(n)), other.subarray(int(other.length))])];
    }
    case 12: {
      // parity bit on random bytes (7E1 read as 8N1): the 7-bit text is unchanged, so it must stay valid
      const b = Buffer.from(src);
      for (let i = 0; i < n; i++) if (rnd() < 0.3) b[i] |= 0x80;
      return ['parity', b];
    }
    case 13: {
      // several mutations at once
      let b = src;
      const k = 2 + int(3);
      for (let q = 0; q < k; q++) {
        const [kind, m] = mutate(b, rnd, corpus);
        if (kind !== 'multi' && m.length > 0) b = m;
      }
      return ['multi', b];
    }
    case 14: {
      // telegram cut off anywhere, the next whole telegram glued to it (a header in the middle of a line)
      const other = corpus[int(corpus.length)];
      return ['glue', Buffer.concat([src.subarray(0, int(n)), other]), other];
    }
    default:
      return ['identity', Buffer.from(src)];
  }
}

function randomBytes(rnd) {
  const int = (n) => Math.floor(rnd() * n);
  const len = int(400);
  const b = Buffer.alloc(len);
  const dsmrish = rnd() < 0.7;
  for (let i = 0; i < len; i++) b[i] = dsmrish ? ALPHABET[int(ALPHABET.length)] : int(256);
  if (len > 2 && rnd() < 0.5) b[0] = 47;
  return b;
}

/**
 * Property 2: crc 'ok' must be backed by a real CRC match on some '/'…'!' span of the 7-bit text, followed by
 * the reported digits (as given, or via the LF→CRLF form when the span holds no CR at all).
 */
function genuineOk(text, t, crc16Arc) {
  if (t.crcGiven === null) return false;
  const given = parseInt(t.crcGiven, 16);
  for (let a = text.indexOf('/'); a >= 0; a = text.indexOf('/', a + 1)) {
    for (let b = text.indexOf('!', a + 1); b >= 0; b = text.indexOf('!', b + 1)) {
      if (text.substr(b + 1, t.crcGiven.length) !== t.crcGiven) continue;
      const span = text.slice(a, b + 1);
      if (crc16Arc(span) === given) return true;
      if (!span.includes('\r') && span.includes('\n') && crc16Arc(span.replace(/\n/g, '\r\n')) === given) return true;
    }
  }
  return false;
}

/**
 * Runs `cases` fuzz cases starting at case number `first`. Returns { cases, failed, failures, byKind, accepted }:
 * `failed` counts every failing check, `failures` keeps the details of the first `maxFailures`.
 */
function runFuzz({ cases, seed = 1, first = 0, maxFailures = 20, modules, corpus } = {}) {
  const m = modules || loadModules();
  const { parseTelegram, P1Framer, crc16Arc } = m;
  const valid = corpus || loadCorpus(parseTelegram);
  if (valid.length === 0) throw new Error('no valid telegrams found in ' + DATA);
  const originals = new Set(valid.map(mask));
  const failures = [];
  let failed = 0;
  const byKind = {};
  let accepted = 0;
  const fail = (i, kind, msg, input) => {
    failed++;
    if (failures.length < maxFailures) failures.push({ case: i, kind, msg, input: input.toString('latin1').slice(0, 300) });
  };
  // original telegrams stay valid
  for (const v of valid) {
    const t = parseTelegram(v);
    if (t.crc !== 'ok') fail(-1, 'original', `original not valid: ${t.crc}`, v);
  }
  for (let i = first; i < first + cases; i++) {
    const rnd = mulberry32((seed * 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b));
    let kind;
    let input;
    let glued = null;
    if (rnd() < 0.2) {
      kind = 'random';
      input = randomBytes(rnd);
    } else {
      const src = valid[Math.floor(rnd() * valid.length)];
      [kind, input, glued] = mutate(src, rnd, valid);
    }
    byKind[kind] = (byKind[kind] || 0) + 1;
    const text = mask(input);
    // 1. parser never throws
    let t;
    try {
      t = parseTelegram(rnd() < 0.5 ? input : input.toString('latin1'));
    } catch (e) {
      fail(i, kind, 'parseTelegram threw: ' + e.message, input);
      continue;
    }
    if (t.warnings.some((w) => w.startsWith('internal error'))) fail(i, kind, 'internal error: ' + t.warnings.join('; '), input);
    // 4. crcValid consistent
    if (t.crcValid !== (t.crc === 'ok' || t.crc === 'none')) fail(i, kind, `crcValid ${t.crcValid} with crc ${t.crc}`, input);
    if (!/^[0-9A-F]{4}$/.test(t.crcComputed)) fail(i, kind, 'crcComputed ' + t.crcComputed, input);
    // 2. no false acceptance
    if (t.crc === 'ok') {
      accepted++;
      if (!genuineOk(text, t, crc16Arc)) fail(i, kind, 'accepted with crc ok but no span matches ' + t.crcGiven, input);
    }
    // 3. unchanged (7-bit) telegram stays valid
    if (originals.has(text) && t.crc !== 'ok') fail(i, kind, `original text rejected: ${t.crc}`, input);
    // 5. framer: whole vs random chunks, then the frames themselves (small caps exercise the oversize path)
    const maxBytes = MAX_BYTES[Math.floor(rnd() * MAX_BYTES.length)];
    try {
      const whole = new P1Framer({ maxBytes });
      const pieces = new P1Framer({ maxBytes });
      const tailBytes = Buffer.from('\r\n');
      const fa = whole.push(input).concat(whole.push(tailBytes));
      const fb = [];
      const single = rnd() < 0.2;
      for (let p = 0; p < input.length; ) {
        const step = single ? 1 : 1 + Math.floor(rnd() * 64);
        const chunk = input.subarray(p, p + step);
        fb.push(...pieces.push(rnd() < 0.3 ? chunk.toString('latin1') : chunk));
        p += step;
      }
      fb.push(...pieces.push(tailBytes));
      if (fa.length !== fb.length || fa.some((f, k) => f !== fb[k])) {
        fail(i, kind, `framer: whole gave ${fa.length} frame(s), chunked ${fb.length}`, input);
      } else if (JSON.stringify(whole.counters) !== JSON.stringify(pieces.counters)) {
        fail(i, kind, `framer counters differ: ${JSON.stringify(whole.counters)} vs ${JSON.stringify(pieces.counters)}`, input);
      }
      // 6. a telegram glued to a cut-off one is recovered whole (the cut one never hides it) — when its header
      //    has the §2.3 form (3 letters + digit): `/NWA-WARMTELINK` glued mid-line cannot be told from data
      if (kind === 'glue' && maxBytes >= 16384 && /^\/[A-Za-z]{3}\d/.test(glued.toString('latin1'))) {
        const want = glued.toString('latin1').replace(/\r?\n$/, '');
        if (fa[fa.length - 1] !== want) fail(i, kind, 'glued telegram not recovered', input);
      }
      for (const f of fa) {
        if (f.charCodeAt(0) !== 47 || f.length > maxBytes) fail(i, kind, 'bad frame shape', input);
        const ft = parseTelegram(f);
        if (ft.crc === 'ok' && !genuineOk(f, ft, crc16Arc)) fail(i, kind, 'framed: accepted without a real match', input);
        if (ft.crc === 'ok') accepted++;
      }
    } catch (e) {
      fail(i, kind, 'framer threw: ' + e.message, input);
    }
  }
  return { cases, failed, failures, byKind, accepted, corpus: valid.length };
}

function main() {
  const args = process.argv.slice(2);
  let cases = Number(process.env.FUZZ_CASES) || 2000000;
  let seed = Number(process.env.FUZZ_SEED) || 1;
  for (let k = 0; k < args.length; k++) {
    if (args[k] === '--seed') seed = Number(args[++k]);
    else if (/^\d+$/.test(args[k])) cases = Number(args[k]);
  }
  const modules = loadModules();
  const corpus = loadCorpus(modules.parseTelegram);
  const batch = 50000;
  const t0 = Date.now();
  let done = 0;
  const all = [];
  let failed = 0;
  const kinds = {};
  while (done < cases) {
    const n = Math.min(batch, cases - done);
    const r = runFuzz({ cases: n, seed, first: done, modules, corpus, maxFailures: 20 });
    for (const [k, v] of Object.entries(r.byKind)) kinds[k] = (kinds[k] || 0) + v;
    failed += r.failed;
    for (const f of r.failures) if (all.length < 20) all.push(f);
    done += n;
    const s = (Date.now() - t0) / 1000;
    // Live progress on a terminal only; logs get the summary lines below.
    if (process.stdout.isTTY) process.stdout.write(`\r${done.toLocaleString('en')} cases, ${Math.round(done / s).toLocaleString('en')} cases/s, ${failed} failure(s)   `);
  }
  const secs = (Date.now() - t0) / 1000;
  if (process.stdout.isTTY) process.stdout.write('\n');
  console.log(`seed ${seed}: ${cases.toLocaleString('en')} cases in ${secs.toFixed(1)} s (${Math.round(cases / secs).toLocaleString('en')} cases/s), ${corpus.length} valid telegrams mutated`);
  console.log('by kind: ' + Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(', '));
  console.log(`failures: ${failed}`);
  for (const f of all) console.log(`  case ${f.case} (${f.kind}): ${f.msg}\n    input: ${JSON.stringify(f.input)}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

module.exports = { runFuzz, mulberry32, loadCorpus, genuineOk, mutate };

if (require.main === module) main();
