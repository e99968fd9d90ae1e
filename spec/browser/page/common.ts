/** Helpers shared by the page scripts (they run in Chromium, bundled by esbuild). */

/** `n` random bytes (getRandomValues fills at most 64 KiB per call). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function hexToBytes(hex: string): Uint8Array {
  return new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Rejects after `ms` unless `promise` settles first: no page-side wait is unbounded. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`page: timed out after ${ms} ms: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** An error as plain data, so it crosses page.evaluate. */
export function describeError(error: unknown): { name: string; code?: string; reason?: number; message: string } {
  const e = error as { name?: string; code?: string; reason?: number; message?: string };
  return { name: String(e?.name), code: e?.code, reason: e?.reason, message: String(e?.message ?? error) };
}

/** Installs the page's test functions for `run()` in harness/browser.ts. */
export function install(tests: Record<string, (...args: never[]) => unknown>): void {
  (window as unknown as { wispTests: unknown }).wispTests = tests;
}
