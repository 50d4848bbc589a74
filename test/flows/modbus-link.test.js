'use strict';
// modbus-link config node inside a real Node-RED runtime: two config nodes on one endpoint share a
// link, the link talks to a loopback Modbus server, invalid settings are reported, and closing the
// flow releases the link (the last release closes the socket).
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { ModbusServer } = require('../../dist/lib/transport/modbus/server');
const { openLinks } = require('../../dist/lib/transport/modbus/pool');
const { endpointFromConfig, optionsFromConfig, readLinkSettings } = require('../../dist/lib/transport/modbus/config');

const { simCertificate } = require('../../dist/lib/sim/certs');

const linkNode = require(path.join(__dirname, '../../dist/nodes/modbus-link/modbus-link.js'));
helper.init(require.resolve('node-red'));

describe('modbus-link config node', () => {
  let server;
  let port;
  before(async () => {
    await new Promise((r) => helper.startServer(r));
    server = new ModbusServer({ transport: 'tcp', handler: { read: (unit, fc, a, n) => Array.from({ length: n }, (_, i) => unit * 100 + a + i), write: () => undefined } });
    port = await server.listen(0);
  });
  after(async () => {
    await server.close();
    await new Promise((r) => helper.stopServer(r));
  });
  afterEach(() => helper.unload());

  it('shares one link between two config nodes on the same endpoint; the socket closes with the last lease', async () => {
    const cfg = { type: 'modbus-link', transport: 'tcp', host: '127.0.0.1', port: String(port), timeout: '300', version: 1 };
    await helper.load(linkNode, [
      { id: 'l1', ...cfg, name: 'a' },
      { id: 'l2', ...cfg, name: 'b' },
    ]);
    const a = helper.getNode('l1');
    const b = helper.getNode('l2');
    assert.equal(a.problem, null);
    const la = a.acquire();
    const lb = b.acquire();
    const link = la.link;
    assert.equal(lb.link, link);
    assert.equal(link.key, `tcp://127.0.0.1:${port}`);
    assert.equal(a.describe(), `tcp://127.0.0.1:${port}, timeout 300 ms`);
    assert.deepEqual(await link.readHoldingRegisters(3, 10, 2), [310, 311]);
    assert.deepEqual(openLinks().find((l) => l.key === link.key), { key: link.key, refs: 2, connected: true });
    await la.release();
    assert.equal(link.connected, true, 'one lease left: the link stays open');
    await helper.unload();
    assert.equal(link.connected, true, 'the config nodes hold no lease of their own');
    await lb.release();
    assert.equal(openLinks().find((l) => l.key === link.key), undefined);
    assert.equal(link.connected, false);
  });

  it('reports an invalid configuration and refuses to hand out a link', async () => {
    await helper.load(linkNode, [{ id: 'bad', type: 'modbus-link', transport: 'rtu', serialPort: '', version: 1 }]);
    const n = helper.getNode('bad');
    assert.match(n.problem, /config\.serialPort: is required/);
    assert.throws(() => n.acquire(), /invalid Modbus link configuration: config\.serialPort/);
  });

  it('config → endpoint and options, schema rules', () => {
    const check = (c) => {
      const r = readLinkSettings(c);
      return r.ok ? null : r.error;
    };
    assert.deepEqual(endpointFromConfig({ transport: 'tls', host: ' ksem ', tlsTrust: 'fingerprint', tlsFingerprint: 'ab'.repeat(32) }), {
      transport: 'tls',
      host: 'ksem',
      port: 802,
      tls: { fingerprint256: 'ab'.repeat(32) },
    });
    const rtu = readLinkSettings({ transport: 'rtu', serialPort: '/dev/ttyUSB0', baud: '57600', parity: 'none', dataBits: '8', stopBits: '2' });
    assert.deepEqual(rtu.endpoint, { transport: 'rtu', path: '/dev/ttyUSB0', baudRate: 57600, parity: 'none', dataBits: 8, stopBits: 2 });
    assert.deepEqual(readLinkSettings({ transport: 'tcp', host: 'x', timeout: '1500', interRequestDelay: '', connectDelay: 0, maxQueue: '16' }).options, { timeoutMs: 1500, connectDelayMs: 0, maxQueue: 16 });
    assert.deepEqual(optionsFromConfig({ transport: 'tcp' }), {});
    assert.equal(check({ transport: 'tcp', host: '10.0.0.5', port: 502, version: 1 }), null);
    assert.match(check({ transport: 'tcp', host: ' ' }), /config\.host: is required/);
    assert.match(check({ transport: 'tls', host: 'x', tlsTrust: 'fingerprint', tlsFingerprint: 'abc' }), /config\.tlsFingerprint/);
    assert.match(check({ transport: 'tls', host: 'x', tlsTrust: 'ca', tlsCa: 'not a pem' }), /config\.tlsCa/);
    assert.match(check({ transport: 'serial' }), /config\.transport: must be one of "tcp", "tls", "rtu", "rtu-over-tcp"/);
    assert.match(check({ transport: 'tcp', host: 'x', port: 70000 }), /config\.port/);
    assert.match(check({ transport: 'tcp', host: 'x', port: '0x1f6' }), /config\.port/, 'hex is not a port number');
});

  it('mutual TLS from the editor: a client key stored as a credential (line breaks lost on the way) connects; a bad key is a config error that says why', async () => {
    const { key, cert, fingerprint256 } = simCertificate();
    // The server demands a client certificate signed by (here: equal to) the simulator certificate.
    const tlsServer = new ModbusServer({ transport: 'tls', tls: { key, cert, ca: cert, requestCert: true }, handler: { read: (u, fc, a, n) => Array.from({ length: n }, (_, i) => a + i), write: () => undefined } });
    const tlsPort = await tlsServer.listen(0);
    try {
      const cfg = { type: 'modbus-link', transport: 'tls', host: '127.0.0.1', port: tlsPort, tlsTrust: 'fingerprint', tlsFingerprint: fingerprint256, tlsCert: cert, timeout: 1000, version: 1 };
      await helper.load(linkNode, [{ id: 'mt', ...cfg }], { mt: { tlsKey: key.replace(/\n/g, '') } });
      const n = helper.getNode('mt');
      assert.equal(n.problem, null);
      const lease = n.acquire();
      try {
        assert.deepEqual(await lease.link.readHoldingRegisters(1, 5, 2), [5, 6]);
      } finally {
        await lease.release();
      }
      await helper.unload();
      await helper.load(linkNode, [{ id: 'mt', ...cfg }], { mt: { tlsKey: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' } });
      assert.equal(helper.getNode('mt').problem, 'client key: not a PEM private key (no BEGIN … PRIVATE KEY line)');
      assert.throws(() => helper.getNode('mt').acquire(), /invalid Modbus link configuration: client key: not a PEM private key/);
    } finally {
      await tlsServer.close();
    }
  });
});
