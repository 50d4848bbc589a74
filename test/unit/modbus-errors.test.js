'use strict';
// Errors of the Modbus link carry a machine-readable `code` and a `short` status text (nodes show
// `short`, the CLI maps `code` to its own hint; nobody parses messages). Issue 11: a peer that is
// not Modbus TCP gave "bad MBAP header (protocol 21323 …)"; it now says what that means.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { ModbusClientLink } = require('../../dist/lib/transport/modbus/link');
const { ModbusError, defaultShort } = require('../../dist/lib/transport/modbus/errors');
const { shortError } = require('../../dist/nodes/_shared/device-node');
const { freePort } = require('../helpers');

const FAST = { timeoutMs: 500, backoffMinMs: 5000, backoffMaxMs: 5000 };
const { trackConnections, closeServer } = require('../../dist/lib/transport/net-server');

test('a server that answers with something else (an SSH banner) → code not-modbus, a message that says so', async () => {
  const server = net.createServer((s) => s.end('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'));
  const sockets = trackConnections(server);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const link = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port: server.address().port }, FAST);
  try {
    await assert.rejects(link.readHoldingRegisters(1, 0, 2), (e) => {
      assert.ok(e instanceof ModbusError);
      assert.equal(e.code, 'not-modbus');
      assert.equal(e.short, 'not a Modbus TCP device');
      assert.match(e.message, /this is not a Modbus TCP device \(it answered with something else: bad MBAP header \(protocol \d+/);
      assert.equal(shortError(e), 'not a Modbus TCP device');
      return true;
    });
    // While the link waits to reconnect, requests fail at once with the same diagnosis.
    await assert.rejects(link.readHoldingRegisters(1, 0, 2), (e) => e.code === 'not-modbus' && /next attempt in/.test(e.message));
  } finally {
    await link.close();
    await closeServer(server, sockets);
  }
});

test('a refused port: code disconnected, errno ECONNREFUSED, short "connection refused"', async () => {
  const port = await freePort();
  const link = new ModbusClientLink({ transport: 'tcp', host: '127.0.0.1', port }, FAST);
  try {
    await assert.rejects(link.readHoldingRegisters(1, 0, 2), (e) => e.code === 'disconnected' && e.errno === 'ECONNREFUSED' && e.short === 'connection refused' && /127\.0\.0\.1/.test(e.message));
  } finally {
    await link.close();
  }
});

test('short texts of every code fit a status line', () => {
  for (const code of ['exception', 'timeout', 'crc', 'disconnected', 'queue-full', 'closed', 'invalid', 'malformed', 'not-modbus', 'tls-untrusted', 'tls-fingerprint', 'tls-key']) {
    const s = defaultShort(code);
    assert.ok(s && s.length <= 32, `${code}: ${s}`);
  }
  assert.equal(new ModbusError('exception', 'x', 2).short, 'exception 2');
  assert.equal(new ModbusError('timeout', 'x', undefined, 'timeout, regs 0–65').short, 'timeout, regs 0–65');
});
