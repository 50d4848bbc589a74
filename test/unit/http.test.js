'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { httpJson, baseUrl } = require('../../dist/lib/transport/http');

let server;
let url;
let hits = 0;
before(async () => {
  server = http.createServer((req, res) => {
    hits++;
    if (req.url === '/ok') return res.end('{"status":"ok","v":1}');
    if (req.url === '/bad-json') return res.end('{"status":');
    if (req.url === '/500') return res.writeHead(500).end();
    if (req.url === '/auth') return res.writeHead(req.headers.authorization === 'Basic ' + Buffer.from('u:p').toString('base64') ? 200 : 401).end('{}');
    if (req.url === '/hang') return; // never answers
    if (req.url === '/flaky') return hits % 2 ? res.writeHead(503).end() : res.end('{"ok":true}');
    res.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${server.address().port}`;
});
after(() => {
  server.closeAllConnections();
  return new Promise((r) => server.close(r));
});

test('JSON body', async () => assert.deepEqual(await httpJson(url + '/ok'), { status: 'ok', v: 1 }));
test('malformed JSON is a json error', async () => assert.rejects(httpJson(url + '/bad-json'), (e) => e.code === 'json' && /not valid JSON/.test(e.message)));
test('HTTP 500 is a status error', async () => assert.rejects(httpJson(url + '/500'), (e) => e.code === 'status' && e.status === 500));
test('wrong credentials say so', async () => {
  await assert.rejects(httpJson(url + '/auth', { user: 'u', password: 'x' }), (e) => e.code === 'auth' && /authentication failed/.test(e.message));
  assert.deepEqual(await httpJson(url + '/auth', { user: 'u', password: 'p' }), {});
});
test('timeout', async () => assert.rejects(httpJson(url + '/hang', { timeoutMs: 150 }), (e) => e.code === 'timeout'));
test('connection refused', async () => assert.rejects(httpJson('http://127.0.0.1:1/x', { timeoutMs: 500 }), (e) => e.code === 'connect'));
test('GET retries a 5xx once', async () => {
  hits = 0;
  assert.deepEqual(await httpJson(url + '/flaky', { retries: 1, retryDelayMs: 10 }), { ok: true });
});
test('baseUrl', () => {
  assert.equal(baseUrl('192.168.1.5'), 'http://192.168.1.5');
  assert.equal(baseUrl(' http://sessy-ab.local:8080/ '), 'http://sessy-ab.local:8080');
});
