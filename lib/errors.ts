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
  | 'MuxClosed'
  | 'Unsupported'
  | 'InvalidArgument';

/**
 * Marks a WispError made by any copy of wisp-rx: a bundle that mixes the ES module and
 * CommonJS builds holds two WispError classes, and a check must accept both.
 */
const BRAND = Symbol.for('wisp-rx.WispError');

/**
 * The one error class wisp-rx throws, rejects with, or errors Observables with.
 * `instanceof WispError` and {@link isWispError} also accept one from another copy of
 * wisp-rx (they check a brand, not only the prototype chain).
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
    Object.defineProperty(this, BRAND, { value: true });
    this.code = code;
    if (details.reason !== undefined) this.reason = details.reason;
    if (details.extensionIds !== undefined) this.extensionIds = details.extensionIds;
  }

  /** The prototype chain as usual, or (for WispError itself) the brand another copy set. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return this === WispError && typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** True when `err` is a {@link WispError} (from any copy of wisp-rx), optionally with the given code. */
export function isWispError(err: unknown, code?: WispErrorCode): err is WispError {
  return err instanceof WispError && (code === undefined || err.code === code);
}
