'use strict';
// The packed package, as a user gets it: the tracked tree is copied to a temporary directory (so the
// working tree's dist/ is never touched while other tests read it), a stale file is planted in its
// dist/, `npm pack` builds it (prepack) and packs it; the tarball is checked for what it must and
// must not hold, installed from the npm registry's dependencies into a fresh Node-RED user dir, and
// Node-RED (this repository's devDependency, or NODE_RED_DIR) is started on it: every node type of
// package.json loads without error and the examples are listed. The installed package is also
// required as a library, its types compile, and its CLI answers --help.
// Needs the npm registry (the package's dependencies) and takes about a minute.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { freePort, sleep } = require('../helpers');
const { V1 } = require('../fixtures/telegrams');

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const types = Object.keys(pkg['node-red'].nodes);
const nodeRedDir = process.env.NODE_RED_DIR ? path.resolve(process.env.NODE_RED_DIR) : path.join(root, 'node_modules', 'node-red');
const npmCli = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? process.env.npm_execpath : null;
const STALE = path.join('dist', 'lib', 'stale-module-from-an-old-build.js');

/** Runs npm (the one running `npm test` if any, else the one on the PATH) and returns its stdout. */
function npm(args, cwd) {
  const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  for (const k of Object.keys(env)) if (/^npm_(lifecycle|package)_/.test(k)) delete env[k];
  const [cmd, argv] = npmCli ? [process.execPath, [npmCli, ...args]] : ['npm', args];
  return execFileSync(cmd, argv, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000, maxBuffer: 64 << 20 });
}

/** The files git tracks (and new, not ignored ones), or every file but node_modules/dist/.git. */
function sourceFiles() {
  try {
    return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f && fs.existsSync(path.join(root, f)));
  } catch {
    const out = [];
    const walk = (d) => {
      for (const e of fs.readdirSync(path.join(root, d), { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) {
          if (!['node_modules', 'dist', '.git', 'test-artifacts'].includes(e.name)) walk(p);
        } else out.push(p);
      }
    };
    walk('');
    return out;
  }
}

/** .d.ts files reachable from `entry` through relative imports. */
function typeClosure(dir, entry) {
  const seen = new Set();
  const stack = [entry];
  while (stack.length) {
    const f = stack.pop();
    if (seen.has(f)) continue;
    seen.add(f);
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const base = path.posix.join(path.posix.dirname(f), m[1]);
      const hit = [`${base}.d.ts`, `${base}/index.d.ts`].find((c) => fs.existsSync(path.join(dir, c)));
      if (hit) stack.push(hit);
    }
  }
  return [...seen].sort();
}

describe('packed tarball', { timeout: 600_000 }, () => {
  let tmp;
  let tarball;
  let files; // paths inside the tarball, without the leading "package/"
  let userDir;
  let installed;
  let red;
  let redLog = '';
  let base;
  let staleLeft;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'he-pack-'));
    const src = path.join(tmp, 'src');
    for (const f of sourceFiles()) {
      fs.mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
      fs.copyFileSync(path.join(root, f), path.join(src, f));
    }
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'), 'dir');
    fs.mkdirSync(path.dirname(path.join(src, STALE)), { recursive: true });
    fs.writeFileSync(path.join(src, STALE), 'module.exports = "left over from a deleted module";\n');
    const out = path.join(tmp, 'out');
    fs.mkdirSync(out);
    npm(['pack', '--pack-destination', out], src);
    const tgz = fs.readdirSync(out).filter((f) => f.endsWith('.tgz'));
    assert.equal(tgz.length, 1, `one tarball in ${out}: ${tgz}`);
    tarball = path.join(out, tgz[0]);
    files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l && !l.endsWith('/'))
      .map((l) => l.replace(/^package\//, ''));
    staleLeft = fs.existsSync(path.join(src, STALE));
  });

  after(async () => {
    if (red && red.exitCode === null) {
      const exited = new Promise((r) => red.once('exit', r));
      red.kill('SIGINT');
      const t = setTimeout(() => red.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is built from an empty dist/ (a stale file planted in dist/ is gone after the build)', () => {
    assert.equal(staleLeft, false, `${STALE} survived the build`);
    assert.ok(!files.includes(STALE), 'and is not in the tarball');
  });

  it('holds what users run and nothing else', (t) => {
    const size = fs.statSync(tarball).size;
    t.diagnostic(`tarball: ${(size / 1024).toFixed(1)} kB, ${files.length} files, ${files.filter((f) => f.endsWith('.d.ts')).length} .d.ts`);
    const has = (f) => files.includes(f);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'bin/home-energy.js', pkg.main, pkg.types, 'docs/zero-export-step.svg']) {
      assert.ok(has(f), `${f} is in the tarball`);
    }
    for (const [type, js] of Object.entries(pkg['node-red'].nodes)) {
      for (const f of [js, `dist/nodes/${type}/${type}.html`, `dist/nodes/${type}/locales/en-US/${type}.html`, `dist/nodes/${type}/locales/en-US/${type}.json`]) {
        assert.ok(has(f), `${type}: ${f}`);
      }
    }
    const examples = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json'));
    for (const f of examples) assert.ok(has(`examples/${f}`), `examples/${f}`);
    // The CLI (dist/cli after the move out of lib/, dist/lib/cli before) and the simulator.
    assert.ok(has('dist/cli/main.js') || has('dist/lib/cli/main.js'), 'the CLI is shipped');
    assert.ok(files.some((f) => f.startsWith('dist/lib/sim/')), 'the simulator is shipped');
    // Sample data once, under dist/lib/sim/data (where the simulator reads it).
    const csv = files.filter((f) => f.endsWith('.csv'));
    assert.ok(csv.length > 0, 'sample data is shipped');
    assert.deepEqual(csv.filter((f) => !f.startsWith('dist/lib/sim/data/')), [], 'sample data only once');
    assert.deepEqual(files.filter((f) => /(^|\/)bench\//.test(f)), [], 'no benchmarks');
    assert.deepEqual(files.filter((f) => /^(lib|nodes|test|scripts|cli|bench)\//.test(f)), [], 'no sources, tests or scripts');
    assert.deepEqual(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts')), [], 'no TypeScript sources');
    // Types: exactly those of the public API (pkg.types and what it refers to).
    const shipped = files.filter((f) => f.endsWith('.d.ts')).sort();
    assert.deepEqual(shipped, typeClosure(path.join(tmp, 'src'), pkg.types), '.d.ts only for the public API, and all of them');
  });

  it('installs into a fresh Node-RED user dir', () => {
    userDir = path.join(tmp, 'user');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true, version: '0.0.1' }));
    npm(['install', '--no-audit', '--no-fund', '--ignore-scripts=false', '--no-package-lock', tarball], userDir);
    installed = path.join(userDir, 'node_modules', pkg.name);
    assert.ok(fs.existsSync(path.join(installed, pkg.main)), 'installed with its dist/');
    const closure = typeClosure(installed, pkg.types);
    const missing = closure.filter((f) => !fs.existsSync(path.join(installed, f)));
    assert.deepEqual(missing, [], 'every .d.ts the public API refers to is installed');
  });

  it('works as a library: require() and one parser call', () => {
    assert.ok(installed, 'installed');
    const script = `const he = require(${JSON.stringify(pkg.name)}); const t = he.parseTelegram(process.argv[1]); const r = he.telegramToReading(t); console.log(JSON.stringify({ crc: t.crcValid, power: r.power, valid: he.validator(he.meterReadingSchema)(r) }));`;
    const out = execFileSync(process.execPath, ['-e', script, V1], { cwd: userDir, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), { crc: true, power: 1765, valid: null });
  });

  it('its types compile in a TypeScript program', () => {
    assert.ok(installed, 'installed');
    fs.writeFileSync(
      path.join(userDir, 'use.ts'),
      [
        `import { parseTelegram, telegramToReading, P1Framer, ZeroExportController, DEVICES } from '${pkg.name}';`,
        `import type { MeterReading, DeviceDescriptor, BatteryControl } from '${pkg.name}';`,
        "const framer = new P1Framer();",
        "const frames: string[] = framer.push('');",
        "const crcValid: boolean = parseTelegram(frames[0] ?? '').crcValid;",
        'const reading: MeterReading | null = null;',
        'const normalize: (...args: never[]) => MeterReading | null = telegramToReading;',
        'const d: DeviceDescriptor | undefined = DEVICES[0]?.descriptor;',
        'let battery: BatteryControl | undefined;',
        'export const used = [crcValid, reading, normalize, d, battery, ZeroExportController];',
        '',
      ].join('\n'),
    );
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--target', 'ES2022', '--module', 'commonjs', '--moduleResolution', 'node', '--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types'), 'use.ts'];
    try {
      execFileSync(process.execPath, [tsc, ...args], { cwd: userDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      assert.fail(`tsc on the installed package's types failed:\n${e.stdout}${e.stderr}`);
    }
  });

  it('its CLI answers --help', () => {
    assert.ok(installed, 'installed');
    const out = execFileSync(path.join(userDir, 'node_modules', '.bin', 'home-energy'), ['--help'], { cwd: userDir, encoding: 'utf8' });
    assert.match(out, /usage: home-energy/);
  });

  it('Node-RED loads every node type and lists the examples', async (t) => {
    assert.ok(installed, 'installed');
    const nrPkg = JSON.parse(fs.readFileSync(path.join(nodeRedDir, 'package.json'), 'utf8'));
    t.diagnostic(`Node-RED ${nrPkg.version} on Node ${process.version}`);
    const port = await freePort();
    fs.writeFileSync(
      path.join(userDir, 'settings.js'),
      `module.exports = ${JSON.stringify({
        uiHost: '127.0.0.1',
        uiPort: port,
        flowFile: 'flows.json',
        credentialSecret: 'pack-test',
        logging: { console: { level: 'info', metrics: false, audit: false } },
        telemetry: { enabled: false, updateNotification: false },
        diagnostics: { enabled: false, ui: false },
        externalModules: { autoInstall: false, palette: { allowInstall: false } },
        editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
      })};\n`,
    );
    fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');
    red = spawn(process.execPath, [path.join(nodeRedDir, 'red.js'), '--userDir', userDir, '--port', String(port), '--settings', path.join(userDir, 'settings.js')], {
      cwd: userDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_RED_ENABLE_PROJECTS: '' },
    });
    red.stdout.on('data', (d) => (redLog += d));
    red.stderr.on('data', (d) => (redLog += d));
    base = `http://127.0.0.1:${port}`;
    let sets;
    for (let i = 0; i < 240 && red.exitCode === null; i++) {
      try {
        const res = await fetch(`${base}/nodes`, { headers: { Accept: 'application/json' } });
        if (res.ok && /Started flows|Starting flows/.test(redLog)) {
          sets = await res.json();
          break;
        }
      } catch {
        /* not listening yet */
      }
      await sleep(250);
    }
    assert.ok(sets, `Node-RED did not start on ${base}:\n${redLog}`);
    const ours = sets.filter((s) => s.module === pkg.name);
    assert.deepEqual(ours.flatMap((s) => s.types).sort(), [...types].sort(), `every node type is registered; node sets: ${JSON.stringify(ours)}\n${redLog}`);
    for (const s of ours) {
      assert.equal(s.err, undefined, `node set ${s.id} failed to load: ${s.err}\n${redLog}`);
      assert.equal(s.enabled, true, `${s.id} enabled`);
      if ('loaded' in s) assert.equal(s.loaded, true, `${s.id} loaded`);
    }
    const mod = await fetch(`${base}/nodes/${pkg.name}`, { headers: { Accept: 'application/json' } });
    assert.equal(mod.status, 200);
    const info = await mod.json();
    assert.equal(info.version, pkg.version, 'the installed version is the one packed');
    assert.equal(info.local, true, 'loaded from the user dir (as after a palette install)');

    const ex = await fetch(`${base}/library/examples/flows/${pkg.name}`, { headers: { Accept: 'application/json' } });
    assert.equal(ex.status, 200, 'examples of the package are served');
    const listed = JSON.stringify(await ex.json());
    for (const f of fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json'))) {
      assert.ok(listed.includes(f.replace(/\.json$/, '')), `example "${f}" is listed: ${listed}`);
    }
    assert.doesNotMatch(redLog, /\[error\]/, 'no errors in the Node-RED log');
  });
});
