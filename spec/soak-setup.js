/** Loaded by jest.soak.config.js only: the long soak unless the caller chose its size. */
process.env.SOAK_SECONDS ??= '30';
process.env.SOAK_CONNECTIONS ??= '8';
process.env.SOAK_WORKERS ??= '16';
