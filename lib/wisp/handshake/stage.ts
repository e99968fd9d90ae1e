import { Observable, type OperatorFunction } from '../../rx.js';
import type { Packet } from '../packet/types.js';
import type { HandshakeContext } from './context.js';
import { isNegotiation, type HandshakeValue, type Negotiation } from './negotiation.js';
import type { HandshakeResult } from './result.js';
import { MAX_EARLY_PACKETS } from './steps.js';

/** What a stage makes of the negotiation: the next one, the result, or undefined when it refused. */
export type StageAnswer = Negotiation | HandshakeResult | undefined;

/**
 * The helper every negotiation stage is built on (an extension's authentication, its answer,
 * the grant). Values pass straight through, except that a {@link Negotiation} goes to `work`:
 * until its answer settles the stage holds the packets behind it (at most
 * {@link MAX_EARLY_PACKETS}), then emits the answer and lets them go, in order. A `work` that
 * throws fails the handshake.
 */
export function negotiationStage(
  context: HandshakeContext,
  work: (negotiation: Negotiation) => StageAnswer | PromiseLike<StageAnswer>,
): OperatorFunction<HandshakeValue, HandshakeValue> {
  return (source$) =>
    new Observable<HandshakeValue>((subscriber) => {
      /** Packets behind the negotiation, while `work` has not answered. */
      let held: Packet[] | undefined;
      return source$.subscribe({
        next(value) {
          if (held !== undefined) {
            if (held.push(value as Packet) > MAX_EARLY_PACKETS) context.overflow();
            return;
          }
          if (!isNegotiation(value)) return subscriber.next(value);
          held = [];
          let answer: StageAnswer | PromiseLike<StageAnswer>;
          try {
            answer = work(value);
          } catch (error) {
            return context.fail(error);
          }
          context.await(answer, (next) => {
            if (next === undefined) return;
            const early = held ?? [];
            held = undefined;
            subscriber.next(next);
            for (const packet of early) subscriber.next(packet);
          });
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
