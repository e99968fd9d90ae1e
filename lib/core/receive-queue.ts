import { Observable, type Observer, type Subscriber, type Subscription } from '../rx.js';
import { PlainSubscriber, isPlainObserver, type PlainObserver } from './plain-subscriber.js';

/** What a {@link ReceiveQueue} reports to its owner; one object shared by every stream of a connection. */
export interface QueueHooks<Owner> {
  /** `frames` chunks of `bytes` bytes were handed to readers (consumption: window updates, resuming). */
  delivered(owner: Owner, frames: number, bytes: number): void;
  /** The last reader left before the end: the stream is torn down. */
  abandoned(owner: Owner): void;
}

/**
 * The receive buffer of one stream. Chunks are delivered to subscribers as they arrive while
 * the queue is flowing (at least one subscriber, not paused); otherwise they queue here. The
 * owner bounds how much may queue (receive windows, or pausing the transport).
 *
 * Each delivery is reported through the hooks, which is how consumption turns into window
 * updates and transport resumption; the last reader leaving early is reported too, so that
 * `take(1)` or an early `break` tears the stream down instead of stalling the connection.
 *
 * The queue is itself the stream's `data$` Observable, and an idle one holds no arrays of its
 * own (they start as shared empty ones): with thousands of open streams, every closure and
 * array per stream shows in the heap. For the same reason `subscribe(next)` and
 * `subscribe(observer)` get a {@link QueueReader} (see `PlainSubscriber`) instead of RxJS's
 * subscriber, observer and teardown objects; Subscribers (operators, `pipe`) go through RxJS.
 */
export class ReceiveQueue<Owner> extends Observable<Uint8Array> {
  private chunks: Uint8Array[] = NO_CHUNKS;
  private head = 0;
  private listeners: readonly Listener[] = NO_LISTENERS;
  /** Paused, delivering and finished, as bits (one field rather than three per stream). */
  private state = 0;
  private endState: { error?: unknown } | undefined;
  /** Bytes queued and not yet delivered. */
  bytes = 0;

  constructor(
    private readonly owner: Owner,
    private readonly hooks: QueueHooks<Owner>,
  ) {
    super();
  }

  override subscribe(observerOrNext?: PlainObserver<Uint8Array> | null, ...rest: unknown[]): Subscription {
    if (!isPlainObserver<Uint8Array>(observerOrNext, rest.length)) {
      return super.subscribe(observerOrNext as unknown as Partial<Observer<Uint8Array>>, ...(rest as []));
    }
    const reader = new QueueReader(this, observerOrNext);
    this.add(reader);
    return reader;
  }

  /** RxJS's subscribe path ends here; a prototype method, so no per-queue `_subscribe` field. */
  protected _subscribe(subscriber: Subscriber<Uint8Array>): () => void {
    return this.attach(subscriber);
  }

  /** Chunks queued and not yet delivered. */
  get length(): number {
    return this.chunks.length - this.head;
  }

  /** True once the end (completion or error) has been delivered to subscribers. */
  get ended(): boolean {
    return (this.state & FINISHED) !== 0;
  }

  /** Queues (or, when flowing, delivers) one chunk. */
  push(chunk: Uint8Array): void {
    if (this.endState) return;
    if (this.chunks === NO_CHUNKS) this.chunks = [chunk];
    else this.chunks.push(chunk);
    this.bytes += chunk.length;
    this.flush();
  }

  /** Ends the inbox: queued chunks are still delivered first, then completion (or the error). */
  end(error?: unknown): void {
    if (this.endState) return;
    this.endState = error === undefined ? {} : { error };
    this.flush();
  }

  /** Ends now, dropping what is queued (a local close discards unread data). */
  discard(error?: unknown): void {
    this.chunks = NO_CHUNKS;
    this.head = 0;
    this.bytes = 0;
    this.endState = undefined;
    this.end(error);
  }

  pause(): void {
    this.state |= PAUSED;
  }

  resume(): void {
    if ((this.state & PAUSED) === 0) return;
    this.state &= ~PAUSED;
    this.flush();
  }

  get isPaused(): boolean {
    return (this.state & PAUSED) !== 0;
  }

  /** Subscribers attached (diagnostics: see `MuxActor.debugState`). */
  get listenerCount(): number {
    return this.listeners.length;
  }

  /** @internal Adds a subscriber (see `MuxStream.data$`); returns the teardown. */
  attach(subscriber: Subscriber<Uint8Array>): () => void {
    if (!this.add(subscriber)) return () => undefined;
    return () => this.detach(subscriber);
  }

  /** @internal Removes a listener; the last one leaving before the end abandons the stream. */
  detach(listener: Listener): void {
    if (!this.listeners.includes(listener)) return;
    this.listeners = this.listeners.filter((l) => l !== listener);
    if (this.listeners.length === 0 && (this.state & FINISHED) === 0) this.hooks.abandoned(this.owner);
  }

  /** Adds a listener and delivers what is queued; false if the end was already delivered (to it, now). */
  private add(listener: Listener): boolean {
    if (this.state & FINISHED) {
      this.finishOne(listener);
      return false;
    }
    // An exact-size array: a spread or push of one element reserves room for 17 (152 B).
    this.listeners = this.listeners.length === 0 ? [listener] : [...this.listeners, listener];
    this.flush();
    return true;
  }

  private flush(): void {
    // Re-entrancy guard: a subscriber may push, pause or end from inside `next`.
    if (this.state & DELIVERING) return;
    this.state |= DELIVERING;
    try {
      let delivered = 0;
      let bytes = 0;
      while ((this.state & PAUSED) === 0 && this.listeners.length > 0 && this.head < this.chunks.length) {
        const chunk = this.chunks[this.head];
        this.chunks[this.head++] = EMPTY;
        this.bytes -= chunk.length;
        bytes += chunk.length;
        delivered++;
        const listeners = this.listeners;
        for (let i = 0; i < listeners.length; i++) listeners[i].next(chunk);
      }
      if (this.head === this.chunks.length && this.head > 0) {
        this.chunks = NO_CHUNKS;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.chunks.length) {
        this.chunks = this.chunks.slice(this.head);
        this.head = 0;
      }
      if (delivered > 0) this.hooks.delivered(this.owner, delivered, bytes);
      if (this.endState && this.head === this.chunks.length && (this.state & FINISHED) === 0) {
        // Completion waits for a subscriber: ending with nobody listening would lose it.
        if (this.listeners.length > 0 || this.endState.error !== undefined) this.finishAll();
      }
    } finally {
      this.state &= ~DELIVERING;
    }
  }

  private finishAll(): void {
    this.state |= FINISHED;
    const listeners = this.listeners;
    this.listeners = NO_LISTENERS;
    for (const l of listeners) this.finishOne(l);
  }

  private finishOne(subscriber: Listener): void {
    if (this.endState?.error !== undefined) subscriber.error(this.endState.error);
    else subscriber.complete();
  }
}

const PAUSED = 1;
const DELIVERING = 2;
const FINISHED = 4;

const EMPTY = new Uint8Array(0);
/** Shared, never written: `push` replaces it before adding, `flush` only reads an empty one. */
const NO_CHUNKS: Uint8Array[] = [];
const NO_LISTENERS: readonly Listener[] = Object.freeze([]);

/** What a queue delivers to: an RxJS subscriber, or a {@link QueueReader}. */
type Listener = Pick<Subscriber<Uint8Array>, 'next' | 'error' | 'complete'>;

/** `subscribe(next)` / `subscribe(observer)` on a queue: leaves the queue when unsubscribed. */
class QueueReader extends PlainSubscriber<Uint8Array> {
  constructor(
    private readonly source: ReceiveQueue<unknown>,
    observer: PlainObserver<Uint8Array>,
  ) {
    super(observer);
  }

  override unsubscribe(): void {
    if (this.closed) return;
    // Leaves first, as RxJS runs the source's teardown before what was added to the subscription.
    this.source.detach(this);
    super.unsubscribe();
  }
}

