import { Subject, type Observer, type Subscription } from '../rx.js';
import { joinBytes } from '../join-bytes.js';
import { isSplitMessage, type Transport, type TransportMessage } from '../transport/transport.js';

/**
 * A connection's outbound frames: the Subject the actor (and the handshake before it) emits
 * on and the transport drains. `writable` and `ondrain` carry the transport's backpressure
 * back: the outbox sends stream data only while `writable`. (A callback, not a Subject: it
 * has one listener, the outbox, and every connection would pay for a Subject and its
 * subscription.)
 */
export class Outbound extends Subject<TransportMessage> {
  /** False once the transport went over its high-water mark, until it drains. */
  writable = true;
  /** Called each time the transport drained below its low-water mark (the outbox's pump). */
  ondrain: (() => void) | undefined;
  /** The close code and reason to close the transport with once this completes. */
  ending: { readonly code: number; readonly reason: string } | undefined;
  /**
   * The transport's end (see {@link linkTransport}), called first and without a subscription:
   * it is there for the whole life of every connection, and a Subscriber chain would cost
   * each ~0.5 KiB. Other observers subscribe as to any Subject.
   */
  link: Observer<TransportMessage> | undefined;

  override next(message: TransportMessage): void {
    if (this.isStopped) return;
    this.link?.next(message);
    if (this.observed) super.next(message);
  }

  override error(error: unknown): void {
    if (this.isStopped) return;
    const link = this.link;
    this.link = undefined;
    super.error(error);
    link?.error(error);
  }

  override complete(): void {
    if (this.isStopped) return;
    const link = this.link;
    this.link = undefined;
    super.complete();
    link?.complete();
  }

  /** Completes the outbound frames: the transport closes with `code` after what was sent. */
  end(code: number, reason: string): void {
    if (this.ending) return;
    this.ending = { code, reason };
    this.complete();
  }
}

/**
 * Lets `transport` drain `outbound`: each frame is sent (split ones as two parts where the
 * transport can), `send` returning false shuts `writable` until it drains, and completing the
 * outbound closes the transport. One subscription per connection, to `drain$`; unsubscribing
 * it unlinks the transport.
 */
export function linkTransport(transport: Transport, outbound: Outbound): Subscription {
  const link = new TransportLink(transport, outbound);
  outbound.link = link;
  const drain = transport.drain$.subscribe(new DrainLink(transport, outbound));
  drain.add(() => {
    if (outbound.link === link) outbound.link = undefined;
  });
  return drain;
}

// Observers as classes, not object literals of closures: every connection holds both.
class TransportLink implements Observer<TransportMessage> {
  constructor(
    private readonly transport: Transport,
    private readonly outbound: Outbound,
  ) {}

  next(message: TransportMessage): void {
    const { transport } = this;
    let accepted: boolean;
    if (!isSplitMessage(message)) accepted = transport.send(message);
    else if (transport.sendSplit) accepted = transport.sendSplit(message.head, message.body);
    else accepted = transport.send(joinBytes(message.head, message.body));
    if (!accepted) this.outbound.writable = false;
  }

  error(): void {
    this.transport.close(1011, 'internal error');
  }

  complete(): void {
    const ending = this.outbound.ending;
    this.transport.close(ending?.code ?? 1000, ending?.reason ?? '');
  }
}

class DrainLink implements Observer<void> {
  constructor(
    private readonly transport: Transport,
    private readonly outbound: Outbound,
  ) {}

  next(): void {
    // Asked, not assumed: a control frame sent since the drain may have filled it again.
    const outbound = this.outbound;
    outbound.writable = this.transport.writable;
    if (outbound.writable) outbound.ondrain?.();
  }

  error(): void {} // a failing transport ends the connection through messages$

  complete(): void {}
}
