/**
 * DeadlineQueue: deadlines the same time ahead, on one timer per queue. On Jest's fake clock
 * (which also drives performance.now()).
 */
import { DeadlineQueue, type DeadlineOwner } from '../../lib/core/deadline-queue';

class Owner implements DeadlineOwner {
  deadline = 0;
  deadlineSlot = 0;
  passed: number[] = [];
  then: (() => void) | undefined;
  constructor(private readonly clock: () => number) {}
  deadlinePassed(): void {
    this.passed.push(this.clock());
    this.then?.();
  }
}

describe('DeadlineQueue', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  let start = 0;
  const now = (): number => Math.round(performance.now() - start);
  const owner = (): Owner => new Owner(now);
  // A fresh length per test: queues are shared by their length.
  let ms = 100;
  beforeEach(() => {
    ms += 1;
    start = performance.now();
  });

  it('tells each owner when its deadline passes, in order, on one timer', () => {
    const queue = DeadlineQueue.of(ms);
    const a = owner();
    const b = owner();
    queue.set(a);
    jest.advanceTimersByTime(30);
    queue.set(b);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(ms - 31);
    expect([a.passed, b.passed]).toEqual([[], []]);
    jest.advanceTimersByTime(1);
    expect([a.passed, b.passed]).toEqual([[ms], []]);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(30);
    expect([a.passed, b.passed]).toEqual([[ms], [ms + 30]]);
    expect(jest.getTimerCount()).toBe(0); // nobody waits: no timer left
    expect(a.deadline).toBe(0);
  });

  it('moves a deadline that is set again, and never tells a cleared owner', () => {
    const queue = DeadlineQueue.of(ms);
    const a = owner();
    const b = owner();
    queue.set(a);
    queue.set(b);
    jest.advanceTimersByTime(50);
    queue.set(a);
    queue.clear(b);
    jest.advanceTimersByTime(ms * 3);
    expect(a.passed).toEqual([ms + 50]);
    expect(b.passed).toEqual([]);
    queue.set(b);
    queue.clear(b);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(ms * 3);
    expect(b.passed).toEqual([]);
  });

  it('keeps no cleared or moved owner in its list', () => {
    const queue = DeadlineQueue.of(ms);
    const a = owner();
    const b = owner();
    queue.set(a);
    queue.set(b);
    queue.set(b);
    queue.clear(a);
    const listed = (queue as unknown as { owners: unknown[] }).owners;
    expect(listed.filter((o) => o === a)).toEqual([]);
    expect(listed.filter((o) => o === b)).toEqual([b]);
    queue.clear(b);
  });

  it('lets an owner set a deadline again when told', () => {
    const queue = DeadlineQueue.of(ms);
    const a = owner();
    a.then = () => (a.passed.length < 3 ? queue.set(a) : undefined);
    queue.set(a);
    jest.advanceTimersByTime(ms * 10);
    expect(a.passed).toEqual([ms, 2 * ms, 3 * ms]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('still fires after thousands of owners came and went (the list is compacted)', () => {
    const queue = DeadlineQueue.of(ms);
    const keep = owner();
    queue.set(keep);
    const many = Array.from({ length: 5000 }, () => owner());
    for (const [i, o] of many.entries()) {
      queue.set(o);
      if (i % 2 === 0) queue.clear(o);
    }
    jest.advanceTimersByTime(ms);
    expect(keep.passed).toEqual([ms]);
    expect(many.filter((o) => o.passed.length === 1)).toHaveLength(2500);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('DeadlineQueue (compaction)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('still empties the place of an owner cleared after the list was compacted', () => {
    const queue = DeadlineQueue.of(777);
    const early = Array.from({ length: 3000 }, () => new Owner(() => 0));
    for (const o of early) queue.set(o);
    jest.advanceTimersByTime(10);
    const late = Array.from({ length: 100 }, () => new Owner(() => 0));
    for (const o of late) queue.set(o);
    jest.advanceTimersByTime(767); // the early ones are due and dropped from the front
    expect(early.every((o) => o.passed.length === 1)).toBe(true);
    queue.clear(late[50]);
    const listed = (queue as unknown as { owners: unknown[] }).owners;
    expect(listed).not.toContain(late[50]);
    expect(listed).toContain(late[51]);
    jest.advanceTimersByTime(10);
    expect(late.filter((o) => o.passed.length === 1)).toHaveLength(99);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('DeadlineQueue on the real clock', () => {
  it('keeps the process alive only when not unref', () => {
    const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    const held = new Owner(() => 0);
    DeadlineQueue.of(60_000).set(held);
    expect(timeouts()).toBe(before + 1);
    DeadlineQueue.of(60_000).clear(held);
    const idle = new Owner(() => 0);
    DeadlineQueue.of(60_000, true).set(idle);
    expect(timeouts()).toBe(before);
    DeadlineQueue.of(60_000, true).clear(idle);
  });
});
