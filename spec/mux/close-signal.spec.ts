import { TestScheduler } from 'rxjs/testing';
import { Subscription, config, take, takeUntil } from 'rxjs';
import { CloseSignal } from '../../lib/core/close-signal';
import { failTest } from '../observers';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('CloseSignal', () => {
  it('emits the reason once and completes, for waiters that came before', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const signal = new CloseSignal();
      cold('---x').subscribe({ next: () => signal.fire(2), error: failTest });
      expectObservable(signal).toBe('---(r|)', { r: 2 });
      expectObservable(signal).toBe('---(r|)', { r: 2 });
    });
  });

  it('replays the reason at once to a late subscriber', () => {
    scheduler().run(({ expectObservable }) => {
      const signal = new CloseSignal();
      signal.fire(0x41);
      expectObservable(signal).toBe('(r|)', { r: 0x41 });
    });
  });

  it('fires only once: a second reason is ignored', () => {
    scheduler().run(({ expectObservable }) => {
      const signal = new CloseSignal();
      signal.fire(2);
      signal.fire(3);
      expectObservable(signal).toBe('(r|)', { r: 2 });
      expect(signal.fired).toBe(true);
    });
  });

  it('is lazy: takeUntil on it ends a source when the signal fires', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const signal = new CloseSignal();
      hot('----x').subscribe({ next: () => signal.fire(2), error: failTest });
      expectObservable(cold('a-b-c-d').pipe(takeUntil(signal))).toBe('a-b-|');
    });
  });

  it('does not deliver to a waiter that unsubscribed', () => {
    const signal = new CloseSignal();
    const seen: number[] = [];
    const first = signal.subscribe({ next: (r) => seen.push(r), error: failTest });
    signal.subscribe({ next: (r) => seen.push(r * 10), error: failTest });
    first.unsubscribe();
    signal.fire(1);
    expect(seen).toEqual([10]);
  });

  it('lets a waiter subscribe again from inside a delivery (gets the reason at once)', () => {
    const signal = new CloseSignal();
    const seen: string[] = [];
    signal.subscribe({
      next: () => {
        seen.push('outer');
        signal.pipe(take(1)).subscribe({ next: (r) => seen.push(`inner ${r}`), error: failTest });
      },
      error: failTest,
    });
    signal.fire(4);
    expect(seen).toEqual(['outer', 'inner 4']);
  });

  it('keeps no more than the live waiters plus one across subscribe/unsubscribe cycles', () => {
    const signal = new CloseSignal();
    const keep = new Subscription();
    keep.add(signal.subscribe());
    keep.add(signal.subscribe());
    for (let i = 0; i < 1000; i++) signal.subscribe().unsubscribe();
    expect(signal.waiting).toBe(2);
    // The held list is internal; its bound is what matters: live (2) + the last dead one.
    const held = (signal as unknown as { waiters: unknown[] }).waiters;
    expect(Array.isArray(held) ? held.length : 1).toBeLessThanOrEqual(3);
    keep.unsubscribe();
    expect(signal.waiting).toBe(0);
    signal.fire(2);
    expect((signal as unknown as { waiters: unknown }).waiters).toBeUndefined();
  });

  describe('subscribe(next) and subscribe(observer) (its own waiter, not a SafeSubscriber)', () => {
    afterEach(() => {
      config.onUnhandledError = null;
    });

    it('delivers the reason, completes, then closes the subscription and runs what was added to it', () => {
      const signal = new CloseSignal();
      const seen: string[] = [];
      const subscription = signal.subscribe({ next: (r) => seen.push(`next ${r}`), error: failTest, complete: () => seen.push('complete') });
      subscription.add(() => seen.push('teardown'));
      // eslint-disable-next-line rxjs-x/no-ignored-error -- the forms without an error handler are what this tests
      const byFunction = signal.subscribe((r) => seen.push(`fn ${r}`));
      expect(subscription.closed).toBe(false);
      signal.fire(3);
      expect(seen).toEqual(['next 3', 'complete', 'teardown', 'fn 3']);
      expect(subscription.closed).toBe(true);
      expect(byFunction.closed).toBe(true);
    });

    it('calls the observer as a method (this is the observer)', () => {
      const signal = new CloseSignal();
      const observer = {
        seen: [] as number[],
        next(this: { seen: number[] }, r: number) {
          this.seen.push(r);
        },
      };
      // eslint-disable-next-line rxjs-x/no-ignored-error -- the forms without an error handler are what this tests
      signal.subscribe(observer);
      signal.fire(5);
      expect(observer.seen).toEqual([5]);
    });

    it('reports an error thrown by one observer as unhandled, and still delivers to the others', () => {
      const reported: unknown[] = [];
      config.onUnhandledError = (error) => reported.push(error);
      scheduler().run(({ flush }) => {
        const signal = new CloseSignal();
        const seen: number[] = [];
        const boom = new Error('boom');
        // eslint-disable-next-line rxjs-x/no-ignored-error -- the forms without an error handler are what this tests
        signal.subscribe(() => {
          throw boom;
        });
        // eslint-disable-next-line rxjs-x/no-ignored-error -- the forms without an error handler are what this tests
        signal.subscribe((r) => seen.push(r));
        expect(() => signal.fire(2)).not.toThrow();
        expect(seen).toEqual([2]);
        flush();
        expect(reported).toEqual([boom]);
      });
    });

    it('gives nothing to a subscription unsubscribed before the signal fires, and runs its teardown once', () => {
      const signal = new CloseSignal();
      let calls = 0;
      let teardowns = 0;
      const subscription = signal.subscribe({ next: () => calls++, error: failTest, complete: () => calls++ });
      subscription.add(() => teardowns++);
      subscription.unsubscribe();
      signal.fire(1);
      expect(calls).toBe(0);
      expect(teardowns).toBe(1);
      expect(signal.waiting).toBe(0);
    });

    it('delivers at once to a late subscriber and returns a closed subscription', () => {
      const signal = new CloseSignal();
      signal.fire(9);
      const seen: number[] = [];
      // eslint-disable-next-line rxjs-x/no-ignored-error -- the forms without an error handler are what this tests
      const subscription = signal.subscribe((r) => seen.push(r));
      expect(seen).toEqual([9]);
      expect(subscription.closed).toBe(true);
    });
  });
});
