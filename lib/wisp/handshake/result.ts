import type { ProtocolExtension } from '../extensions/extension.js';

/**
 * What a handshake operator emits first, before passing the connection's packets through.
 * It is told apart from a packet by `kind`.
 */
export interface HandshakeResult {
  readonly kind: 'handshake';
  /** Protocol version in force (1.0 or 2.x). */
  readonly version: { readonly major: number; readonly minor: number };
  /** Per-stream buffer size, in packets, announced by the server's CONTINUE on stream 0. */
  readonly bufferSize: number;
  /** Client only: true when v2 was offered but the server answered as v1. */
  readonly downgraded: boolean;
  /** Extensions both sides listed (v2), this side's instances. */
  readonly extensions: readonly ProtocolExtension[];
}
