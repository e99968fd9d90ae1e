/** Loaded by jest.fuzz.config.js only: long runs unless the caller chose a count. */
process.env.FUZZ_RUNS ??= '100000';
