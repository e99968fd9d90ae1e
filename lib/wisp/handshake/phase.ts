import { Observable, Subject, type OperatorFunction, type Subscription } from 'rxjs';
import { WispError } from '../../errors.js';
import type { Packet } from '../packet/types.js';
import { HandshakeContext, type HandshakeContextOptions } from './context.js';
import { isHandshakeResult, isNegotiation, type HandshakeValue } from './negotiation.js';
import type { HandshakeResult } from './result.js';

/**
 * Runs a v2 handshake built of stages: `stages(context)` is an operator pipeline (read the
 * peer's INFO, one stage per extension step, grant or await CONTINUE) fed the connection's
 * packets until it emits the {@link HandshakeResult}. Then the stages are dropped and later
 * packets pass straight through this one operator: the stages cost the handshake, not the
 * connection. Until then, an upstream error, an early end, a stage's failure and the step
 * timer (`firstStep` is what it waits for first) all fail it.
 */
export function handshakePhase(
  options: HandshakeContextOptions & { readonly firstStep: string },
  stages: (context: HandshakeContext) => OperatorFunction<Packet, HandshakeValue>,
): OperatorFunction<Packet, Packet | HandshakeResult> {
  return (source$) =>
    new Observable<Packet | HandshakeResult>((subscriber) => {
      let settled = false;
      let phase$: Subject<Packet> | undefined = new Subject<Packet>();
      let running: Subscription | undefined;
      // Released with the stages once settled: the connection keeps none of the handshake.
      let context: HandshakeContext | undefined;
      const drop = (): void => {
        running?.unsubscribe();
        running = phase$ = undefined;
        if (settled) context = undefined;
      };
      const fail = (error: unknown): void => context?.fail(error);
      context = new HandshakeContext(
        options,
        (error) => {
          drop();
          subscriber.error(error);
        },
        () => settled && drop(),
      );
      running = phase$.pipe(stages(context)).subscribe({
        next(value) {
          if (isNegotiation(value)) return fail(new WispError('HandshakeFailed', 'the handshake stages ended without a result'));
          if (isHandshakeResult(value)) {
            settled = true;
            context?.end();
          }
          subscriber.next(value);
        },
        error: fail,
      });
      if (settled) drop();
      else context.arm(options.firstStep);
      const upstream = source$.subscribe({
        next(packet) {
          if (phase$ === undefined) return subscriber.next(packet);
          phase$.next(packet);
          if (settled) drop();
        },
        error: (error: unknown) => (settled ? subscriber.error(error) : fail(error)),
        complete() {
          if (settled) subscriber.complete();
          else fail(new WispError('HandshakeFailed', 'the connection ended during the handshake'));
        },
      });
      return () => {
        context?.end();
        drop();
        upstream.unsubscribe();
      };
    });
}

/** `first` followed by `stages`, in order, as one operator (a `pipe` over a list). */
export function chain(
  first: OperatorFunction<Packet, HandshakeValue>,
  stages: readonly OperatorFunction<HandshakeValue, HandshakeValue>[],
): OperatorFunction<Packet, HandshakeValue> {
  return (source$) => stages.reduce((value$, stage) => value$.pipe(stage), source$.pipe(first));
}
