import type { OperatorFunction, Subscription } from 'rxjs';
import { WispError } from '../errors.js';
import { decodePackets } from '../handshake/decode-packets.js';
import { isHandshakeResult, type HandshakeResult } from '../handshake/result.js';
import type { ExtensionContext, ProtocolExtension } from '../extensions/extension.js';
import type { Packet } from '../packet/types.js';
import { CloseReason } from '../packet/close-reason.js';
import { encodeClose } from '../packet/encode.js';
import type { Transport } from '../transport/transport.js';
import { MuxActor, type ActorSettings } from './actor.js';

/** Callbacks of {@link runConnection}. */
export interface ConnectionHooks {
  /** The handshake finished; the actor is live. */
  ready(result: HandshakeResult, actor: MuxActor): void;
  /** The handshake failed; the transport has been closed. */
  failed(error: WispError): void;
}

/**
 * Wires one connection's pipeline: transport messages → packet decoding → handshake
 * operator → actor. Packet types of agreed extensions are added to the decoder's set
 * once the handshake has settled them. Returns the pipeline's subscription to the
 * transport (for diagnostics: it is closed once the transport's messages ended).
 */
export function runConnection(
  transport: Transport,
  handshake: OperatorFunction<Packet, Packet | HandshakeResult>,
  settings: (result: HandshakeResult) => ActorSettings,
  hooks: ConnectionHooks,
): { readonly closed: boolean } {
  const extensionTypes = new Set<number>();
  let actor: MuxActor | undefined;
  const byType = new Map<number, ProtocolExtension>();
  let context: ExtensionContext | undefined;
  const malformed = (error: WispError, message: Uint8Array): void => {
    if (actor) return actor.reportMalformed(error, message);
    if (failed) return;
    // Tell the peer why before closing (a malformed INFO is the usual case): InvalidInfo.
    transport.send(encodeClose(0, CloseReason.InvalidInfo));
    fail(new WispError('HandshakeFailed', `malformed packet during the handshake: ${error.message}`, { cause: error, reason: CloseReason.InvalidInfo }));
  };
  let failed = false;
  const fail = (error: unknown): void => {
    if (failed || actor) return;
    failed = true;
    subscription?.unsubscribe();
    transport.close(1002, 'wisp handshake failed');
    hooks.failed(error instanceof WispError ? error : new WispError('HandshakeFailed', String(error), { cause: error }));
  };
  let subscription: Subscription | undefined;
  subscription = transport.messages$.pipe(decodePackets(malformed, extensionTypes), handshake).subscribe({
    next(value) {
      if (actor) {
        const packet = value as Packet;
        if ('extension' in packet) return byType.get(packet.type)?.onPacket?.(packet, context!);
        return actor.receive(packet);
      }
      if (!isHandshakeResult(value)) return; // cannot happen: handshakes emit their result first
      for (const extension of value.extensions) {
        for (const type of extension.packetTypes ?? []) {
          extensionTypes.add(type);
          byType.set(type, extension);
        }
      }
      const live = new MuxActor(transport, settings(value));
      actor = live;
      context = { role: live.settings.role, send: (packet) => live.emitControl(packet), close: (reason) => live.shutdown(reason) };
      hooks.ready(value, live);
      for (const extension of value.extensions) extension.onReady?.(context);
    },
    error(error: unknown) {
      if (actor) actor.inboundEnded(error);
      else fail(error);
    },
    complete() {
      if (actor) actor.inboundEnded();
      else fail(new WispError('HandshakeFailed', 'the connection ended during the handshake'));
    },
  });
  if (failed) subscription.unsubscribe();
  return subscription;
}
