/**
 * The long soak through the gateway, and the attack soak (spec/integration/attack.soak.ts,
 * SOAK_FLOOD_SECONDS per flood, default 10): `npm run soak`. Same setup as jest.config.js, but only
 * spec/integration/soak.spec.ts, scaled up by spec/soak-setup.js (30 s, 8 connections × 16
 * streams unless SOAK_SECONDS, SOAK_CONNECTIONS, SOAK_WORKERS are set; SOAK_SEED replays a run).
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  // The gateway soak, then the attack soak (floods against a spawned `wisp-rx serve`).
  testMatch: ['**/spec/integration/soak.spec.ts', '**/spec/integration/attack.soak.ts'],
  setupFiles: [...(base.setupFiles ?? []), '<rootDir>/spec/soak-setup.js'],
  // The soak runs lib/ through ts-jest; it does not need the built package (the attack
  // soak builds it for the spawned CLI itself).
  globalSetup: undefined,
  // One file at a time: the attack soak measures latency, which a parallel soak would skew.
  maxWorkers: 1,
};
