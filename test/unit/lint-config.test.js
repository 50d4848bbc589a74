'use strict';
// The lint and test type-check gates of `npm test` catch what they are meant to catch, and let the
// deliberate patterns of this code base through (eslint.config.mjs, scripts/typecheck-tests.mjs).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..', '..');

async function lint(code, file) {
  const { ESLint } = await import('eslint');
  const eslint = new ESLint({ cwd: root });
  const [r] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return r.messages.map((m) => `${m.line}:${m.ruleId}`);
}

test('eslint: an unused variable and an undefined name in a test are errors', async () => {
  const found = await lint("'use strict';\nconst fs = require('node:fs');\nmodule.exports = () => notDefined;\n", 'test/unit/lint-fixture.test.js');
  assert.deepEqual(found.sort(), ['2:@typescript-eslint/no-unused-vars', '3:no-undef']);
});

test('eslint: the Node-RED constructor pattern and lazy require() in TypeScript pass', async () => {
  const code = [
    'export function register(RED: { nodes: { createNode(n: unknown, c: unknown): void } }): void {',
    '  function Node(this: { on(e: string, f: () => void): void }, config: unknown) {',
    '    const node = this;',
    '    RED.nodes.createNode(node, config);',
    "    node.on('close', () => require('node:fs'));",
    '  }',
    '  void Node;',
    '}',
    '',
  ].join('\n');
  assert.deepEqual(await lint(code, 'nodes/lint-fixture/lint-fixture.ts'), []);
});

test('typecheck:tests reports a missing export and an undefined name, not a deliberately bad argument', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-typecheck-'));
  try {
    const validate = JSON.stringify(path.join(root, 'dist', 'lib', 'api', 'validate'));
    fs.writeFileSync(
      path.join(dir, 'fixture.test.js'),
      [
        "'use strict';",
        `const { validator, noSuchExport } = require(${validate});`,
        'validator(42);', // wrong type on purpose: not reported
        'noSuchExport();',
        'notDefinedAnywhere();',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: path.join(root, 'tsconfig.test.json'),
        compilerOptions: { typeRoots: [path.join(root, 'node_modules', '@types')] },
        include: ['*.js'],
      }),
    );
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'typecheck-tests.mjs'), '-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const codes = [...r.stderr.matchAll(/fixture\.test\.js\((\d+),\d+\): error TS(\d+)/g)].map((m) => `${m[1]}:TS${m[2]}`);
    assert.deepEqual(codes.sort(), ['2:TS2305', '5:TS2304']);
    assert.match(r.stdout, /2 error\(s\) reported \(1 loose-typing/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
