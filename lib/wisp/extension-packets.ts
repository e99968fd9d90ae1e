import { Observable, type OperatorFunction } from '../rx.js';
import type { ExtensionContext, ProtocolExtension } from './extensions/extension.js';
import type { HandshakeResult } from './handshake/result.js';
import type { Packet } from './packet/types.js';

/**
 * Agreed extensions during the connection, as an operator after the handshake: it adds the
 * packet types of the extensions the handshake settled to the decoder's set (`types`), hands
 * their packets to them (they never reach the actor) and calls each extension's `onReady`
 * once the connection is live (after the result went downstream, where the actor is made).
 */
export function extensionPackets(types: Set<number>, context: ExtensionContext): OperatorFunction<Packet | HandshakeResult, Packet | HandshakeResult> {
  return (source$) =>
    new Observable<Packet | HandshakeResult>((subscriber) => {
      let byType: Map<number, ProtocolExtension> | undefined;
      let settled = false;
      return source$.subscribe({
        next(value) {
          if (settled) {
            const packet = value as Packet;
            if (byType !== undefined && 'extension' in packet) return void byType.get(packet.type)?.onPacket?.(packet, context);
            return subscriber.next(value);
          }
          settled = true;
          const result = value as HandshakeResult;
          for (const extension of result.extensions) {
            for (const type of extension.packetTypes ?? []) {
              types.add(type);
              (byType ??= new Map()).set(type, extension);
            }
          }
          subscriber.next(result);
          for (const extension of result.extensions) extension.onReady?.(context);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
