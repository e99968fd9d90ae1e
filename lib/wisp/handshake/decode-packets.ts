import { Observable, type OperatorFunction } from '../../rx.js';
import { WispError } from '../../errors.js';
import { decodePacket, decodeSplitPacket } from '../packet/decode.js';
import type { Packet } from '../packet/types.js';
import { isSplitMessage, messageBytes, type TransportMessage } from '../../transport/transport.js';

/**
 * Decodes transport messages (whole or split) into packets. A malformed message is reported
 * to `onMalformed` (as one buffer) and skipped: one bad packet must not take down the other
 * streams of the connection.
 * `extensionTypes` is read on every message, so the handshake can fill it in once agreed.
 */
export function decodePackets(
  onMalformed: (error: WispError, message: Uint8Array) => void,
  extensionTypes?: ReadonlySet<number>,
): OperatorFunction<TransportMessage, Packet> {
  return (source$) =>
    new Observable<Packet>((subscriber) =>
      source$.subscribe({
        next(message) {
          let packet: Packet;
          try {
            packet = isSplitMessage(message)
              ? decodeSplitPacket(message.head, message.body, extensionTypes)
              : decodePacket(message, extensionTypes);
          } catch (error) {
            if (!(error instanceof WispError)) throw error;
            onMalformed(error, messageBytes(message));
            return;
          }
          subscriber.next(packet);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
