// ESLint (flat config): the recommended rules of ESLint and typescript-eslint over the library, the
// node runtimes, the CLI, the benchmarks, the scripts and the tests. `npm run lint` (part of
// `npm test`). Rules switched off below fire on deliberate patterns of this code base; each says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-artifacts/**', 'bench-out/**', 'bench-results/**', '.node-red-user/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused names are errors, except those marked unused on purpose with a leading underscore
      // (callback parameters a signature requires, `catch (_e)`, rest-omission `{ a: _a, ...rest }`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // The nodes and the library load optional or Node-RED-provided modules lazily with require()
      // inside functions (serialport only when a serial port is used; node-red's runtime objects).
      '@typescript-eslint/no-require-imports': 'off',
      // Node-RED node constructors keep `const node = this` for their callbacks (the documented
      // Node-RED pattern); the ES5 editor code does the same with `var self = this`.
      '@typescript-eslint/no-this-alias': 'off',
      // Protocol code matches control characters on purpose (NUL and other bytes in P1 telegrams).
      'no-control-regex': 'off',
      // `catch {}` is how "ignore this failure" (a file that may not exist) is written here.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // `let x = null;` (or `let ok = false;`) before branches that all assign it is the defensive
      // style used throughout; the type checker already flags a variable read before assignment.
      'no-useless-assignment': 'off',
    },
  },
  {
    // TypeScript sources: the type checker (tsc, strict) already reports undefined names.
    files: ['**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // CommonJS JavaScript: the tests, the bin entry, the fuzz runner.
    files: ['**/*.js'],
    ignores: ['nodes/**'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    // Tests: out-of-range literals (1e400) are the input under test; `const WebSocket =
    // require('ws')` shadows Node 22's global WebSocket on purpose.
    files: ['test/**/*.js'],
    rules: { 'no-loss-of-precision': 'off', 'no-redeclare': ['error', { builtinGlobals: false }] },
  },
  {
    // Editor tests: functions passed to page.evaluate() run in the browser, in the Node-RED editor
    // (RED, jQuery, and our editor helpers HomeEnergyEditor from nodes/_shared/editor.js).
    files: ['test/editor/**/*.js'],
    languageOptions: { globals: { ...globals.browser, $: 'readonly', RED: 'readonly', HomeEnergyEditor: 'readonly' } },
  },
  {
    // Untyped boundaries: Node-RED's runtime API and the benchmark registry's differently typed
    // entries are `any` on purpose, in these files only.
    files: ['nodes/_shared/red.ts', 'cli/bench.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
  {
    // The editor helpers run in the Node-RED editor (browser, jQuery, RED), ES5 style.
    files: ['nodes/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, $: 'readonly', jQuery: 'readonly', RED: 'readonly' } },
  },
);
