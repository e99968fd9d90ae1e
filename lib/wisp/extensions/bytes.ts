/**
 * Small byte helpers shared by the extensions. Internal: not re-exported from the package.
 *
 * Everything here is universal (browsers and Node 20+): WebCrypto via `globalThis.crypto`,
 * `TextEncoder`/`TextDecoder`, `atob`. No Node built-ins, so the universal entry point stays
 * bundleable for browsers.
 */
const encoder = new TextEncoder();
// fatal: invalid UTF-8 must be an error, not silently become U+FFFD (two different byte
// strings would otherwise decode to the same username). ignoreBOM: a leading U+FEFF is part
// of the string on the wire and must not be stripped.
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of `text`. */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Strict UTF-8 decode; `undefined` when the bytes are not valid UTF-8. */
export function utf8DecodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Fresh random bytes from the platform CSPRNG. */
export function randomBytes(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** SHA-256 of `bytes` (WebCrypto, so async). */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  // Copy into a fresh ArrayBuffer-backed array: WebCrypto's typings (and some engines)
  // refuse views over SharedArrayBuffer, and `bytes` may be a view into a larger message.
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new Uint8Array(bytes));
  return new Uint8Array(digest);
}

/**
 * Compares two byte strings in time that depends only on their lengths, not on where they
 * first differ, so a remote timing measurement cannot recover a secret byte by byte.
 * Callers compare fixed-length digests, so the length check leaks nothing.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Plain (variable-time) equality, for public values such as key hashes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * True for a `Uint8Array` (a Node `Buffer` included), also one made in another realm (an
 * iframe, a Jest sandbox), where `instanceof Uint8Array` would say no.
 */
export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || (ArrayBuffer.isView(value) && value.constructor?.name === 'Uint8Array');
}
