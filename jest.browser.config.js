/**
 * The Chromium suite (`npm run test:browser`): real pages in Debian's Chromium talking to the
 * real `wisp-rx serve`. Not part of `npm test`, because a machine may have no Chromium; it
 * fails (never skips) when Chromium is missing. The global setup builds dist/ for the CLI.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec/browser'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@noble/)'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/spec/global-setup.js',
  // Each spec file runs its own Chromium; two at a time is what a 2-core CI box carries.
  maxWorkers: 2,
  testTimeout: 60000,
};
