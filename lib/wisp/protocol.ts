import { identity, pipe, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { WispError } from '../errors.js';
import type { Protocol, Role, WireInput } from '../protocol.js';
import type { ExtensionContext } from './extensions/extension.js';
import { extensionPackets } from './extension-packets.js';
import { decodePackets } from './handshake/decode-packets.js';
import type { HandshakeResult } from './handshake/result.js';
import { confirmationAgreed, udpAllowed } from './negotiated.js';
import { CloseReason } from './packet/close-reason.js';
import { encodeClose } from './packet/encode.js';
import type { Packet } from './packet/types.js';
import { WispWire } from './wire.js';

/** Builds a handshake operator that sends through `send`. */
export type WispHandshake = (send: (frame: Uint8Array) => void, scheduler?: SchedulerLike) => OperatorFunction<Packet, Packet | HandshakeResult>;

/**
 * Wisp as a {@link Protocol}, for one connection: one packet per transport message (no
 * framing), the packet codec, the v1 or v2 handshake followed by the extension-packet
 * operator, and the {@link WispWire}.
 */
export function wispProtocol(role: Role, handshake: WispHandshake): Protocol<Packet, HandshakeResult> {
  const extensionTypes = new Set<number>();
  let input: WireInput | undefined;
  const context: ExtensionContext = {
    role,
    send: (packet) => input?.emit(packet),
    close: (reason) => input?.shutdown(reason),
  };
  return {
    name: 'wisp',
    framing: identity,
    decode: (report: (error: WispError, bytes: Uint8Array) => void) => decodePackets(report, extensionTypes),
    handshake: (send, scheduler) => pipe(handshake(send, scheduler), extensionPackets(extensionTypes, context)),
    refuseHandshake: () => ({ frame: encodeClose(0, CloseReason.InvalidInfo), reason: CloseReason.InvalidInfo }),
    wire(settled, core) {
      input = core;
      return new WispWire(core, { role, bufferSize: settled.bufferSize, confirmation: confirmationAgreed(settled), udp: udpAllowed(settled) });
    },
  };
}
