'use strict';
// The `home-energy p1 …` commands as a user runs them: a child process, files and stdin, exit codes.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { V1, V7, V1_BAD_CRC } = require('../fixtures/telegrams');
const { runCli, jsonLines: lines } = require('../helpers');

const SHARED = path.resolve(__dirname, '../../../shared/data/p1_telegrams');
const run = (args, input) => runCli(args, { input, timeoutMs: 30000 });

test('p1 parse reads stdin with several telegrams and garbage between them', async () => {
  const r = await run(['p1', 'parse'], 'noise\r\n' + V1 + '\xff\xff' + V7);
  assert.equal(r.status, 0, r.stderr);
  const [a, b] = lines(r.stdout);
  assert.equal(a.crcValid, true);
  assert.equal(a.version, '5.0');
  assert.equal(a.timestamp, '2019-12-29T22:37:14.000Z');
  assert.equal(a.power, 1765);
  assert.deepEqual(a.phases.map((p) => [p.voltage, p.current, p.power]), [[236.9, 0, 132], [235.1, 0, 37], [234.9, 6, 1596]]);
  assert.equal(b.crcValid, true);
  assert.deepEqual(b.capacity.history[1], { month: '2023-08-31T22:00:00.000Z', peakW: 1862, at: '2023-08-31T16:15:00.000Z' });
  assert.equal(b.capacity.currentAverageW, 52);
  assert.equal(b.capacity.monthPeakW, 3064);
  assert.deepEqual(b.gas, { m3: 92.287, at: '2023-11-02T11:10:02.000Z' });
  assert.deepEqual(b.water, { m3: 8.579, at: '2023-11-02T11:15:32.000Z' });
});

test('p1 parse exits 1 when a telegram fails its CRC, and still prints it', async () => {
  const r = await run(['p1', 'parse'], V1 + V1_BAD_CRC);
  assert.equal(r.status, 1);
  const out = lines(r.stdout);
  assert.deepEqual(out.map((o) => o.crcValid), [true, false]);
  assert.equal(out[1].crc, 'bad');
});

test('p1 parse on a file; no telegram at all is exit 1 with a message', async () => {
  const f = path.join(os.tmpdir(), `he-p1-${process.pid}.txt`);
  fs.writeFileSync(f, V7);
  try {
    const r = await run(['p1', 'parse', f]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(lines(r.stdout)[0].protocol, 'e-MUCS 50217');
  } finally {
    fs.rmSync(f);
  }
  const none = await run(['p1', 'parse'], 'hello');
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no telegram found/);
  const missing = await run(['p1', 'parse', '/nonexistent/file']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read/);
});

test('p1 parse over every shared telegram file: exit status follows CRC validity', { skip: !fs.existsSync(SHARED) && 'shared data not present' }, async () => {
  const files = [];
  for (const d of fs.readdirSync(SHARED, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of fs.readdirSync(path.join(SHARED, d.name))) if (f.endsWith('.txt')) files.push(path.join(SHARED, d.name, f));
  }
  assert.ok(files.length >= 40);
  for (const f of files) {
    const r = await run(['p1', 'parse', f]);
    if (r.status === 0) assert.ok(lines(r.stdout).every((o) => o.crcValid === true), f);
    else {
      assert.equal(r.status, 1, `${f}: ${r.stderr}`);
      const out = r.stdout.trim() ? lines(r.stdout) : [];
      assert.ok(out.length === 0 || out.some((o) => o.crcValid === false), f);
    }
  }
});

test('p1 read --tcp prints normalized readings from a live gateway', async () => {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.write(V1);
    s.write(V1_BAD_CRC);
    s.write(V1);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const r = await run(['p1', 'read', '--tcp', `127.0.0.1:${server.address().port}`, '--count', '2']);
    assert.equal(r.status, 0, r.stderr);
    const readings = lines(r.stdout);
    assert.equal(readings.length, 2);
    assert.equal(readings[0].kind, 'meter');
    assert.equal(readings[0].power, 1765);
    assert.match(r.stderr, /telegram rejected: CRC mismatch/);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('usage errors exit 2', async () => {
  assert.equal((await run(['p1', 'read'])).status, 2);
  assert.equal((await run(['p1', 'read', '--tcp', 'nohostport'])).status, 2);
  assert.equal((await run(['bogus'])).status, 2);
  const typo = await run(['p1', 'read', '--tpc', '127.0.0.1:23']);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /unknown option --tpc/);
  const noValue = await run(['p1', 'read', '--tcp']);
  assert.equal(noValue.status, 2);
  assert.match(noValue.stderr, /--tcp needs a value/);
  assert.equal((await run(['help'])).status, 0);
});
