/**
 * The `error` for an observer in a test whose stream is not expected to fail. RxJS reports an
 * error thrown here as an uncaught exception, which fails the running test with that error —
 * so a stream that errors is a visible failure, not a silently ignored one.
 */
export function failTest(error: unknown): never {
  throw error instanceof Error ? error : new Error(`stream failed: ${String(error)}`);
}
