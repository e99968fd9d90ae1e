import type { ExtensionBuilder, ProtocolExtension, Role } from './extension.js';
import { ExtensionId } from './ids.js';

/**
 * The UDP extension (0x01): listing it says this side can carry UDP streams. Metadata is
 * empty both ways; the multiplexer only checks whether id 0x01 is in force before accepting
 * or sending a UDP CONNECT.
 *
 * Works for both roles.
 */
export function udp(): ExtensionBuilder {
  return {
    id: ExtensionId.Udp,
    // Stateless: every connection shares one instance (a connection keeps its extensions).
    create: (_role: Role): ProtocolExtension => SHARED,
  };
}

/** The one instance: nothing in it belongs to a connection. */
const SHARED: ProtocolExtension = {
  id: ExtensionId.Udp,
  name: 'udp',
  encodeMetadata: () => new Uint8Array(0),
  // Nothing to read. Non-empty metadata from a future revision is ignored rather than
  // refused: the extension's meaning (UDP allowed) does not depend on it.
  decodeMetadata: () => undefined,
};
