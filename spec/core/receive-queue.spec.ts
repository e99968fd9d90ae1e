import { TestScheduler } from 'rxjs/testing';
import { config, take } from 'rxjs';
import { ReceiveQueue } from '../../lib/core/receive-queue';
import { failTest } from '../observers';

function queue() {
  const events: string[] = [];
  const q = new ReceiveQueue<string>('owner', {
    delivered: (owner, frames, bytes) => events.push(`delivered ${owner} ${frames}/${bytes}`),
    abandoned: (owner) => events.push(`abandoned ${owner}`),
  });
  return { q, events };
}

const chunk = (n: number): Uint8Array => new Uint8Array(n);

describe('ReceiveQueue subscribe(next) / subscribe(observer) (its own reader, not a SafeSubscriber)', () => {
  afterEach(() => {
    config.onUnhandledError = null;
  });

  it('delivers what was queued, then what arrives; the last reader leaving before the end abandons the stream once', () => {
    const { q, events } = queue();
    q.push(chunk(1));
    const seen: number[] = [];
    // eslint-disable-next-line rxjs-x/no-ignored-error -- the function form is what this tests
    const subscription = q.subscribe((c) => seen.push(c.length));
    let teardowns = 0;
    subscription.add(() => teardowns++);
    q.push(chunk(2));
    expect(seen).toEqual([1, 2]);
    expect(q.listenerCount).toBe(1);
    subscription.unsubscribe();
    subscription.unsubscribe();
    expect(q.listenerCount).toBe(0);
    expect(teardowns).toBe(1);
    expect(events).toEqual(['delivered owner 1/1', 'delivered owner 1/2', 'abandoned owner']);
  });

  it('completes after the queued chunks, closes the subscription and runs its teardowns, without abandoning', () => {
    const { q, events } = queue();
    const seen: string[] = [];
    const subscription = q.subscribe({ next: (c) => seen.push(`next ${c.length}`), error: failTest, complete: () => seen.push('complete') });
    subscription.add(() => seen.push('teardown'));
    q.push(chunk(3));
    q.end();
    expect(seen).toEqual(['next 3', 'complete', 'teardown']);
    expect(subscription.closed).toBe(true);
    expect(events).not.toContain('abandoned owner');
  });

  it('hands an error to the observer; without an error handler it is reported as unhandled', () => {
    const reported: unknown[] = [];
    config.onUnhandledError = (error) => reported.push(error);
    scheduler().run(({ flush }) => {
      const { q } = queue();
      const errors: unknown[] = [];
      const withHandler = q.subscribe({ error: (e) => errors.push(e) });
      // eslint-disable-next-line rxjs-x/no-ignored-error -- what happens without a handler is what this tests
      const without = q.subscribe(() => undefined);
      const failure = new Error('reset');
      q.end(failure);
      expect(errors).toEqual([failure]);
      expect(withHandler.closed && without.closed).toBe(true);
      expect(reported).toEqual([]);
      flush();
      expect(reported).toEqual([failure]);
    });
  });

  it('reports an error thrown by one reader and still delivers to the others', () => {
    const reported: unknown[] = [];
    config.onUnhandledError = (error) => reported.push(error);
    scheduler().run(({ flush }) => {
      const { q, events } = queue();
      const boom = new Error('boom');
      const seen: number[] = [];
      q.subscribe({
        next: () => {
          throw boom;
        },
        error: failTest,
      });
      q.subscribe({ next: (c) => seen.push(c.length), error: failTest });
      expect(() => q.push(chunk(4))).not.toThrow();
      expect(seen).toEqual([4]);
      expect(events).toEqual(['delivered owner 1/4']);
      flush();
      expect(reported).toEqual([boom]);
    });
  });

  it('a reader that leaves from inside next gets nothing more; an RxJS Subscriber (take(1)) still works', () => {
    const { q, events } = queue();
    const seen: number[] = [];
    const subscription = q.subscribe({
      next: (c) => {
        seen.push(c.length);
        subscription.unsubscribe();
      },
      error: failTest,
    });
    const taken: number[] = [];
    q.pipe(take(1)).subscribe({ next: (c) => taken.push(c.length), error: failTest });
    q.push(chunk(5));
    q.push(chunk(6));
    expect(seen).toEqual([5]);
    expect(taken).toEqual([5]);
    expect(q.listenerCount).toBe(0);
    expect(events.filter((e) => e.startsWith('abandoned'))).toEqual(['abandoned owner']);
  });
});

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}
