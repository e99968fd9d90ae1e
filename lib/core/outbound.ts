import { Subject, Subscription, type Observer } from '../rx.js';
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

/** A transport that tells one observer of its drains directly, without a subscription (the socket transports). */
interface DrainWatchable {
  watchDrain(watcher: Partial<Observer<void>> | undefined): void;
}

function isDrainWatchable(transport: Transport): transport is Transport & DrainWatchable {
  return typeof (transport as Partial<DrainWatchable>).watchDrain === 'function';
}

/**
 * Lets `transport` drain `outbound`: each frame is sent (split ones as two parts where the
 * transport can), `send` returning false shuts `writable` until it drains, and completing the
 * outbound closes the transport. Returns the link: unsubscribing it unlinks the transport.
 * The drain is watched directly where the transport allows it, else through one
 * subscription to `drain$` (every connection has this link for its whole life: a
 * subscription and its finalisers cost ~0.6 KiB).
 */
export function linkTransport(transport: Transport, outbound: Outbound): Subscription {
  const link = new TransportLink(transport, outbound);
  outbound.link = link;
  const watchable = isDrainWatchable(transport) ? transport : undefined;
  const drain = new DrainLink(transport, outbound, link, watchable);
  if (watchable) watchable.watchDrain(drain);
  else transport.drain$.subscribe(drain); // eslint-disable-line rxjs-x/no-ignored-subscription -- it is `drain`, returned
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

/**
 * The drain's observer and the link's subscription in one (a Subscription that observes is
 * subscribed as it is, without a wrapper). The transport's end, or unsubscribing, unlinks.
 */
class DrainLink extends Subscription implements Observer<void> {
  constructor(
    private readonly transport: Transport,
    private readonly outbound: Outbound,
    private readonly link: TransportLink,
    private readonly watchable: DrainWatchable | undefined,
  ) {
    super();
  }

  next(): void {
    // Asked, not assumed: a control frame sent since the drain may have filled it again.
    const outbound = this.outbound;
    outbound.writable = this.transport.writable;
    if (outbound.writable) outbound.ondrain?.();
  }

  // A failing transport ends the connection through messages$; here it only unlinks.
  error(): void {
    this.unsubscribe();
  }

  complete(): void {
    this.unsubscribe();
  }

  override unsubscribe(): void {
    if (this.closed) return;
    if (this.outbound.link === this.link) this.outbound.link = undefined;
    this.watchable?.watchDrain(undefined);
    super.unsubscribe();
  }
}
