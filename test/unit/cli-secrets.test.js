'use strict';
// The CLI's credential sources and redaction (cli/credentials.ts, cli/io.ts).
const test = require('node:test');
const assert = require('node:assert/strict');
const { redact, redactUrls, makeIo } = require('../../dist/cli/io');
const { splitUserInfo, credentials } = require('../../dist/cli/credentials');
const { parseArgs } = require('../../dist/cli/args');

test('URLs with user information are printed without the password', () => {
  assert.equal(redactUrls('GET http://dabc:pw%40x@192.168.1.5/api failed'), 'GET http://dabc:***@192.168.1.5/api failed');
  assert.equal(redactUrls('no url here, a:b@c is not one'), 'no url here, a:b@c is not one');
  assert.equal(redact('sent S3CRET and s3cret', ['s3cret', 'S3CRET']), 'sent *** and ***');
});

test('splitUserInfo takes the credentials out of the address', () => {
  assert.deepEqual(splitUserInfo('http://meter:p%3Ass@10.0.0.2:8080'), { url: 'http://10.0.0.2:8080', user: 'meter', password: 'p:ss' });
  assert.deepEqual(splitUserInfo('user@10.0.0.2'), { url: '10.0.0.2', user: 'user', password: undefined });
  assert.deepEqual(splitUserInfo('10.0.0.2'), { url: '10.0.0.2' });
});

function io(env = {}, promptAnswer) {
  const lines = [];
  const asked = [];
  const o = makeIo({
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    env,
    prompt: async (q) => {
      asked.push(q);
      return promptAnswer;
    },
  });
  return { o, lines, asked };
}

const args = (...a) => parseArgs(a, { values: ['url', 'user', 'password'] });

test('credentials: option, URL, environment, then the prompt; each password is masked from then on', async () => {
  const env = io({ HOME_ENERGY_USER: 'DENV0001', HOME_ENERGY_PASSWORD: 'ENVPASS1' });
  assert.deepEqual(await credentials(args('--url', '10.0.0.2'), env.o, { what: 'x', urlOption: 'url', required: true }), { url: '10.0.0.2', user: 'DENV0001', password: 'ENVPASS1' });
  env.o.out('the password is ENVPASS1');
  assert.equal(env.lines.pop(), 'the password is ***');

  const url = io({ HOME_ENERGY_PASSWORD: 'ENVPASS1' });
  const c = await credentials(args('--url', 'http://dabc:urlpass9@10.0.0.2'), url.o, { what: 'x', urlOption: 'url', required: true });
  assert.deepEqual(c, { url: 'http://10.0.0.2', user: 'dabc', password: 'urlpass9' }, 'the URL wins over the environment');
  url.o.err('urlpass9 URLPASS9');
  assert.equal(url.lines.pop(), '*** ***', 'the upper-cased form the Sessy client sends is masked too');

  const prompted = io({}, 'typedpw1');
  const p = await credentials(args('--url', '10.0.0.2', '--user', 'DABC'), prompted.o, { what: 'x', urlOption: 'url', required: true });
  assert.equal(p.password, 'typedpw1');
  assert.deepEqual(prompted.asked, ['Password for DABC at 10.0.0.2: ']);
  prompted.o.out('typedpw1');
  assert.equal(prompted.lines.pop(), '***');

  const optional = io({}, 'never');
  assert.deepEqual(await credentials(args('--url', '10.0.0.2'), optional.o, { what: 'x', urlOption: 'url', required: false }), { url: '10.0.0.2', user: undefined, password: undefined });
  assert.deepEqual(optional.asked, [], 'no user, nothing required: no prompt');

  await assert.rejects(credentials(args('--url', '10.0.0.2', '--user', 'DABC'), io({}).o, { what: 'sessy setpoint', urlOption: 'url', required: true }), /sessy setpoint needs the password/);
  await assert.rejects(credentials(args('--url', '10.0.0.2'), io({}).o, { what: 'sessy setpoint', urlOption: 'url', required: true }), /needs the user/);
});
