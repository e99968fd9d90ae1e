/** Unit, integration and interop tests. Long runs live in jest.soak/fuzz configs. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  // The Chromium suite needs a browser: `npm run test:browser` (jest.browser.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/spec/browser/'],
  transform: {
    // @noble/ed25519 ships ES modules only; ts-jest turns it into CommonJS for Jest.
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@noble/)'],
  // Sources import with ".js" extensions (needed by the ESM build); map them back for Jest.
  // Examples import the package by name, as users do: that is the build in dist/.
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^wisp-rx$': '<rootDir>/dist/cjs/index.js',
    '^wisp-rx/(node|node-client|smux|yamux|testing)$': '<rootDir>/dist/cjs/$1.js',
  },
  globalSetup: '<rootDir>/spec/global-setup.js',
  testTimeout: 30000,
};
