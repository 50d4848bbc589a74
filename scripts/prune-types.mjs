#!/usr/bin/env node
// Run on pack (package.json "prepack", after the build): keeps in dist/ only the .d.ts files of the
// public library API (dist/lib/index.d.ts and what it refers to), so the tarball carries types
// for what users may import and not for the node runtimes, the CLI or the simulator.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const entry = path.join(root, pkg.types);
if (!fs.existsSync(entry)) {
  console.error(`prune-types: ${pkg.types} missing (run the build first)`);
  process.exit(1);
}
const keep = new Set();
const stack = [entry];
while (stack.length) {
  const f = stack.pop();
  if (keep.has(f)) continue;
  keep.add(f);
  for (const m of fs.readFileSync(f, 'utf8').matchAll(/(?:from\s+|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const base = path.resolve(path.dirname(f), m[1]);
    const hit = [`${base}.d.ts`, path.join(base, 'index.d.ts')].find((c) => fs.existsSync(c));
    if (hit) stack.push(hit);
  }
}
let removed = 0;
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.d.ts') && !keep.has(p)) {
      fs.rmSync(p);
      removed++;
    }
  }
};
walk(dist);
console.log(`prune-types: kept ${keep.size} .d.ts of the public API, removed ${removed}`);
