import { Observable, type OperatorFunction } from '../rx.js';
import type { MuxActor } from './actor.js';

/**
 * The actor as the last stage of a connection's pipeline: the first value from the
 * handshake (what it settled) makes the actor, which is emitted once; every later packet is
 * handed to it synchronously — one subscription per connection, nothing per packet. Once the
 * actor exists, the inbound end (completion or error) is its business: it ends its streams,
 * and this completes.
 */
export function muxActor<P, Settled>(make: (settled: Settled) => MuxActor): OperatorFunction<P | Settled, MuxActor> {
  return (source$) =>
    new Observable<MuxActor>((subscriber) => {
      let actor: MuxActor | undefined;
      return source$.subscribe({
        next(value) {
          if (actor) return actor.receive(value);
          actor = make(value as Settled);
          subscriber.next(actor);
        },
        error(error: unknown) {
          if (!actor) return subscriber.error(error);
          actor.inboundEnded(error);
          subscriber.complete();
        },
        complete() {
          actor?.inboundEnded();
          subscriber.complete();
        },
      });
    });
}
