'use strict';
// Layering (issue 10): the CLI (cli/) is the composition root. Nothing under lib/ imports cli/ or
// bench/, and nothing under bench/ imports cli/. Scans every TypeScript source for import, export …
// from, require() and import() specifiers and resolves the relative ones.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');

function tsFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Module specifiers of one source text (comments removed first). */
function specifiers(src) {
  const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found = [];
  const patterns = [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\brequire\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g, /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]);
  return found;
}

/** Top-level folder of the repository a relative specifier in `file` points into, or null. */
function targetTop(file, spec) {
  if (!spec.startsWith('.')) return null;
  const rel = path.relative(ROOT, path.resolve(path.dirname(file), spec));
  return rel.split(path.sep)[0];
}

function violations(fromDir, forbidden) {
  const bad = [];
  for (const f of tsFiles(path.join(ROOT, fromDir))) {
    for (const s of specifiers(fs.readFileSync(f, 'utf8'))) {
      const top = targetTop(f, s);
      if (top && forbidden.includes(top)) bad.push(`${path.relative(ROOT, f)} imports ${s}`);
      // A dynamic require of a computed path into another layer cannot be resolved here: forbid the text.
      if (/\b(?:dist\/)?(cli|bench)\//.test(s) && !s.startsWith('.') && forbidden.some((x) => s.includes(`${x}/`))) bad.push(`${path.relative(ROOT, f)} imports ${s}`);
    }
  }
  return bad;
}

test('the scanner sees every form of import (a self-check on sample text)', () => {
  const sample = [
    "import { a } from '../cli/args';",
    "import type { B } from '../../cli/command';",
    "export { c } from '../cli/x';",
    "import '../cli/side-effect';",
    "const d = require('../cli/main');",
    "const e = await import('../cli/bench');",
    "// import { ignored } from '../cli/comment';",
  ].join('\n');
  assert.deepEqual(specifiers(sample).sort(), ['../cli/args', '../../cli/command', '../cli/x', '../cli/side-effect', '../cli/main', '../cli/bench'].sort());
  assert.equal(targetTop(path.join(ROOT, 'lib', 'x.ts'), '../cli/args'), 'cli');
  assert.equal(targetTop(path.join(ROOT, 'bench', 'zero-export', 'x.ts'), '../options'), 'bench');
});

test('nothing under lib/ imports cli/ or bench/', () => {
  assert.deepEqual(violations('lib', ['cli', 'bench']), []);
});

test('nothing under bench/ imports cli/', () => {
  assert.deepEqual(violations('bench', ['cli']), []);
});

test('the CLI lives outside the library: no lib/cli, the bin runs dist/cli/main', () => {
  assert.equal(fs.existsSync(path.join(ROOT, 'lib', 'cli')), false);
  assert.match(fs.readFileSync(path.join(ROOT, 'bin', 'home-energy.js'), 'utf8'), /require\('\.\.\/dist\/cli\/main'\)/);
  const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'));
  assert.ok(tsconfig.include.includes('cli/**/*.ts'));
});
