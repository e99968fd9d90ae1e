import { Subscription, config, reportUnhandledError, type Observer } from '../rx.js';

/** What `subscribe` is most often given: a function for values, or a partial observer. */
export type PlainObserver<T> = Partial<Observer<T>> | ((value: T) => void);

/**
 * Whether `subscribe(observerOrNext, ...rest)` can take the light path: a plain function or
 * observer, no deprecated extra arguments, no deprecated RxJS error handling. A Subscriber (or
 * anything that can be unsubscribed: operators, `pipe`, `firstValueFrom`) keeps RxJS's own
 * chaining.
 */
export function isPlainObserver<T>(observerOrNext: unknown, extraArguments: number): observerOrNext is PlainObserver<T> {
  if (extraArguments > 0 || observerOrNext == null) return false;
  if (config.useDeprecatedSynchronousErrorHandling || config.useDeprecatedNextContext) return false;
  if (typeof observerOrNext === 'function') return true;
  return typeof observerOrNext === 'object' && typeof (observerOrNext as { unsubscribe?: unknown }).unsubscribe !== 'function';
}

/**
 * One subscription of a plain observer to a per-stream Observable (`closed$`, `data$`): the
 * Subscription returned to the caller and the observer the source delivers to, in one object.
 * RxJS's own path builds a SafeSubscriber, a ConsumerObserver, an observer literal for a
 * function and a finaliser array for the source's teardown (~300 B); with thousands of
 * streams each observed once or twice, that is most of what a stream costs.
 *
 * It calls the observer as RxJS's SafeSubscriber does: as a method of the observer; an error
 * thrown from it, or an error with no `error` handler, is reported through RxJS's unhandled
 * error path (asynchronously) and never reaches the source; after `error` or `complete` it
 * unsubscribes itself, which runs what was added to it.
 */
export class PlainSubscriber<T> extends Subscription {
  constructor(private observer: PlainObserver<T> | undefined) {
    super();
  }

  next(value: T): void {
    const observer = this.observer;
    if (this.closed || observer === undefined) return;
    try {
      if (typeof observer === 'function') observer(value);
      else observer.next?.(value);
    } catch (error) {
      reportUnhandledError(error);
    }
  }

  error(error: unknown): void {
    const observer = this.observer;
    if (this.closed || observer === undefined) return;
    this.observer = undefined;
    try {
      if (typeof observer !== 'function' && observer.error) observer.error(error);
      else reportUnhandledError(error);
    } catch (thrown) {
      reportUnhandledError(thrown);
    }
    this.unsubscribe();
  }

  complete(): void {
    const observer = this.observer;
    if (this.closed || observer === undefined) return;
    this.observer = undefined;
    try {
      if (typeof observer !== 'function') observer.complete?.();
    } catch (error) {
      reportUnhandledError(error);
    }
    this.unsubscribe();
  }

  override unsubscribe(): void {
    this.observer = undefined;
    super.unsubscribe();
  }
}
