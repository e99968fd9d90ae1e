import { identity, pipe, type OperatorFunction, type SchedulerLike } from '../rx.js';
import type { WispError } from '../errors.js';
import type { Protocol, Role, WireInput } from '../core/protocol.js';
import type { TransportMessage } from '../transport/transport.js';
import type { ExtensionContext, ProtocolExtension } from './extensions/extension.js';
import { extensionPackets } from './extension-packets.js';
import { decodePackets } from './handshake/decode-packets.js';
import type { HandshakeResult } from './handshake/result.js';
import { confirmationAgreed, udpAllowed } from './negotiated.js';
import { CloseReason } from './packet/close-reason.js';
import { encodeClose } from './packet/encode.js';
import type { Packet } from './packet/types.js';
import { WispWire } from './wire.js';

/** Without the extension-packet stage nothing adds to the set: one shared, empty, for those connections. */
const NO_TYPES: Set<number> = new Set();

/** Builds a handshake operator that sends through `send`. */
export type WispHandshake = (send: (frame: Uint8Array) => void, scheduler?: SchedulerLike) => OperatorFunction<Packet, Packet | HandshakeResult>;

/**
 * Wisp as a {@link Protocol}, for one connection: one packet per transport message (no
 * framing), the packet codec, the v1 or v2 handshake followed by the extension-packet
 * operator (only where an extension can use it), and the {@link WispWire}. A class, not an
 * object of closures: every connection has one.
 */
class WispProtocol implements Protocol<Packet, HandshakeResult> {
  readonly name = 'wisp';
  readonly framing: OperatorFunction<TransportMessage, TransportMessage> = identity;
  /** Packet types agreed extensions decode; filled in by the extension-packet stage, the only writer. */
  private readonly extensionTypes: Set<number>;
  private input: WireInput | undefined;

  constructor(
    private readonly role: Role,
    private readonly makeHandshake: WispHandshake,
    /** The extension-packet stage is there only where an extension can use it: a stage costs every connection its subscribers. */
    private readonly extensionStage: boolean,
  ) {
    this.extensionTypes = extensionStage ? new Set() : NO_TYPES;
  }

  decode(report: (error: WispError, bytes: Uint8Array) => void): OperatorFunction<TransportMessage, Packet> {
    return decodePackets(report, this.extensionTypes);
  }

  handshake(send: (frame: Uint8Array) => void, scheduler?: SchedulerLike): OperatorFunction<Packet, Packet | HandshakeResult> {
    const handshake = this.makeHandshake(send, scheduler);
    if (!this.extensionStage) return handshake;
    // What agreed extensions send and close with, once the wire exists (made only here: most connections have no such stage).
    const context: ExtensionContext = { role: this.role, send: (packet) => this.input?.emit(packet), close: (reason) => this.input?.shutdown(reason) };
    return pipe(handshake, extensionPackets(this.extensionTypes, context));
  }

  refuseHandshake(): { readonly frame: Uint8Array; readonly reason: number } {
    return { frame: encodeClose(0, CloseReason.InvalidInfo), reason: CloseReason.InvalidInfo };
  }

  wire(settled: HandshakeResult, input: WireInput): WispWire {
    this.input = input;
    return new WispWire(input, { role: this.role, bufferSize: settled.bufferSize, confirmation: confirmationAgreed(settled), udp: udpAllowed(settled) });
  }
}

/** Wisp for one connection in `role`; `extensions`: this side's instances (v2), to know whether any sends packets of its own. */
export function wispProtocol(role: Role, handshake: WispHandshake, extensions: readonly ProtocolExtension[] = []): Protocol<Packet, HandshakeResult> {
  return new WispProtocol(role, handshake, extensions.some((e) => e.packetTypes !== undefined || e.onReady !== undefined));
}
