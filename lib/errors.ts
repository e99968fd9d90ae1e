/**
 * Every failure wisp-rx reports is a {@link WispError} with a stable {@link WispErrorCode},
 * so callers can branch on `err.code` instead of parsing messages.
 */

/** Stable error codes. Names follow Rust's `wisp-mux` where one exists. */
export type WispErrorCode =
  // packet codec
  | 'PacketTooShort'
  | 'InvalidPacketType'
  | 'InvalidStreamType'
  | 'InvalidUtf8'
  | 'TrailingBytes'
  | 'PacketTooLarge'
  // smux and yamux framing (lib/smux, lib/yamux)
  | 'InvalidFrame'
  | 'InvalidVersion'
  // transport
  | 'TextFrame'
  | 'TransportClosed'
  | 'TransportError'
  // handshake and extensions
  | 'HandshakeTimeout'
  | 'HandshakeFailed'
  | 'IncompatibleProtocolVersion'
  | 'ExtensionsNotSupported'
  | 'InvalidExtensionMetadata'
  | 'PasswordExtensionCredsInvalid'
  | 'AuthRequired'
  | 'CertAuthExtensionSigInvalid'
  | 'ConnectionClosedByPeer'
  // multiplexer
  | 'UnexpectedPacket'
  | 'InvalidStreamId'
  | 'MaxStreamCountReached'
  | 'StreamAlreadyClosed'
  | 'StreamClosed'
  | 'Throttled'
  | 'KeepaliveTimeout'
  // gateway
  | 'DialFailed'
  | 'MuxClosed'
  | 'Unsupported'
  | 'InvalidArgument';

/**
 * Marks a WispError made by any copy of wisp-rx: a bundle that mixes the ES module and
 * CommonJS builds holds two WispError classes, and {@link isWispError} must accept both.
 * It lives on the prototype, not on each error: errors are made on busy paths (a refused
 * stream, a dropped connection), and a per-instance property or a `Symbol.hasInstance`
 * override measurably slowed a refused-CONNECT flood.
 */
const BRAND = Symbol.for('wisp-rx.WispError');

/**
 * The one error class wisp-rx throws, rejects with, or errors Observables with.
 * {@link isWispError} also accepts one from another copy of wisp-rx (it checks a brand);
 * `instanceof` follows the prototype chain as usual, so prefer `isWispError` in code that
 * may meet two copies.
 */
export class WispError extends Error {
  /** Stable, machine-readable code. */
  readonly code: WispErrorCode;
  /** For stream or connection closes: the raw Wisp close reason byte, when one applies. */
  readonly reason?: number;
  /** For `ExtensionsNotSupported`: the extension ids that were missing. */
  readonly extensionIds?: readonly number[];

  constructor(
    code: WispErrorCode,
    message: string,
    details: { reason?: number; extensionIds?: readonly number[]; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'WispError';
    this.code = code;
    if (details.reason !== undefined) this.reason = details.reason;
    if (details.extensionIds !== undefined) this.extensionIds = details.extensionIds;
  }
}
Object.defineProperty(WispError.prototype, BRAND, { value: true });

/** True when `err` is a {@link WispError} (from any copy of wisp-rx), optionally with the given code. */
export function isWispError(err: unknown, code?: WispErrorCode): err is WispError {
  const branded = err instanceof WispError || (typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true);
  return branded && (code === undefined || (err as WispError).code === code);
}
