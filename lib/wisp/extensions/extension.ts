import type { Role } from '../../core/protocol.js';
import type { ExtensionPacket } from '../packet/types.js';

export type { Role } from '../../core/protocol.js';

/** What an extension may do during the connection (after the handshake). */
export interface ExtensionContext {
  readonly role: Role;
  /** Sends one raw packet (already encoded) on the connection. */
  send(packet: Uint8Array): void;
  /** Closes the whole connection with a reason. */
  close(reason: number): void;
}

/**
 * One extension on one connection, on one side. Created per connection by an
 * {@link ExtensionBuilder}, so it may keep per-connection state (a challenge, the peer's
 * parsed metadata).
 *
 * v2 handshake order: server INFO → client INFO → server accepts or refuses. An extension
 * is in force only when both INFOs list its id. In the handshake each one is a stage of its
 * own: `answerWith` (client, {@link encodeMetadata}) and `authenticateWith` (server,
 * {@link authenticate}) in `lib/wisp/handshake`.
 */
export interface ProtocolExtension {
  /** Extension id byte (0x01 UDP, 0x02 password, ...). */
  readonly id: number;
  /** Short name for logs and errors. */
  readonly name: string;
  /**
   * Server only: the client must list this extension (e.g. a required password). When it
   * does not, the server closes with {@link missingReason}.
   */
  readonly requiredOfPeer?: boolean;
  /** Close reason used when {@link requiredOfPeer} is not met (defaults to IncompatibleExtensions). */
  readonly missingReason?: number;
  /**
   * The metadata this side sends in its INFO. A server calls it with no argument; a client
   * calls it with the server's metadata for the same id (a client only sends extensions the
   * server listed, so it can answer a challenge). May be async (signing).
   */
  encodeMetadata(peerMetadata?: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /**
   * Reads the peer's metadata for this id. Throw a `WispError` (`InvalidExtensionMetadata`)
   * when it is malformed. On the server, a `reason` set on that error is the close reason to
   * refuse the connection with (the auth extensions set 0xc0 / 0xc1, so unreadable
   * credentials are refused like wrong ones, and their `authenticate()` returns the same
   * reason should it run anyway).
   */
  decodeMetadata(metadata: Uint8Array): void;
  /**
   * Server only, optional: runs after the client's INFO, once per agreed extension (auth).
   * Resolve to undefined to accept, or to a close reason byte to refuse the connection.
   */
  authenticate?(): Promise<number | undefined> | number | undefined;
  /** Packet type bytes this extension adds to the protocol (outside 0x01..0x05). */
  readonly packetTypes?: readonly number[];
  /** Called, once the handshake is done, for each packet of a type in {@link packetTypes}. */
  onPacket?(packet: ExtensionPacket, context: ExtensionContext): void;
  /** Called once when the connection is ready, with a context to send on. */
  onReady?(context: ExtensionContext): void;
}

/**
 * Creates a fresh {@link ProtocolExtension} per connection for one role. The exported
 * builders (`udp()`, `password(...)`, `keyAuth(...)`, `motd(...)`, `streamConfirmation()`)
 * return these.
 */
export interface ExtensionBuilder {
  /** Extension id the built instances carry. */
  readonly id: number;
  /** Builds the per-connection instance; throws `InvalidArgument` if not configured for `role`. */
  create(role: Role): ProtocolExtension;
}
