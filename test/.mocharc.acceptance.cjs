// Acceptance tests: applications on real frameworks (installed at test time from npm and Debian),
// taken through the real CLI (dist/cli.js) from build to deploy and rollback on the test bed's
// production host. Suites share that host's deploy lock and published ports, so they run serially.
module.exports = {
  spec: ['test/acceptance/**/*.test.ts'],
  require: ['test/acceptance/hooks.ts'],
  'node-option': ['import=tsx'],
  ui: 'tdd',
  timeout: 600000,
  slow: 30000,
  parallel: false,
  bail: false,
  reporter: process.env.MOCHA_REPORTER || 'spec',
};
