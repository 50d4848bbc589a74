'use strict';
// Issue 11 defect 8: the TLS client key was an <input type="password">, which drops the PEM's line
// breaks, so mutual TLS could not be set up from the editor and the error gave no hint. The key is
// now a multi-line credential; a key that lost its line breaks anyway is repaired, and a key that
// does not parse says what is wrong with it.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { normalizePem, clientKeyProblem, clientCertProblem, clientPairProblem } = require('../../dist/lib/transport/modbus/pem');
const { readLinkSettings } = require('../../dist/lib/transport/modbus/config');
const { endpointProblem } = require('../../dist/lib/transport/modbus/link');
const { simCertificate } = require('../../dist/lib/sim/certs');

const { key, cert } = simCertificate();
/** What a one-line password field makes of a PEM: the line breaks are gone. */
const flattened = key.replace(/\r?\n/g, '');

test('a key that lost its line breaks (removed or turned into spaces) parses again after normalizePem', () => {
  assert.throws(() => crypto.createPrivateKey(flattened), 'a flattened PEM does not parse as it is');
  for (const broken of [flattened, key.replace(/\n/g, ' '), key.replace(/\n/g, '\r\n')]) {
    const fixed = normalizePem(broken);
    assert.equal(fixed, key.endsWith('\n') ? key : key + '\n');
    assert.equal(clientKeyProblem(broken), undefined);
    assert.equal(crypto.createPrivateKey(fixed).asymmetricKeyType, 'rsa');
  }
  assert.equal(normalizePem(cert.replace(/\n/g, '')), cert.endsWith('\n') ? cert : cert + '\n');
  assert.equal(clientPairProblem(cert.replace(/\n/g, ' '), flattened), undefined, 'a flattened pair works as a pair');
});

test('keys that cannot be used say why', () => {
  assert.equal(clientKeyProblem('hunter2'), 'client key: not a PEM private key (no BEGIN … PRIVATE KEY line)');
  assert.equal(clientKeyProblem(''), 'client key: not a PEM private key (no BEGIN … PRIVATE KEY line)');
  assert.match(clientKeyProblem(cert), /this is a certificate, not a private key/);
  assert.match(clientKeyProblem(key.split('\n').slice(0, 5).join('\n')), /END … PRIVATE KEY line is missing/);
  const enc = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' });
  assert.match(clientKeyProblem(enc), /encrypted with a passphrase/);
  assert.match(clientKeyProblem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'), /^client key: does not parse as a private key/);
  assert.match(clientCertProblem('nope'), /^client certificate: not a PEM certificate/);
  const other = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  assert.match(clientPairProblem(cert, other), /do not belong together/);
  assert.equal(clientPairProblem(cert, undefined), 'client certificate given without its client key');
  assert.equal(clientPairProblem(undefined, key), 'client key given without its client certificate');
});

test('the link settings reject an unusable key with that message, and accept a flattened one', () => {
  const cfg = { transport: 'tls', host: '192.0.2.10', tlsTrust: 'insecure', tlsCert: cert };
  const bad = readLinkSettings(cfg, { tlsKey: 'hunter2' });
  assert.equal(bad.ok, false);
  assert.equal(bad.error, 'client key: not a PEM private key (no BEGIN … PRIVATE KEY line)');
  const good = readLinkSettings(cfg, { tlsKey: flattened });
  assert.equal(good.ok, true, good.error);
  assert.equal(good.endpoint.tls.key, normalizePem(flattened));
  assert.equal(readLinkSettings({ ...cfg, tlsCert: '' }, { tlsKey: key }).error, 'client key given without its client certificate');
  assert.equal(endpointProblem({ transport: 'tls', host: 'x', tls: { cert, key: 'x' } }), 'client key: not a PEM private key (no BEGIN … PRIVATE KEY line)');
});
