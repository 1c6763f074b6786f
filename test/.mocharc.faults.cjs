// Fault-injection suite: real deploys on the test bed's production host, interrupted on purpose
// (SIGKILL at each step, SSH dropped, disk full, database unreachable, changed host key, damaged
// backups, concurrent deploys). Needs the test bed (test/testbed/up.sh), root and dist/cli.js.
module.exports = {
  spec: ['test/faults/**/*.test.ts'],
  'node-option': ['import=tsx'],
  ui: 'tdd',
  timeout: 180000,
  slow: 10000,
  reporter: process.env.MOCHA_REPORTER || 'spec',
};
