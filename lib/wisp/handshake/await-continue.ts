import { Observable, type OperatorFunction } from '../../rx.js';
import { WispError } from '../../errors.js';
import { encodeInfo } from '../packet/encode.js';
import { PacketType, type Packet } from '../packet/types.js';
import type { HandshakeContext } from './context.js';
import { isNegotiation, type HandshakeValue, type Negotiation } from './negotiation.js';
import { describe, refusalError } from './steps.js';

/**
 * Client, last stage: sends this side's INFO with the answers, then waits for the server's
 * CONTINUE(0) and emits the {@link HandshakeResult} (CLOSE(0): refused). A result that is
 * already made (a v1 server) and later packets pass through.
 */
export function awaitContinue(context: HandshakeContext): OperatorFunction<HandshakeValue, HandshakeValue> {
  return (source$) =>
    new Observable<HandshakeValue>((subscriber) => {
      let waiting: Negotiation | undefined;
      let granted = false;
      return source$.subscribe({
        next(value) {
          if (granted) return subscriber.next(value);
          if (waiting === undefined) {
            if (!isNegotiation(value)) return subscriber.next(value);
            waiting = value;
            context.send(encodeInfo(0, 2, 0, value.answers));
            return context.arm('CONTINUE from the server');
          }
          const packet = value as Packet;
          const stream0 = packet.streamId === 0 && !('extension' in packet);
          if (stream0 && packet.type === PacketType.Close) return context.fail(refusalError(packet.reason, 'server'));
          if (!stream0 || packet.type !== PacketType.Continue) {
            return context.fail(new WispError('HandshakeFailed', `unexpected ${describe(packet)} during the handshake`));
          }
          const { minor, agreed } = waiting;
          granted = true;
          subscriber.next({ kind: 'handshake', version: { major: 2, minor }, bufferSize: packet.bufferRemaining, downgraded: false, extensions: agreed });
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
