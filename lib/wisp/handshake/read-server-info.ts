import { Observable, type OperatorFunction } from '../../rx.js';
import { WispError } from '../../errors.js';
import type { ProtocolExtension } from '../extensions/extension.js';
import { ExtensionId } from '../extensions/ids.js';
import { CloseReason } from '../packet/close-reason.js';
import { PacketType, type InfoPacket, type Packet } from '../packet/types.js';
import type { HandshakeContext } from './context.js';
import { metadataById, type HandshakeValue, type Negotiation } from './negotiation.js';
import { describe, refusalError } from './steps.js';

/** Extension ids a v1 server provides implicitly (v1 mandates UDP). */
const V1_IMPLIED: ReadonlySet<number> = new Set([ExtensionId.Udp]);

/**
 * Client, first stage: the server's first packet decides. INFO: checks the version and the
 * required extensions, has each agreed extension read the server's metadata, and emits the
 * {@link Negotiation}. CONTINUE: a v1 server — emits the result (`downgraded`) at once.
 * CLOSE: the server refused. Later packets pass through.
 */
export function readServerInfo(
  context: HandshakeContext,
  extensions: readonly ProtocolExtension[],
  requiredExtensions: readonly number[],
): OperatorFunction<Packet, HandshakeValue> {
  const refuse = (missing: readonly number[]): void =>
    context.refuse(
      CloseReason.IncompatibleExtensions,
      new WispError('ExtensionsNotSupported', `the server does not support required extensions ${missing.join(', ')}`, { extensionIds: missing }),
    );

  const first = (packet: Packet): HandshakeValue | undefined => {
    const stream0 = packet.streamId === 0 && !('extension' in packet);
    if (stream0 && packet.type === PacketType.Close) return void context.fail(refusalError(packet.reason, 'server'));
    if (stream0 && packet.type === PacketType.Continue) {
      const missing = requiredExtensions.filter((id) => !V1_IMPLIED.has(id));
      if (missing.length > 0) return void refuse(missing);
      return { kind: 'handshake', version: { major: 1, minor: 0 }, bufferSize: packet.bufferRemaining, downgraded: true, extensions: [] };
    }
    if (stream0 && packet.type === PacketType.Info) return negotiate(packet);
    context.fail(new WispError('HandshakeFailed', `unexpected ${describe(packet)} during the handshake`));
    return undefined;
  };

  const negotiate = (info: InfoPacket): Negotiation | undefined => {
    if (info.major !== 2) {
      context.fail(new WispError('IncompatibleProtocolVersion', `the server speaks Wisp ${info.major}.${info.minor}; this client speaks 2.x`));
      return undefined;
    }
    const offered = metadataById(info.extensions);
    const agreed = extensions.filter((e) => offered.has(e.id));
    const missing = requiredExtensions.filter((id) => !agreed.some((e) => e.id === id));
    if (missing.length > 0) return void refuse(missing);
    for (const extension of agreed) extension.decodeMetadata(offered.get(extension.id)!);
    return { kind: 'negotiation', minor: info.minor, agreed, peerMetadata: offered, answers: [] };
  };

  return (source$) =>
    new Observable<HandshakeValue>((subscriber) => {
      let decided = false;
      return source$.subscribe({
        next(packet) {
          if (decided) return subscriber.next(packet);
          decided = true;
          let value: HandshakeValue | undefined;
          try {
            value = first(packet);
          } catch (error) {
            return context.fail(error);
          }
          if (value !== undefined) subscriber.next(value);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
