import { Observable, type Subscriber } from '../rx.js';

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
 */
export class CloseSignal extends Observable<number> {
  private reason: number | undefined;
  private waiters: Subscriber<number> | Subscriber<number>[] | undefined;

  constructor() {
    // A shared function, not a closure: rxjs calls it as a method of this Observable.
    super(waitOnSignal);
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

  /** @internal Adds a subscriber; see {@link waitOnSignal}. */
  wait(subscriber: Subscriber<number>): void {
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

function waitOnSignal(this: Observable<number>, subscriber: Subscriber<number>): void {
  (this as CloseSignal).wait(subscriber);
}

function deliver(subscriber: Subscriber<number>, reason: number): void {
  if (subscriber.closed) return;
  subscriber.next(reason);
  subscriber.complete();
}
