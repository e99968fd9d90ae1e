import { Observable, type Observer, type Subscription, type Subscriber } from '../rx.js';
import { PlainSubscriber, isPlainObserver, type PlainObserver } from './plain-subscriber.js';

/** What the signal delivers to: an RxJS subscriber, or a {@link PlainSubscriber}. */
interface Waiter {
  readonly closed: boolean;
  next(reason: number): void;
  complete(): void;
}

/**
 * A stream's end as an Observable (it is `MuxStream.closed$`): emits the close reason once to
 * every subscriber, then completes; whoever subscribes later gets the reason at once. It
 * behaves like a `ReplaySubject(1)` completed after its only value, at a fraction of the memory.
 *
 * Why not the subject: an idle stream is mostly this. A `ReplaySubject` plus the usual two
 * subscriptions to it (the gateway's relay and the application's) came to about 2 KiB per
 * stream — two arrays, a `Subscription` and a finaliser array per subscriber — of which a
 * stream needs a reason and a list of waiters. Here one waiter needs no array at all.
 *
 * An unsubscribed waiter is not removed at once: returning a teardown would cost every
 * subscription its finaliser array. It is dropped on the next subscribe (which prunes closed
 * waiters, so the list never exceeds the live waiters plus one) or when the signal fires.
 *
 * `subscribe(next)` or `subscribe(observer)`, which is how most code waits for a stream's
 * end, gets a {@link PlainSubscriber}: one Subscription holding the observer, where RxJS's
 * own path builds ~150 B around it (one per held stream in the bench's scale-hold).
 * Subscribers (operators, `pipe`, `firstValueFrom`) and the deprecated forms go through RxJS.
 */
export class CloseSignal extends Observable<number> {
  private reason: number | undefined;
  private waiters: Waiter | Waiter[] | undefined;

  override subscribe(observerOrNext?: PlainObserver<number> | null, ...rest: unknown[]): Subscription {
    if (!isPlainObserver<number>(observerOrNext, rest.length)) {
      return super.subscribe(observerOrNext as unknown as Partial<Observer<number>>, ...(rest as []));
    }
    const waiter = new PlainSubscriber<number>(observerOrNext);
    this.wait(waiter);
    return waiter;
  }

  /** RxJS's subscribe path ends here; a prototype method, so no per-signal `_subscribe` field. */
  protected _subscribe(subscriber: Subscriber<number>): void {
    this.wait(subscriber);
  }

  /** True once {@link fire} was called. */
  get fired(): boolean {
    return this.reason !== undefined;
  }

  /** Delivers `reason` to every waiter and completes them. Later calls do nothing. */
  fire(reason: number): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    const waiters = this.waiters;
    this.waiters = undefined;
    if (waiters === undefined) return;
    if (Array.isArray(waiters)) for (const waiter of waiters) deliver(waiter, reason);
    else deliver(waiters, reason);
  }

  /** Waiters still subscribed (for leak checks). */
  get waiting(): number {
    const waiters = this.waiters;
    if (waiters === undefined) return 0;
    if (Array.isArray(waiters)) return waiters.filter((w) => !w.closed).length;
    return waiters.closed ? 0 : 1;
  }

  private wait(subscriber: Waiter): void {
    if (this.reason !== undefined) return deliver(subscriber, this.reason);
    const waiters = this.waiters;
    if (waiters === undefined || (!Array.isArray(waiters) && waiters.closed)) {
      this.waiters = subscriber;
    } else if (Array.isArray(waiters)) {
      const live = waiters.filter((w) => !w.closed);
      live.push(subscriber);
      this.waiters = live.length === 1 ? subscriber : live;
    } else {
      this.waiters = [waiters, subscriber];
    }
  }
}

function deliver(subscriber: Waiter, reason: number): void {
  if (subscriber.closed) return;
  subscriber.next(reason);
  subscriber.complete();
}

