// Acceptance tests: applications on real frameworks (installed at test time from npm and Debian),
// taken through the real CLI (dist/cli.js) from build to deploy and rollback on the test bed's
// production host. Suites share that host's deploy lock and published ports, so they run serially.
module.exports = {
  // GL_ACCEPTANCE_ONLY=express,django runs those suites only (file names without .test.ts).
  spec: process.env.GL_ACCEPTANCE_ONLY
    ? process.env.GL_ACCEPTANCE_ONLY.split(',').map((n) => `test/acceptance/${n.trim()}.test.ts`)
    : ['test/acceptance/**/*.test.ts'],
  require: ['test/acceptance/hooks.ts'],
  'node-option': ['import=tsx'],
  ui: 'tdd',
  timeout: 600000,
  slow: 30000,
  parallel: false,
  bail: false,
  reporter: process.env.MOCHA_REPORTER || 'spec',
};
