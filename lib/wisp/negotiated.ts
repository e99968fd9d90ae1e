import type { ExtensionBuilder, ProtocolExtension, Role } from './extensions/extension.js';
import { ExtensionId } from './extensions/ids.js';
import type { HandshakeResult } from './handshake/result.js';

/** Builds this connection's extension instances for a role. */
export function instantiate(builders: readonly ExtensionBuilder[], role: Role): ProtocolExtension[] {
  return builders.map((b) => b.create(role));
}

/** UDP is allowed on v1 (it mandates UDP) and on v2 when the UDP extension is agreed. */
export function udpAllowed(result: HandshakeResult): boolean {
  return result.version.major === 1 || result.extensions.some((e) => e.id === ExtensionId.Udp);
}

/** The stream-open confirmation extension is in force. */
export function confirmationAgreed(result: HandshakeResult): boolean {
  return result.extensions.some((e) => e.id === ExtensionId.StreamConfirmation);
}

/** The subprotocol through which a client offers Wisp v2 (as wisp-js does). */
export const WISP_V2_PROTOCOL = 'wisp-v2';
