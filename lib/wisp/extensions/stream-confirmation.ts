import type { ExtensionBuilder, ProtocolExtension, Role } from './extension.js';
import { ExtensionId } from './ids.js';

/**
 * The stream open confirmation extension (0x05): when both sides list it, the server sends
 * a CONTINUE for a stream once its target socket is connected, and a client may wait for it
 * before sending data. Metadata is empty both ways; the behaviour lives in the multiplexer,
 * which checks whether id 0x05 is in force.
 *
 * Works for both roles.
 */
export function streamConfirmation(): ExtensionBuilder {
  return {
    id: ExtensionId.StreamConfirmation,
    // Stateless: every connection shares one instance (a connection keeps its extensions).
    create: (_role: Role): ProtocolExtension => SHARED,
  };
}

/** The one instance: nothing in it belongs to a connection. */
const SHARED: ProtocolExtension = {
  id: ExtensionId.StreamConfirmation,
  name: 'stream-confirmation',
  encodeMetadata: () => new Uint8Array(0),
  // Ignore any payload instead of refusing: the extension is a flag, and a future
  // revision adding fields should not break the connection.
  decodeMetadata: () => undefined,
};
