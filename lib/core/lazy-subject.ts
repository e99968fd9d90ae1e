import { Observable, Subject, type Observer, type Subscriber } from '../rx.js';

/**
 * A connection's event source (streams opened, protocol errors, its end): a Subject made only
 * when the Observable is first subscribed, plus one direct `listener` for the object that
 * owns the connection. Every connection has several of these and most are never observed
 * from outside; an RxJS subscription costs ~0.5 KiB (Subscriber, observer, finalizer array),
 * so the owner listens without one. Semantics are a Subject's (see {@link ReplayLazySubject}
 * for a ReplaySubject(1)'s): a late subscriber sees the end.
 */
export class LazySubject<T> implements Observer<T> {
  /** The owner's observer: called first, without a subscription; dropped at the end. */
  listener: Partial<Observer<T>> | undefined;
  private subject$: Subject<T> | undefined;
  private stopped: { readonly failed: boolean; readonly error?: unknown } | undefined;

  /** True once completed or errored. */
  get isStopped(): boolean {
    return this.stopped !== undefined;
  }

  /** Never unsubscribed as a whole (the shape `describeActor` reads). */
  get closed(): boolean {
    return false;
  }

  /** Diagnostics: the listener and the Observable's subscribers. */
  get observers(): readonly unknown[] {
    const subscribed = this.subject$?.observers ?? [];
    return this.listener ? [this.listener, ...subscribed] : subscribed;
  }

  next(value: T): void {
    if (this.stopped) return;
    this.listener?.next?.(value);
    this.subject$?.next(value);
  }

  error(error: unknown): void {
    if (this.stopped) return;
    this.stopped = { failed: true, error };
    const listener = this.listener;
    this.listener = undefined;
    listener?.error?.(error);
    this.subject$?.error(error);
  }

  complete(): void {
    if (this.stopped) return;
    this.stopped = { failed: false };
    const listener = this.listener;
    this.listener = undefined;
    listener?.complete?.();
    this.subject$?.complete();
  }

  asObservable(): Observable<T> {
    return new Observable<T>((subscriber) => {
      this.replayTo(subscriber);
      const stopped = this.stopped;
      if (!stopped) return (this.subject$ ??= new Subject<T>()).subscribe(subscriber);
      if (stopped.failed) subscriber.error(stopped.error);
      else subscriber.complete();
      return undefined;
    });
  }

  /** What a new subscriber gets before the live values (nothing here). */
  protected replayTo(_subscriber: Subscriber<T>): void {}
}

/** A {@link LazySubject} that gives a new subscriber the last value first, as a ReplaySubject(1). */
export class ReplayLazySubject<T> extends LazySubject<T> {
  private last: { readonly value: T } | undefined;

  /** The last value. */
  get value(): T | undefined {
    return this.last?.value;
  }

  override next(value: T): void {
    if (this.isStopped) return;
    this.last = { value };
    super.next(value);
  }

  protected override replayTo(subscriber: Subscriber<T>): void {
    if (this.last) subscriber.next(this.last.value);
  }
}
