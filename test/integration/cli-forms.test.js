'use strict';
// Every command form of `home-energy` with --help, -h, an unknown option and no arguments: the exit
// code (0 success, 1 device or data failure, 2 usage error — the same for every command) and the
// first usage line. In-process through main(); the bin wiring is checked by a few child runs.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { main } = require('../../dist/cli/main');
const { runCli } = require('../helpers');

async function run(argv) {
  const out = [];
  const err = [];
  const code = await main(argv, (l) => out.push(...l.split('\n')), (l) => err.push(...l.split('\n')), {});
  return { code, out, err };
}

// form → the first usage line starts with this.
const FORMS = {
  '': 'usage: home-energy <command>',
  p1: 'usage: home-energy p1 parse',
  'p1 parse': 'usage: home-energy p1 parse',
  'p1 read': 'usage: home-energy p1 read',
  sessy: 'usage: home-energy sessy status',
  'sessy status': 'usage: home-energy sessy status',
  'sessy setpoint': 'usage: home-energy sessy setpoint',
  'sessy strategy': 'usage: home-energy sessy strategy',
  'sessy discover': 'usage: home-energy sessy discover',
  sofar: 'usage: home-energy sofar read',
  'sofar read': 'usage: home-energy sofar read',
  'sofar setpoint': 'usage: home-energy sofar setpoint',
  'sofar mode': 'usage: home-energy sofar mode',
  ksem: 'usage: home-energy ksem read',
  'ksem read': 'usage: home-energy ksem read',
  sim: 'usage: home-energy sim',
  bench: 'usage: home-energy bench p1-parse',
  'bench p1-parse': 'usage: home-energy bench p1-parse',
  'bench zero-export': 'usage: home-energy bench zero-export',
  help: 'usage: home-energy <command>',
};

// Forms for which no arguments is a valid run (reads stdin, serves until Ctrl-C, measures, listens):
// not run here; their runs are tested in their own files.
const RUNS_WITHOUT_ARGUMENTS = new Set(['p1 parse', 'sim', 'bench p1-parse', 'sessy discover', 'help']);

const words = (form) => (form ? form.split(' ') : []);

for (const [form, usage] of Object.entries(FORMS)) {
  const name = form || '(no command)';
  test(`${name} --help and -h: exit 0, usage on stdout`, async () => {
    for (const flag of ['--help', '-h']) {
      const r = await run([...words(form), flag]);
      assert.equal(r.code, 0, `${name} ${flag}: ${r.err.join('\n')}`);
      assert.ok(r.out[0].startsWith(usage), `${name} ${flag}: first line ${JSON.stringify(r.out[0])}`);
      assert.deepEqual(r.err, [], `${name} ${flag}: nothing on stderr`);
    }
  });

  test(`${name} --bogus: exit 2, the error, then this command's usage on stderr`, async () => {
    const r = await run([...words(form), '--bogus']);
    assert.equal(r.code, 2, `${name} --bogus: ${r.err.join('\n')}`);
    assert.match(r.err[0], /^home-energy[^:]*: unknown (option|command) "?--bogus"?/, `${name}: ${r.err[0]}`);
    assert.ok(r.err[1].startsWith(form === 'help' ? FORMS[''] : usage), `${name} --bogus: usage line ${JSON.stringify(r.err[1])}`);
    assert.ok(r.err.length < 25 || form === 'bench zero-export' || form === 'sim', `${name}: the command's usage, not the whole help (${r.err.length} lines)`);
    assert.deepEqual(r.out, []);
  });

  if (!RUNS_WITHOUT_ARGUMENTS.has(form)) {
    test(`${name} without arguments: exit 2 with this command's usage`, async () => {
      const r = await run(words(form));
      assert.equal(r.code, 2, `${name}: ${r.err.join('\n')}`);
      const at = r.err.findIndex((l) => l.startsWith('usage: '));
      assert.ok(at === 0 || at === 1, `${name}: usage at the top of stderr: ${r.err.slice(0, 2).join(' | ')}`);
      assert.ok(r.err[at].startsWith(usage), `${name}: ${r.err[at]}`);
      assert.deepEqual(r.out, []);
    });
  }
}

test('help: every command and the devices; help COMMAND and help COMMAND SUB give that usage', async () => {
  const all = await run(['help']);
  assert.equal(all.code, 0);
  const text = all.out.join('\n');
  for (const form of Object.keys(FORMS).filter((f) => f.includes(' '))) assert.ok(text.includes(`home-energy ${form}`), `help lists ${form}`);
  assert.match(text, /HOME_ENERGY_PASSWORD/);
  assert.match(text, /exit codes: 0 success, 1 device or data failure, 2 usage error/);
  const one = await run(['help', 'sessy', 'setpoint']);
  assert.equal(one.code, 0);
  assert.ok(one.out[0].startsWith('usage: home-energy sessy setpoint'));
  const group = await run(['help', 'sofar']);
  assert.ok(group.out[0].startsWith('usage: home-energy sofar read'));
  assert.equal((await run(['help', 'fly'])).code, 2);
  assert.equal((await run(['help', 'sessy', 'fly'])).code, 2);
});

test('unknown command and unknown subcommand: exit 2 and a short usage', async () => {
  const r = await run(['fly']);
  assert.equal(r.code, 2);
  assert.equal(r.err[0], 'home-energy: unknown command "fly"');
  assert.ok(r.err.length <= 4, 'short, not the whole help');
  const s = await run(['sofar', 'explode']);
  assert.equal(s.code, 2);
  assert.match(s.err[0], /^home-energy sofar: unknown command "explode" \(read, setpoint, mode\)/);
});

test('through the bin: --version, no command, a subcommand --help, an unknown option', async () => {
  const v = await runCli(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^home-energy \d+\.\d+\.\d+ \(node-red-contrib-home-energy, node v\d+/);
  const none = await runCli([]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^usage: home-energy <command>/);
  const h = await runCli(['p1', 'read', '-h']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^usage: home-energy p1 read /);
  const bad = await runCli(['sessy', 'status', '--bogus']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^home-energy sessy status: unknown option --bogus\nusage: home-energy sessy status /);
});
