// Unit tests: no services, no network, no Docker. Fast and always runnable.
module.exports = {
  spec: ['test/unit/**/*.test.ts'],
  'node-option': ['import=tsx'],
  ui: 'tdd',
  timeout: 20000,
  reporter: process.env.MOCHA_REPORTER || 'spec',
};
