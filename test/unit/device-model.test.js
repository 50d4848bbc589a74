'use strict';
// The device model (lib/api/device.ts): points, generic register and JSON decode/encode, the
// descriptor check and the help's output table; the config reader (lib/api/config.ts) and the
// editor's schema check built from the same schema; the freshness rule and the device-node status.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const dm = require('../../dist/lib/api/device');
const { configReader, num, int, oneOf, text, bool } = require('../../dist/lib/api/config');
const { Freshness } = require('../../dist/lib/util/freshness');
const { DeviceStatus, safeInput, errorText, shortError, clip } = require('../../dist/nodes/_shared/device-node');

const reg = (name, address, type, extra = {}) => ({ name, source: { kind: 'register', fc: 3, address, type, ...(extra.source || {}) }, unit: extra.unit ?? 'W', access: 'r', description: name, src: 'test', ...extra, ...(extra.source ? { source: { kind: 'register', fc: 3, address, type, ...extra.source } } : {}) });

test('register points: encode then decode gives the value back, for every type and scale', () => {
  const points = [
    reg('u16', 0, 'u16', { scale: 0.1, unit: 'V' }),
    reg('s16', 1, 's16', { scale: 10 }),
    reg('u32', 2, 'u32', { scale: 0.001, unit: 'Hz' }),
    reg('s32le', 4, 's32', { source: { wordOrder: 'le' } }),
    reg('f32', 6, 'f32', { unit: 'A' }),
    reg('u64', 8, 'u64', { scale: 0.1, unit: 'Wh' }),
    reg('str', 12, 'string', { source: { length: 4 }, unit: '' }),
    reg('offset', 16, 'u16', { scale: 0.1, offset: -40, unit: '°C' }),
  ];
  const values = { u16: 234.7, s16: -1230, u32: 49.987, s32le: -70000, f32: 6.01, u64: 123456789.3, str: 'AB12', offset: -12.5 };
  const image = new dm.RegisterImage();
  dm.encodeRegisters(image, points, values);
  const back = dm.decodeRegisters(image, points);
  for (const [k, v] of Object.entries(values)) {
    if (k === 'f32') assert.ok(Math.abs(back[k] - v) < 1e-6, k);
    else assert.equal(back[k], v, k);
  }
  // Word order of the le point is really swapped on the wire.
  assert.deepEqual(image.get(4, 2), dm.encodeRegisterPoint(points[3], -70000).slice());
  assert.deepEqual(dm.encodeRegisterPoint(points[3], 1), [1, 0]);
});

test('register points: missing words, not-implemented patterns and non-finite values decode as absent', () => {
  const p = reg('p', 10, 'u32', { source: { missing: 'sunspec' } });
  const s = reg('s', 12, 's32', { source: { missing: 'sunspec' } });
  const f = reg('f', 14, 'f32');
  const image = new dm.RegisterImage();
  assert.equal(dm.decodeRegisterPoint(image, p), undefined, 'no words');
  image.set(10, [0xffff, 0xffff]);
  image.set(12, [0x8000, 0]);
  image.set(14, [0x7fc0, 0]); // NaN
  assert.equal(dm.decodeRegisterPoint(image, p), undefined);
  assert.equal(dm.decodeRegisterPoint(image, s), undefined);
  assert.equal(dm.decodeRegisterPoint(image, f), undefined);
  image.set(10, [0, 5]);
  assert.equal(dm.decodeRegisterPoint(image, p), 5);
  assert.equal(dm.decodeRegisterWords(p, [1]), undefined, 'too few words');
  // Function codes are separate address spaces.
  image.set(10, [0, 9], 4);
  assert.equal(dm.decodeRegisterPoint(image, { ...p, source: { ...p.source, fc: 4 } }), 9);
  assert.equal(dm.decodeRegisterPoint(image, p), 5);
});

test('decodeBlock and spanOf: a block read decodes the points inside it', () => {
  const points = [reg('a', 0x200, 'u16'), reg('b', 0x201, 's16'), reg('c', 0x204, 'u32')];
  assert.deepEqual(dm.spanOf(points), { fc: 3, address: 0x200, count: 6 });
  assert.deepEqual(dm.decodeBlock(points, 3, 0x200, [7, 0xffff, 0, 0, 0, 3]), { a: 7, b: -1, c: 3 });
  assert.deepEqual(dm.decodeBlock(points, 3, 0x200, [7]), { a: 7 }, 'a short block only decodes what it covers');
  assert.throws(() => dm.spanOf([]), /no points/);
});

test('JSON points: decode with scale, own properties only, no hex text, encode back', () => {
  const p = (name, path, extra = {}) => ({ name, source: { kind: 'json', endpoint: '/s', path }, unit: 'V', access: 'r', description: name, src: 'test', ...extra });
  const points = [p('soc', 'a.soc', { scale: 100, unit: '%' }), p('v', 'a.mv', { scale: 0.001 }), p('state', 'a.state', { valueType: 'enum', unit: '' }), p('ph2', 'ph[1].p', { unit: 'W' }), p('ok', 'a.ok', { valueType: 'boolean', unit: '' })];
  const body = {};
  dm.encodeJson(points, body, { soc: 64.5, v: 52.123, state: 'RUNNING', ph2: -120, ok: true });
  assert.deepEqual(body.a, { soc: 0.645, mv: 52123, state: 'RUNNING', ok: true });
  assert.deepEqual(body.ph[1], { p: -120 });
  assert.equal(body.ph.length, 2);
  assert.deepEqual(dm.decodeJson(points, '/s', body), { soc: 64.5, v: 52.123, state: 'RUNNING', ph2: -120, ok: true });
  assert.equal(dm.decodeJsonPoint({ a: { mv: '0x10' } }, points[1]), undefined, 'hex text is not a number');
  assert.equal(dm.decodeJsonPoint({ a: { mv: '1200' } }, points[1]), 1.2);
  assert.equal(dm.decodeJsonPoint({ a: { mv: 1e400 } }, points[1]), undefined, 'Infinity');
  assert.equal(dm.decodeJsonPoint(Object.create({ a: { mv: 5 } }), points[1]), undefined, 'inherited properties are not read');
  assert.equal(dm.getPath({ a: null }, 'a.b'), undefined);
  assert.deepEqual(dm.endpointsOf(points), ['/s']);
});

test('checkDescriptor and outputsMarkdown', () => {
  const d = {
    name: 'x', title: 'X', models: 'X', reading: 'meter', transports: ['tcp'], defaults: {}, capabilities: ['meter'], nodeTypes: ['x-meter'],
    points: [reg('pPlus', 0, 'u32', { scale: 0.1 }), reg('pMinus', 2, 'u32', { scale: 0.1 })],
    outputs: [{ field: 'power', unit: 'W', meaning: 'net | grid', from: ['pPlus', 'pMinus'] }, { field: 'kind', unit: '', meaning: '"meter"', from: [], note: 'constant' }],
  };
  assert.deepEqual(dm.checkDescriptor(d), []);
  const md = dm.outputsMarkdown(d);
  assert.match(md, /^\| field \| unit \| meaning \| source \|/);
  assert.match(md, /\| `power` \| W \| net \\\| grid \| register 0 \(0x0000, FC 03, u32\); register 2/);
  assert.match(md, /\| `kind` \| – \| "meter" \| constant \|/);
  const bad = { ...d, points: [...d.points, d.points[0], { ...d.points[1], name: 'r', range: [5, 1], src: '' }], outputs: [{ field: 'f', unit: '', meaning: '', from: ['nope'] }] };
  assert.deepEqual(dm.checkDescriptor(bad), ['x: duplicate point pPlus', 'x: point r has an empty range', 'x: point r has no source document', 'x: output f names unknown point nope']);
});

test('clampToRange / inRange / scaleIn float noise', () => {
  const p = { name: 'i', source: { kind: 'register', fc: 3, address: 0, type: 'u16' }, unit: 'A', access: 'rw', range: [6, 16], description: '', src: 't', scale: 0.1 };
  assert.equal(dm.clampToRange(p, 3), 6);
  assert.equal(dm.clampToRange(p, 40), 16);
  assert.equal(dm.inRange(p, NaN), false);
  assert.equal(dm.scaleIn(p, 2347), 234.7);
});

const schema = {
  type: 'object',
  properties: {
    port: int(1, 65535, { default: 502 }),
    gain: num(0, 1, { empty: true }),
    stale: num(1, 3600, { zero: true, default: 0, unit: 's' }),
    mode: oneOf(['a', 'b'], 'a'),
    host: text(),
    tls: bool(false),
  },
  required: ['host'],
};

test('configReader: decimal text becomes a number, empty takes the default, hex / NaN / 1e400 are refused with the field named', () => {
  const read = configReader(schema);
  assert.deepEqual(read({ port: ' 1502 ', gain: '', stale: '', host: ' x ', tls: 'true' }), { ok: true, config: { port: 1502, stale: 0, mode: 'a', host: 'x', tls: true } });
  assert.deepEqual(read({ port: '0x10', host: 'x' }), { ok: false, error: 'config.port: must be integer' });
  assert.deepEqual(read({ port: 70000, host: 'x' }), { ok: false, error: 'config.port: must be <= 65535' });
  assert.deepEqual(read({ port: NaN, host: 'x' }), { ok: false, error: 'config.port: must be a finite number' });
  assert.deepEqual(read({ gain: '1e400', host: 'x' }), { ok: false, error: 'config.gain: must be number' });
  assert.deepEqual(read({ stale: 0, host: 'x' }).ok, true, 'x-zero: 0 besides the range');
  assert.deepEqual(read({ stale: 0.5, host: 'x' }), { ok: false, error: 'config.stale: must be >= 1' });
  assert.deepEqual(read({ mode: 'c', host: 'x' }), { ok: false, error: 'config.mode: must be one of "a", "b"' });
  assert.deepEqual(read({ host: '' }), { ok: false, error: 'config.host: is required' });
  assert.deepEqual(read(null), { ok: false, error: 'config: must be an object' });
});

test('the editor check() built from the same schema agrees with the runtime reader', () => {
  const window = { $: () => ({ length: 0 }) };
  vm.runInNewContext(fs.readFileSync(path.join(__dirname, '../../nodes/_shared/editor.js'), 'utf8'), { window, $: window.$ });
  const E = window.HomeEnergyEditor;
  E.schemas.t = schema.properties;
  const read = configReader(schema);
  const cases = { port: ['502', '0x10', '70000', '', ' 12 ', '1.5'], gain: ['', '0.5', '2', 'abc'], stale: ['0', '0.5', '10', ''], mode: ['a', 'c'], host: ['', 'h'] };
  for (const [field, values] of Object.entries(cases)) {
    for (const v of values) {
      const editor = E.check('t', field)(v);
      const runtime = read({ host: 'h', [field]: v }).ok;
      assert.equal(editor, runtime, `${field}=${JSON.stringify(v)}: editor ${editor}, runtime ${runtime}`);
    }
  }
  assert.equal(E.check('t', 'port', { when: () => false })('x'), true, 'when() off: not checked');
});

test('Freshness: the interval comes from good readings only; an outage does not stretch the stale limit', () => {
  const f = new Freshness({ expectedMs: 1000 });
  assert.equal(f.limitMs(), 3000, 'floor before any reading');
  let t = 0;
  for (let i = 0; i < 10; i++) f.good((t += 1000));
  assert.equal(f.interval, 1000);
  // A 12 s outage reported as failures, then a reading: the gap is not an interval.
  f.failed();
  f.good((t += 12_000));
  assert.equal(f.interval, 1000);
  // A silent 9 s gap (no failure reported) is far above the estimate: not an interval either.
  f.good((t += 9000));
  assert.equal(f.interval, 1000);
  assert.equal(f.limitMs(), 3000);
  assert.equal(f.fresh(t + 3000), true);
  assert.equal(f.fresh(t + 3001), false);
  assert.equal(new Freshness({ expectedMs: 5000 }).limitMs(), 10_000, 'two expected periods');
  assert.equal(new Freshness({ expectedMs: 5000, fixedMs: 4000 }).limitMs(), 4000, 'the setting wins');
});

test('DeviceStatus: failure precedence, warnings, stale, clip to 32 characters', () => {
  let now = 0;
  const shown = [];
  const node = { status: (s) => shown.push(s), warn: () => {} };
  const st = new DeviceStatus(node, { freshness: { expectedMs: 1000 }, summary: () => '+1.2 kW', waiting: 'connecting', now: () => now, tickMs: 0 });
  assert.deepEqual(st.compute(), { fill: 'yellow', shape: 'ring', text: 'connecting' });
  st.failed(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2323'), { code: 'ECONNREFUSED', short: 'refused 127.0.0.1:2323' }));
  assert.deepEqual(st.compute(), { fill: 'red', shape: 'ring', text: 'refused 127.0.0.1:2323' }, 'a failure before any reading is red, not "connecting"');
  now = 1000;
  st.good();
  assert.deepEqual(st.compute(), { fill: 'green', shape: 'dot', text: '+1.2 kW · 0s' });
  now = 2000;
  st.failed(new Error('timeout'));
  assert.equal(st.compute().fill, 'green', 'a failure while the reading is still fresh does not turn red');
  now = 5000;
  assert.deepEqual(st.compute(), { fill: 'red', shape: 'ring', text: 'timeout' });
  now = 6000;
  st.good();
  st.warn('two', '2 setpoint sources');
  assert.deepEqual(st.compute(), { fill: 'yellow', shape: 'ring', text: '+1.2 kW · 2 setpoint sources' });
  st.warn('two', undefined);
  now = 10_000;
  assert.deepEqual(st.compute(), { fill: 'yellow', shape: 'ring', text: '+1.2 kW · stale 4s' });
  st.config('config: port must be <= 65535 and something longer');
  assert.equal(st.compute().fill, 'red');
  assert.equal(st.compute().text.length, 32);
  assert.equal(clip('x'.repeat(40)).length, 32);
  st.close();
});

test('errorText and shortError never throw and never parse messages', () => {
  const circular = {};
  circular.self = circular;
  assert.equal(errorText(10n), '10');
  assert.equal(errorText(circular), '[object Object]');
  assert.equal(errorText({ toString() { throw new Error('x'); } }), 'unprintable error');
  assert.equal(shortError(Object.assign(new Error('long text'), { code: 'timeout' })), 'timeout');
  assert.equal(shortError(Object.assign(new Error('long text'), { short: 'exception 2', code: 'exception' })), 'exception 2');
});

test('safeInput: exactly one done per message, sync throws and rejections become done(err)', async () => {
  const handlers = {};
  const node = { on: (ev, fn) => (handlers[ev] = fn) };
  let mode = 'ok';
  safeInput(node, (msg) => {
    if (mode === 'throw') throw new Error('bad ' + errorText(msg.payload));
    if (mode === 'reject') return Promise.reject(new Error('async bad'));
    if (mode === 'throw-nothing') throw undefined;
  });
  for (const [m, expect] of [['throw', 'bad 1'], ['reject', 'async bad'], ['throw-nothing', 'input handler failed'], ['ok', undefined]]) {
    mode = m;
    const calls = await new Promise((resolve) => {
      const c = [];
      handlers.input({ payload: 1n }, () => {}, (e) => c.push(e));
      setTimeout(() => resolve(c), 5);
    });
    assert.equal(calls.length, 1, m);
    assert.equal(calls[0]?.message, expect, m);
  }
});

test('build: the editor HTML carries each node schema, and help output lists come from the registry', () => {
  const dist = path.join(__dirname, '../../dist/nodes');
  for (const type of fs.readdirSync(dist).filter((t) => !t.startsWith('_'))) {
    const help = path.join(dist, type, 'locales', 'en-US', `${type}.html`);
    if (fs.existsSync(help)) assert.ok(!fs.readFileSync(help, 'utf8').includes('<!-- outputs -->'), `${type}: the outputs marker was replaced`);
    if (fs.existsSync(path.join(dist, type, 'schema.js'))) assert.match(fs.readFileSync(path.join(dist, type, `${type}.html`), 'utf8'), new RegExp(`HomeEnergyEditor\\.schemas\\["${type}"\\]`));
  }
});
