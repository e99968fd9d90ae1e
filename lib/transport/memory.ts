import { Observable, ReplaySubject, Subject, type SchedulerLike } from '../rx.js';
import { WispError } from '../errors.js';
import { DEFAULT_HIGH_WATER_MARK, isSplitMessage, type Transport, type TransportClose, type TransportMessage } from './transport.js';

/** Options for {@link memoryTransportPair}. */
export interface MemoryTransportOptions {
  /** Bytes in flight (sent, not yet delivered) above which `send` returns false. */
  readonly highWaterMark?: number;
  /** Subprotocol both ends report (e.g. `wisp-v2`). */
  readonly protocol?: string;
  /**
   * Offer `sendSplit` and deliver what it sends as a {@link SplitMessage}, as two `ws`
   * transports would: exercises that path without sockets. Default false.
   */
  readonly split?: boolean;
  /**
   * Delivers through this scheduler instead of microtasks: with a `VirtualTimeScheduler`, a
   * test knows when nothing is left in flight (the scheduler has no work) instead of waiting
   * for turns of the event loop.
   */
  readonly scheduler?: SchedulerLike;
}

/**
 * Two connected in-memory transports, for tests and same-process use. Messages are
 * delivered asynchronously (microtasks), in order, and honour pause/resume and the
 * sender's high water mark exactly like a socket would.
 */
export function memoryTransportPair(options: MemoryTransportOptions = {}): [Transport, Transport] {
  const a = new MemoryTransport(options);
  const b = new MemoryTransport(options);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class MemoryTransport implements Transport {
  peer!: MemoryTransport;
  readonly protocol: string;
  private readonly highWaterMark: number;
  private readonly scheduler: SchedulerLike | undefined;
  private readonly inbox: TransportMessage[] = [];
  private inboxHead = 0;
  /** Bytes this end sent that the peer has not delivered yet. */
  private inFlight = 0;
  private blocked = false;
  private paused = false;
  private flushScheduled = false;
  private subscriber: { next(m: TransportMessage): void; error(e: unknown): void; complete(): void } | undefined;
  private ended: TransportClose | undefined;
  private readonly closedSubject = new ReplaySubject<TransportClose>(1);
  private readonly drainSubject = new Subject<void>();

  readonly closed$ = this.closedSubject.asObservable();
  readonly drain$ = this.drainSubject.asObservable();
  readonly messages$ = new Observable<TransportMessage>((subscriber) => {
    if (this.subscriber) {
      subscriber.error(new WispError('InvalidArgument', 'a transport has exactly one reader'));
      return;
    }
    this.subscriber = subscriber;
    this.scheduleFlush();
    return () => {
      this.subscriber = undefined;
    };
  });

  /** Present only with the `split` option (see {@link MemoryTransportOptions.split}). */
  readonly sendSplit?: (head: Uint8Array, body: Uint8Array) => boolean;

  constructor(options: MemoryTransportOptions) {
    this.highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.protocol = options.protocol ?? '';
    this.scheduler = options.scheduler;
    if (options.split) this.sendSplit = (head, body) => this.sendMessage({ head, body });
  }

  get writable(): boolean {
    return !this.blocked;
  }

  send(message: Uint8Array): boolean {
    return this.sendMessage(message);
  }

  private sendMessage(message: TransportMessage): boolean {
    if (this.ended) return false;
    this.inFlight += byteLength(message);
    this.peer.enqueue(message);
    if (this.inFlight > this.highWaterMark) this.blocked = true;
    return !this.blocked;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.scheduleFlush();
  }

  close(code = 1000, reason = ''): void {
    if (this.ended) return;
    const info: TransportClose = { code, reason, clean: true };
    this.finish(info);
    this.peer.finish(info);
  }

  /** Simulates the connection dropping (no close frame): both ends see an abnormal close. */
  drop(): void {
    if (this.ended) return;
    const info: TransportClose = { code: 1006, reason: 'connection dropped', clean: false };
    this.finish(info);
    this.peer.finish(info);
  }

  private enqueue(message: TransportMessage): void {
    if (this.ended) return;
    this.inbox.push(message);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    if (this.scheduler) this.scheduler.schedule(() => this.flush());
    else queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    while (!this.paused && this.subscriber && this.inboxHead < this.inbox.length) {
      const message = this.inbox[this.inboxHead];
      this.inbox[this.inboxHead++] = undefined as unknown as Uint8Array;
      this.peer.delivered(byteLength(message));
      this.subscriber.next(message);
    }
    if (this.inboxHead === this.inbox.length) {
      this.inbox.length = 0;
      this.inboxHead = 0;
      if (this.ended) this.endReader();
    }
  }

  private delivered(bytes: number): void {
    this.inFlight -= bytes;
    if (this.blocked && this.inFlight <= this.highWaterMark / 2) {
      this.blocked = false;
      this.drainSubject.next();
    }
  }

  private finish(info: TransportClose): void {
    if (this.ended) return;
    this.ended = info;
    if (!info.clean) {
      // An abnormal close loses whatever was still in flight, as a dropped socket would.
      this.inbox.length = 0;
      this.inboxHead = 0;
    }
    this.closedSubject.next(info);
    this.closedSubject.complete();
    this.drainSubject.complete();
    this.scheduleFlush();
  }

  private endReader(): void {
    const subscriber = this.subscriber;
    if (!subscriber || !this.ended) return;
    this.subscriber = undefined;
    if (this.ended.clean) subscriber.complete();
    else subscriber.error(new WispError('TransportClosed', `transport closed abnormally (${this.ended.code})`));
  }
}

function byteLength(message: TransportMessage): number {
  return isSplitMessage(message) ? message.head.length + message.body.length : message.length;
}

/** Drops an in-memory transport abruptly (no close frame), as a network failure would. Test helper. */
export function dropMemoryTransport(transport: Transport): void {
  if (!(transport instanceof MemoryTransport)) {
    throw new WispError('InvalidArgument', 'not an in-memory transport');
  }
  transport.drop();
}
