'use strict';
// What the CLI says when a device does not answer, refuses, is unknown or is not what was asked for,
// and `--timeout S` as the total time of a command (issue 11: it applied per attempt, 7.7 s for
// `--timeout 2`).
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { spawn } = require('node:child_process');
const { runCli, freePort, BIN } = require('../helpers');

const servers = [];
after(() => {
  for (const s of servers) s.close();
});

/** A TCP server that accepts connections and never sends a byte. */
function silentServer() {
  return new Promise((resolve) => {
    const sockets = new Set();
    const s = net.createServer((c) => {
      sockets.add(c);
      c.on('error', () => undefined);
    });
    const close = s.close.bind(s);
    s.close = () => {
      for (const c of sockets) c.destroy();
      close();
    };
    servers.push(s);
    s.listen(0, '127.0.0.1', () => resolve(s.address().port));
  });
}

/** Runs the CLI and measures its wall time (the one place a time bound is the point of the test). */
async function timed(args) {
  const t0 = process.hrtime.bigint();
  const r = await runCli(args, { timeoutMs: 30000 });
  return { ...r, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

test('--timeout S is the total time: a device that never answers fails within 2 × S', async () => {
  const port = await silentServer();
  const S = 2;
  for (const args of [
    ['sessy', 'status', '--url', `127.0.0.1:${port}`, '--timeout', String(S)],
    ['ksem', 'read', '--host', '127.0.0.1', '--port', String(port), '--timeout', String(S)],
    ['sofar', 'read', '--tcp', `127.0.0.1:${port}`, '--timeout', String(S)],
  ]) {
    // The process's own start-up (slow on a loaded machine) is not the command's time: measure it
    // with the same command failing on a usage error before it opens any connection.
    const startup = await timed([...args.slice(0, 2), '--timeout', '0']);
    assert.equal(startup.status, 2, startup.stderr);
    const r = await timed(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    const spent = r.seconds - startup.seconds;
    assert.ok(spent < 2 * S, `${args.slice(0, 2).join(' ')} took ${spent.toFixed(2)} s beyond start-up (${startup.seconds.toFixed(2)} s) with --timeout ${S}`);
    assert.match(r.stderr, new RegExp(`^home-energy ${args[0]} ${args[1]}: .*(no answer|no reply|timeout)`), r.stderr);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`), 'names the device');
    assert.equal(r.stdout, '');
  }
});

test('--timeout takes seconds, and a value in milliseconds is a usage error', async () => {
  const r = await runCli(['ksem', 'read', '--host', '127.0.0.1', '--timeout', '2000']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--timeout needs seconds \(0 < S ≤ 600\), got "2000"/);
});

test('a refused port and an unknown host say which host and what to check', async () => {
  const free = await freePort();
  const refused = await runCli(['ksem', 'read', '--host', '127.0.0.1', '--port', String(free), '--timeout', '3']);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, new RegExp(`127\\.0\\.0\\.1:${free}`));
  assert.match(refused.stderr, /ECONNREFUSED|refused/);
  const sessy = await runCli(['sessy', 'status', '--url', `127.0.0.1:${free}`, '--timeout', '3']);
  assert.equal(sessy.status, 1);
  assert.match(sessy.stderr, new RegExp(`127\\.0\\.0\\.1:${free}: ECONNREFUSED: check the address, and that the device is on`));
  const unknown = await runCli(['sessy', 'status', '--url', 'no-such-dongle.invalid', '--timeout', '3']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no-such-dongle\.invalid/);
  assert.match(unknown.stderr, /ENOTFOUND|EAI_AGAIN/);
  assert.match(unknown.stderr, /check the address/);
});

/** Starts `home-energy args…` and resolves with its stderr once it matches `re` (then stops it). */
function stderrUntil(args, re, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no match for ${re} in: ${err}`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (b) => (out += b));
    child.stderr.setEncoding('utf8').on('data', (b) => {
      err += b;
      if (re.test(err)) {
        clearTimeout(t);
        child.kill('SIGINT');
        child.on('close', (status) => resolve({ stderr: err, stdout: out, status }));
      }
    });
  });
}

test('p1 read on a port that sends no telegram says so after --warn-after seconds, and what to check', async () => {
  const port = await silentServer();
  const r = await stderrUntil(['p1', 'read', '--tcp', `127.0.0.1:${port}`, '--warn-after', '1'], /no telegram/);
  assert.match(r.stderr, new RegExp(`no telegram from tcp://127\\.0\\.0\\.1:${port} after 1 s; check that 127\\.0\\.0\\.1:${port} is the P1 gateway's raw telegram port`));
  assert.equal(r.status, 0, 'Ctrl-C ends it normally');
  assert.equal(r.stdout, '');
});

test('p1 read on a refused port names the host and what to check', async () => {
  const free = await freePort();
  const r = await stderrUntil(['p1', 'read', '--tcp', `127.0.0.1:${free}`], /refused/);
  assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${free} refused the connection: check the address and the port`));
});

test('ksem read on a port that is not Modbus TCP (a web server) says so and which port to use', async () => {
  const http = require('node:http');
  const web = http.createServer((req, res) => res.end('<html>router</html>'));
  servers.push(web);
  await new Promise((r) => web.listen(0, '127.0.0.1', r));
  const { port } = web.address();
  // The Modbus request is no HTTP request line: the web server answers "400 Bad Request" (not MBAP).
  const r = await runCli(['ksem', 'read', '--host', '127.0.0.1', '--port', String(port), '--timeout', '3']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is not a Modbus TCP device .*check the port \\(a KSEM serves Modbus TCP on 502, TLS on 802 with --tls\\)`));
});
