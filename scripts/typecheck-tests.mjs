#!/usr/bin/env node
// Type check of the tests (tsconfig.test.json: checkJs over test/**/*.js against the typed dist/).
// Tests feed the library wrong input on purpose and JavaScript's inferred types are loose, so the
// full list of TypeScript complaints is mostly noise (wrong argument types, union narrowing, catch
// values of type unknown). This reports only the diagnostics that mean a test refers to something
// that does not exist or cannot run: syntax errors, undefined names, missing modules or exports
// (a module deleted or renamed in lib/), misspelt properties, duplicate or const-reassigned names,
// use before declaration. Usage: node scripts/typecheck-tests.mjs [-p tsconfig.test.json]
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ts = createRequire(import.meta.url)('typescript');
const pi = process.argv.indexOf('-p');
const project = path.resolve(pi >= 0 ? process.argv[pi + 1] : path.join(root, 'tsconfig.test.json'));

/** Diagnostic codes reported (besides every syntax error, codes below 2000). */
const REPORTED = new Map([
  [2304, 'cannot find name'],
  [2552, 'cannot find name (did you mean)'],
  [2307, 'cannot find module'],
  [2305, 'module has no exported member'],
  [2614, 'module has no exported member'],
  [2724, 'module has no exported member (did you mean)'],
  [2694, 'namespace has no exported member'],
  [2551, 'property does not exist (did you mean)'],
  [2300, 'duplicate identifier'],
  [2451, 'cannot redeclare block-scoped variable'],
  [2588, 'cannot assign to a constant'],
  [2448, 'block-scoped variable used before its declaration'],
  [2454, 'variable used before being assigned'],
]);

/** Property 'x' does not exist on a module's exports (`const { x } = require('../../dist/...')`). */
const missingExport = (d, text) => d.code === 2339 && /on type 'typeof import\(/.test(text);

function relevant(d) {
  const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  return d.code < 2000 || REPORTED.has(d.code) || missingExport(d, text);
}

const config = ts.getParsedCommandLineOfConfigFile(project, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
if (config.errors.length) {
  console.error(ts.formatDiagnostics(config.errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
  process.exit(2);
}
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
const all = ts.getPreEmitDiagnostics(program);
const shown = all.filter(relevant);
const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
if (shown.length) process.stderr.write(ts.formatDiagnostics(shown, host));
const files = config.fileNames.filter((f) => f.endsWith('.js')).length;
console.log(`typecheck:tests: ${files} file(s), ${shown.length} error(s) reported (${all.length - shown.length} loose-typing diagnostic(s) not reported)`);
process.exit(shown.length ? 1 : 0);
