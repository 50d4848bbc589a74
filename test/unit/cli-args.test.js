'use strict';
// The CLI's argument reading: unknown short options, negative watts, hex text is not a number of watts.
const test = require('node:test');
const assert = require('node:assert/strict');
const { parseArgs, isDecimal, seconds } = require('../../dist/cli/args');
const { main } = require('../../dist/cli/main');

test('parseArgs: negative numbers are values, an unknown short option is a usage error', () => {
  assert.deepEqual(parseArgs(['-1500', '--url', 'x'], { values: ['url'] }), { _: ['-1500'], url: 'x' });
  assert.deepEqual(parseArgs(['-'])._, ['-'], 'a lone "-" is stdin');
  assert.throws(() => parseArgs(['-x']), { code: 'EUSAGE', message: 'unknown option -x' });
  assert.throws(() => parseArgs(['--url'], { values: ['url'] }), /--url needs a value/);
});

test('isDecimal and seconds', () => {
  for (const t of ['-1500', '2.5', '+3', '1e3', '.5']) assert.equal(isDecimal(t), true, t);
  for (const t of ['0x10', '', ' ', '1,5', 'Infinity', 'NaN', '12W']) assert.equal(isDecimal(t), false, t);
  assert.equal(seconds({ _: [], timeout: '2' }, 'timeout', 5), 2);
  assert.throws(() => seconds({ _: [], timeout: '2000' }, 'timeout', 5), /needs seconds \(0 < S ≤ 600\)/);
});

test('setpoints in hex text are usage errors (Number("0x10") would be 16 W)', async () => {
  for (const argv of [
    ['sessy', 'setpoint', '0x10', '--url', '127.0.0.1:1', '--user', 'U'],
    ['sofar', 'setpoint', '0x10', '--tcp', '127.0.0.1:1'],
  ]) {
    const err = [];
    assert.equal(await main(argv, () => undefined, (l) => err.push(l), {}), 2, argv.join(' '));
    assert.match(err[0], /WATTS must be a number.*got "0x10"/);
  }
});
