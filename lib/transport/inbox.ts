import { nextMacrotask } from './macrotask.js';
import { Observable, type Subscriber } from '../rx.js';
import { WispError } from '../errors.js';
import type { TransportMessage } from './transport.js';

/**
 * Messages one connection may deliver within one event-loop turn. Beyond it the inbox holds
 * the rest and stops the socket until the next turn (the next macrotask, after other sockets'
 * I/O): libuv reads a readable socket up to 32 times (2 MiB) per poll, which is ~90,000 small
 * packets, so a flooding client would otherwise hold the loop — and every other client — for
 * most of a second. Bulk DATA (64 KiB packets) never gets near it.
 */
const MESSAGES_PER_TURN = 256;

/**
 * Messages all connections of this process may deliver within one turn: 32 connections of
 * one client each sending 256 CONNECTs arrive in one poll phase, and at ~30 µs per CONNECT
 * (stream record, policy check, dial queued) a per-connection budget alone still let that
 * hold the loop for ~250 ms. Past this budget every inbox holds what it has until the next
 * turn; the inboxes that yielded first resume first, so turns go round.
 */
const MESSAGES_PER_TURN_ALL = 1024;

/**
 * Deliveries after which the turn's end is watched for. An immediate per turn would cost a
 * ping-pong workload (one packet a turn) ~10% of its round trips, so the counts run on
 * across quiet turns and the reset is scheduled only once they reach this: a busy turn's
 * budget is then at most this much smaller, never larger.
 */
const WATCH_FROM = 64;

/**
 * The process-wide turn: one macrotask (not one per connection or packet) ends it,
 * resets the budgets and resumes, in order, the inboxes that yielded.
 */
const turns = { id: 0, delivered: 0, scheduled: false, yielded: [] as Inbox[] };
function turnInUse(): void {
  if (turns.scheduled) return;
  turns.scheduled = true;
  nextMacrotask(endTurn);
}
function endTurn(): void {
  turns.scheduled = false;
  turns.id++;
  turns.delivered = 0;
  const yielded = turns.yielded;
  turns.yielded = [];
  for (const inbox of yielded) inbox.nextTurn();
}

/**
 * The inbound half of a socket-backed transport: hands received messages to the single
 * reader of `messages$`, in order, and holds them while nobody can take them (not yet
 * subscribed, or paused). Holding is bounded by telling the socket to stop reading
 * (see the `onFlowChange` callback), so the queue only ever holds what was already in flight.
 * @internal
 */
export class Inbox {
  /** The transport's `messages$`: one reader at a time; completes or errors once the socket ends. */
  readonly messages$: Observable<TransportMessage>;

  private readonly queue: (TransportMessage | undefined)[] = [];
  private head = 0;
  private reader: Subscriber<TransportMessage> | undefined;
  private paused = false;
  /** False once the transport is closing locally: later messages are discarded. */
  private accepting = true;
  private ended = false;
  private failure: WispError | undefined;
  private scheduled = false;
  /** Guards against re-entrant delivery (a reader calling back into the transport). */
  private delivering = false;
  private flowingNow = false;
  /** Messages delivered in turn {@link turnId} (see {@link MESSAGES_PER_TURN}). */
  private thisTurn = 0;
  private turnId = -1;
  /** The turn's budget is spent: held until the next turn. */
  private yielding = false;

  /**
   * @param onFlowChange Called with `false` when the socket should stop reading (nobody can
   *   take messages) and `true` when it should read again.
   */
  constructor(private readonly onFlowChange: (flowing: boolean) => void) {
    this.messages$ = new Observable<TransportMessage>((subscriber) => {
      if (this.reader) {
        subscriber.error(new WispError('InvalidArgument', 'a transport has exactly one reader'));
        return;
      }
      this.reader = subscriber;
      this.updateFlow();
      // Deliver what was held on a later microtask, as the in-memory transport does, so a
      // subscribe call never re-enters the subscriber's own code.
      this.schedule();
      return () => {
        if (this.reader !== subscriber) return;
        this.reader = undefined;
        this.updateFlow();
      };
    });
  }

  /**
   * Whether the socket should be reading. True while a reader takes messages, and also
   * once the transport is closing or failed: the socket must keep reading to see the peer's
   * close frame, and from then on nothing more is queued.
   */
  get flowing(): boolean {
    return this.flowingNow;
  }

  /** A message arrived from the socket. */
  push(message: TransportMessage): void {
    if (!this.accepting || this.ended || this.failure) return;
    this.queue.push(message);
    this.deliver();
  }

  /** Holds delivery until {@link resume}. */
  pause(): void {
    this.paused = true;
    this.updateFlow();
  }

  /** Releases held messages (on a microtask) and lets the socket read again. */
  resume(): void {
    this.paused = false;
    this.updateFlow();
    this.schedule();
  }

  /** The transport is closing locally: accept nothing more, but deliver what is held. */
  stopAccepting(): void {
    this.accepting = false;
    this.updateFlow();
  }

  /** Clean close: deliver what is held (honouring pause), then complete. */
  end(): void {
    if (this.ended || this.failure) return;
    this.ended = true;
    this.deliver();
  }

  /**
   * Abnormal end: drop what is held and error the reader now (even if paused) — a failed
   * connection should be reported promptly, not after the reader catches up. The error
   * is kept for a reader that has not subscribed yet.
   */
  fail(error: WispError): void {
    if (this.ended || this.failure) return;
    this.failure = error;
    this.queue.length = 0;
    this.head = 0;
    this.updateFlow();
    this.deliver();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.deliver();
    });
  }

  private deliver(): void {
    // A re-entrant call (from inside reader.next) leaves the work to the outer loop,
    // which re-checks every condition on each iteration.
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.reader && !this.paused && !this.yielding && !this.failure && this.head < this.queue.length) {
        if (this.turnId !== turns.id) {
          this.turnId = turns.id;
          this.thisTurn = 0;
        }
        if (this.thisTurn >= MESSAGES_PER_TURN || turns.delivered >= MESSAGES_PER_TURN_ALL) {
          // The turn's budget is spent: hold the rest, stop the socket, go on next turn.
          this.yielding = true;
          turns.yielded.push(this);
          turnInUse();
          this.updateFlow();
          break;
        }
        const message = this.queue[this.head]!;
        this.queue[this.head++] = undefined;
        this.thisTurn++;
        if (++turns.delivered === WATCH_FROM) turnInUse();
        this.reader.next(message);
      }
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      this.settle();
    } finally {
      this.delivering = false;
    }
  }

  /** Ends the reader once nothing is left to deliver. The end is sticky: a later reader sees it too. */
  private settle(): void {
    const reader = this.reader;
    if (!reader) return;
    if (this.failure) {
      this.reader = undefined;
      this.updateFlow();
      reader.error(this.failure);
    } else if (this.ended && this.head === this.queue.length) {
      this.reader = undefined;
      this.updateFlow();
      reader.complete();
    }
  }

  /** @internal A new turn: the budget is back; deliver what was held for it. */
  nextTurn(): void {
    if (!this.yielding) return;
    this.yielding = false;
    this.updateFlow();
    this.deliver();
  }

  private updateFlow(): void {
    const flowing =
      this.failure !== undefined || !this.accepting || (this.reader !== undefined && !this.paused && !this.yielding);
    if (flowing === this.flowingNow) return;
    this.flowingNow = flowing;
    this.onFlowChange(flowing);
  }
}
