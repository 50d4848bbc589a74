#!/usr/bin/env node
'use strict';
// `home-energy … | head` closes stdout early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
let main;
try {
  main = require('../dist/cli/main').main;
} catch (e) {
  console.error('home-energy: the package is not built; run `npm run build` first (' + e.message + ')');
  process.exit(1);
}
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A command that gave up (--timeout) may leave a retry timer or a socket behind: it has said
    // what it had to say, so do not wait for them.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (e) => {
    console.error('home-energy: ' + (e && e.message ? e.message : e));
    process.exitCode = 1;
  },
);
