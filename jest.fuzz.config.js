/**
 * Long property-based runs: `npm run fuzz`. Same setup as jest.config.js, but only the
 * `*.property.spec.ts` files, with FUZZ_RUNS defaulting to 100000 cases per property
 * (override with FUZZ_RUNS=..., reproduce a failure with FUZZ_SEED=...).
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['**/*.property.spec.ts'],
  setupFiles: [...(base.setupFiles ?? []), '<rootDir>/spec/fuzz-setup.js'],
  testTimeout: 15 * 60 * 1000,
};
