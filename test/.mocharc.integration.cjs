// Integration tests: real engines (Docker, the production host over SSH, PostgreSQL, PGlite).
// They read the test bed's addresses from its env file (test/testbed/bring-up.sh writes it).
module.exports = {
  spec: ['test/integration/**/*.test.ts'],
  'node-option': ['import=tsx'],
  ui: 'tdd',
  timeout: 180000,
  slow: 5000,
  reporter: process.env.MOCHA_REPORTER || 'spec',
};
