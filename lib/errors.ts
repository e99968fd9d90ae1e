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

/** The one error class wisp-rx throws, rejects with, or errors Observables with. */
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

/** True when `err` is a {@link WispError}, optionally with the given code. */
export function isWispError(err: unknown, code?: WispErrorCode): err is WispError {
  return err instanceof WispError && (code === undefined || err.code === code);
}
