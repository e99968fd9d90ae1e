import { Observable, Subject, Subscription, type Observer, type OperatorFunction, type Subscriber } from '../../rx.js';
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
  options: PhaseOptions,
  stages: (context: HandshakeContext) => OperatorFunction<Packet, HandshakeValue>,
): OperatorFunction<Packet, Packet | HandshakeResult> {
  return (source$) =>
    new Observable<Packet | HandshakeResult>((subscriber) => {
      const phase = new Phase(subscriber, options, stages);
      // An Observer that is a Subscription subscribes as it is (no wrapper); the source's
      // teardown is added to it.
      source$.subscribe(phase); // eslint-disable-line rxjs-x/no-ignored-subscription -- it is `phase`, returned below
      return phase;
    });
}

type PhaseOptions = HandshakeContextOptions & { readonly firstStep: string };

/**
 * One subscription of {@link handshakePhase}: the observer of the connection's packets and
 * its teardown. A class with fields rather than closures, so that once settled it holds only
 * its subscriber: what the handshake needed is released with the stages.
 */
class Phase extends Subscription implements Observer<Packet> {
  private settled = false;
  /** The packets for the stages, until settled. */
  private phase$: Subject<Packet> | undefined = new Subject<Packet>();
  private running: Subscription | undefined;
  private context: HandshakeContext | undefined;
  private tearingDown = false;

  constructor(
    private readonly subscriber: Subscriber<Packet | HandshakeResult>,
    options: PhaseOptions,
    stages: (context: HandshakeContext) => OperatorFunction<Packet, HandshakeValue>,
  ) {
    super();
    const context = (this.context = new HandshakeContext(
      options,
      (error) => {
        this.drop();
        subscriber.error(error);
      },
      () => this.settled && this.drop(),
    ));
    this.running = this.phase$!.pipe(stages(context)).subscribe({
      next: (value) => this.fromStages(value),
      error: (error: unknown) => this.fail(error),
    });
    if (this.settled) this.drop();
    else context.arm(options.firstStep);
  }

  /** Ends the stages first (what an initial teardown would do, without a closure per connection), then the rest. */
  override unsubscribe(): void {
    if (this.closed || this.tearingDown) return;
    this.tearingDown = true;
    this.context?.end();
    this.drop();
    super.unsubscribe();
  }

  next(packet: Packet): void {
    const phase$ = this.phase$;
    if (phase$ === undefined) return this.subscriber.next(packet);
    phase$.next(packet);
    if (this.settled) this.drop();
  }

  error(error: unknown): void {
    if (this.settled) this.subscriber.error(error);
    else this.fail(error);
  }

  complete(): void {
    if (this.settled) this.subscriber.complete();
    else this.fail(new WispError('HandshakeFailed', 'the connection ended during the handshake'));
  }

  private fromStages(value: HandshakeValue): void {
    if (isNegotiation(value)) return this.fail(new WispError('HandshakeFailed', 'the handshake stages ended without a result'));
    if (isHandshakeResult(value)) {
      this.settled = true;
      this.context?.end();
    }
    this.subscriber.next(value);
  }

  private fail(error: unknown): void {
    this.context?.fail(error);
  }

  private drop(): void {
    this.running?.unsubscribe();
    this.running = this.phase$ = undefined;
    if (this.settled) this.context = undefined;
  }
}

/** `first` followed by `stages`, in order, as one operator (a `pipe` over a list). */
export function chain(
  first: OperatorFunction<Packet, HandshakeValue>,
  stages: readonly OperatorFunction<HandshakeValue, HandshakeValue>[],
): OperatorFunction<Packet, HandshakeValue> {
  return (source$) => stages.reduce((value$, stage) => value$.pipe(stage), source$.pipe(first));
}
