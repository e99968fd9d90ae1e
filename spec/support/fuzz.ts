/**
 * What property specs share: fast-check parameters from FUZZ_RUNS / FUZZ_SEED (`npm run fuzz`
 * raises the runs, spec/fuzz-setup.js), and `cutAt` for "any cut of a byte stream" (joined
 * again with lib/join-bytes.ts).
 */
import type * as fc from 'fast-check';

/** fast-check parameters: FUZZ_RUNS cases (else `defaultRuns`, divided by `divisor` for heavy properties), FUZZ_SEED to reproduce. */
export function fuzzParams(defaultRuns = 2000, divisor = 1): fc.Parameters<unknown> {
  const runs = Math.max(1, Math.floor(Number(process.env.FUZZ_RUNS ?? defaultRuns) / divisor));
  const seed = process.env.FUZZ_SEED;
  return seed === undefined ? { numRuns: runs } : { numRuns: runs, seed: Number(seed) };
}

/** Cuts `bytes` at the given offsets (taken mod length + 1, any order, repeats allowed; empty chunks kept). */
export function cutAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}
