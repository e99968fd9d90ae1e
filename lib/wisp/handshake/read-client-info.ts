import { Observable, type OperatorFunction } from '../../rx.js';
import { WispError } from '../../errors.js';
import type { ProtocolExtension } from '../extensions/extension.js';
import { ExtensionId } from '../extensions/ids.js';
import { CloseReason } from '../packet/close-reason.js';
import { encodeInfo } from '../packet/encode.js';
import { PacketType, type InfoPacket, type Packet } from '../packet/types.js';
import type { HandshakeContext } from './context.js';
import { metadataById, type HandshakeValue, type Negotiation } from './negotiation.js';
import { MAX_EARLY_PACKETS, all, describe, refusalError } from './steps.js';

/** Authentication extensions: password (0x02) and Ed25519 key auth (0x03). */
const AUTH_IDS: ReadonlySet<number> = new Set([ExtensionId.Password, ExtensionId.KeyAuth]);

/**
 * Server, first stage: sends INFO with this side's extensions (holding what the client sends
 * meanwhile), reads the client's INFO, checks versions and required extensions, has each
 * agreed extension read the client's metadata, and emits the {@link Negotiation}; later
 * packets pass through. Refuses with CLOSE(0, reason) where the client falls short.
 */
export function readClientInfo(
  context: HandshakeContext,
  extensions: readonly ProtocolExtension[],
  requiredExtensions: readonly number[],
): OperatorFunction<Packet, HandshakeValue> {
  return (source$) =>
    new Observable<HandshakeValue>((subscriber) => {
      let state: 'announcing' | 'info' | 'read' = 'announcing';
      const held: Packet[] = [];

      const onPacket = (packet: Packet): void => {
        if (state === 'read') return subscriber.next(packet);
        if (state === 'announcing') {
          if (held.push(packet) > MAX_EARLY_PACKETS) context.overflow();
          return;
        }
        const stream0 = packet.streamId === 0 && !('extension' in packet);
        if (stream0 && packet.type === PacketType.Info) {
          const negotiation = negotiate(context, packet, extensions, requiredExtensions);
          if (negotiation === undefined) return;
          state = 'read';
          context.arm('authentication');
          return subscriber.next(negotiation);
        }
        if (stream0 && packet.type === PacketType.Close) return context.fail(refusalError(packet.reason, 'client'));
        context.refuse(CloseReason.InvalidInfo, new WispError('HandshakeFailed', `expected the client's INFO, got ${describe(packet)}`));
      };

      const upstream = source$.subscribe({
        next(packet) {
          try {
            onPacket(packet);
          } catch (error) {
            context.fail(error);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      context.await(all(extensions.map((e) => e.encodeMetadata())), (metadata) => {
        context.send(serverInfo(extensions, metadata));
        state = 'info';
        for (const packet of held.splice(0)) onPacket(packet);
      });
      return upstream;
    });
}

/** Checks the client's INFO; the negotiation, or undefined when it refused the client. */
export function negotiate(
  context: HandshakeContext,
  info: InfoPacket,
  extensions: readonly ProtocolExtension[],
  requiredExtensions: readonly number[],
): Negotiation | undefined {
  if (info.major !== 2) {
    context.refuse(
      CloseReason.IncompatibleExtensions,
      new WispError('IncompatibleProtocolVersion', `the client speaks Wisp ${info.major}.${info.minor}; this server speaks 2.x`),
    );
    return undefined;
  }
  const answered = metadataById(info.extensions);
  // Password and key auth are alternatives: answering any auth extension the server offers
  // satisfies a required one (the client picks its method).
  const answeredAuth = extensions.some((e) => AUTH_IDS.has(e.id) && answered.has(e.id));
  for (const extension of extensions) {
    if (extension.requiredOfPeer && !answered.has(extension.id) && !(answeredAuth && AUTH_IDS.has(extension.id))) {
      const reason = extension.missingReason ?? CloseReason.IncompatibleExtensions;
      context.refuse(reason, refusalError(reason, 'client', [extension.id]));
      return undefined;
    }
  }
  // A copy of filter's result: filter grows it by pushing (room for 16), and the connection
  // keeps this array (its HandshakeResult's extensions) for its whole life.
  const agreed = extensions.filter((e) => answered.has(e.id)).slice();
  const missing = requiredExtensions.filter((id) => !agreed.some((e) => e.id === id));
  if (missing.length > 0) {
    context.refuse(
      CloseReason.IncompatibleExtensions,
      new WispError('ExtensionsNotSupported', `the client does not support required extensions ${missing.join(', ')}`, { extensionIds: missing }),
    );
    return undefined;
  }
  for (const extension of agreed) {
    try {
      extension.decodeMetadata(answered.get(extension.id)!);
    } catch (error) {
      const reason = error instanceof WispError && error.reason !== undefined ? error.reason : CloseReason.InvalidInfo;
      context.refuse(reason, error instanceof WispError ? error : new WispError('InvalidExtensionMetadata', String(error)));
      return undefined;
    }
  }
  // The minor version in force is the lower one; this side speaks 2.0.
  return { kind: 'negotiation', minor: Math.min(0, info.minor), agreed, peerMetadata: answered, answers: [] };
}

/** The server's INFO: version 2.0 and this side's extensions with their metadata. */
export function serverInfo(extensions: readonly ProtocolExtension[], metadata: readonly Uint8Array[]): Uint8Array {
  return encodeInfo(0, 2, 0, extensions.map((e, i) => ({ id: e.id, metadata: metadata[i] })));
}
