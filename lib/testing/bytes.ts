/**
 * Text ↔ bytes helpers for tests: marble values and assertions read better as text.
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of `text`. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** `text` decoded from UTF-8 bytes (one chunk, or several joined in order). */
export function text(chunks: Uint8Array | readonly Uint8Array[]): string {
  if (chunks instanceof Uint8Array) return decoder.decode(chunks);
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join('') + decoder.decode();
}

/** A marble `values` object with every string turned into its UTF-8 bytes. */
export function byteValues(values: Readonly<Record<string, string | Uint8Array>>): Record<string, Uint8Array> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, typeof value === 'string' ? bytes(value) : value]));
}
