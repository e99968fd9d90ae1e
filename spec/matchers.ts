/**
 * Jest's asymmetric matchers, typed: @types/jest types `expect.objectContaining` and
 * `expect.stringMatching` as `any`, which leaks into every object literal they sit in.
 */
export function objectContaining(expected: Record<string, unknown>): unknown {
  return expect.objectContaining(expected);
}

export function stringMatching(expected: string | RegExp): unknown {
  return expect.stringMatching(expected);
}

/** What `fn` throws; fails the test if it returns normally. Use with `toMatchObject`. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, but it returned');
}

export function stringContaining(expected: string): unknown {
  return expect.stringContaining(expected);
}
