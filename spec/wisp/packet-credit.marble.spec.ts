import { TestScheduler } from 'rxjs/testing';
import { ReceiveCredit, grantContinues, type CreditEvent } from '../../lib/wisp/packet-credit';

// The events in the order the actor reports them: a DATA packet arrives (`r`), the reader
// takes one (`c`, at once when the stream is flowing), the server confirms the stream (`k`).
const events: Record<string, CreditEvent> = { r: 'received', c: 'consumed', k: 'confirmed' };

function run(bufferSize: number, input: string, expected: string, values: Record<string, number>, error?: unknown) {
  new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted)).run(({ cold, expectObservable }) => {
    expectObservable(cold(input, events).pipe(grantContinues(bufferSize))).toBe(expected, values, error);
  });
}

describe('CONTINUE scheduling (marbles over the ReceiveCredit the actor runs)', () => {
  it('sends nothing while the client still holds credit', () => {
    run(4, 'rcrc|', '----|', {});
  });

  it('grants the free buffer once the client has spent its credit, batched to half the buffer', () => {
    // 4 packets spend the credit; only after 2 are consumed is half the buffer free.
    run(4, 'rrrrcc--|', '-----a--|', { a: 2 });
  });

  it('grants the whole buffer when the reader keeps up: the last granted packet is consumed at once', () => {
    run(4, 'rcrcrcrc|', '-------a|', { a: 4 });
  });

  it('keeps granting in rounds while data flows', () => {
    run(2, 'rcrc-rcrc|', '---a----b|', { a: 2, b: 2 });
  });

  it('throttles a client that sends past its credit', () => {
    run(2, 'rrr|', '--#', {}, 'throttled');
  });

  it('never lets an honest client overrun: no CONTINUE before the last granted packet arrived', () => {
    run(4, 'rcrcrc-rc|', '--------a|', { a: 4 });
  });

  it('confirms an open stream without granting new credit', () => {
    run(4, 'k|', 'a|', { a: 4 });
    run(4, 'rk|', '-a|', { a: 3 });
  });
});

describe('ReceiveCredit bounds', () => {
  it('holds at most bufferSize packets for a client that follows the grants', () => {
    const credit = new ReceiveCredit(8);
    let held = 8;
    let maxQueued = 0;
    let sent = 0;
    // The client sends whenever it has credit (a CONTINUE arrives one step after it was sent);
    // the consumer drains one packet every third step.
    let inFlightContinue = -1;
    for (let step = 0; step < 10_000; step++) {
      if (inFlightContinue >= 0) {
        held = inFlightContinue;
        inFlightContinue = -1;
      }
      if (held > 0) {
        expect(credit.receive()).toBe(true);
        held--;
        sent++;
      }
      if (step % 3 === 0 && credit.queued > 0) {
        const value = credit.consume(1);
        if (value >= 0) inFlightContinue = value;
      }
      maxQueued = Math.max(maxQueued, credit.queued);
    }
    expect(maxQueued).toBeLessThanOrEqual(8);
    // The window never starves the consumer: it drains ~1 packet per 3 steps throughout.
    expect(sent).toBeGreaterThan(10_000 / 3 - 10);
  });
});

/** A small deterministic PRNG (mulberry32), so every case replays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One upload of `total` packets between an honest client (sends, with probability `sendRate`
 * per step, while it has credit; a CONTINUE replaces its credit, so a slow sender loses what
 * it still held) and a ReceiveCredit, over two ordered channels whose delays vary from 1 to
 * `maxDelay` steps, with a reader that takes a packet with probability `readRate` per step. Returns the most the buffer held and the steps it took, or throws
 * when the client is throttled.
 */
function upload(bufferSize: number, maxDelay: number, readRate: number, sendRate: number, seed: number, total = 2000) {
  const rand = random(seed);
  const credit = new ReceiveCredit(bufferSize);
  const toServer: number[] = []; // arrival steps of DATA, in order
  const toClient: { at: number; value: number }[] = []; // CONTINUEs, in order
  /** When a message sent at `step` arrives: 1 to maxDelay steps later, never before `last` (ordered). */
  const delay = (last: number, step: number) => Math.max(last, step + 1 + Math.floor(rand() * maxDelay));
  let held = bufferSize;
  let sent = 0;
  let consumed = 0;
  let mostQueued = 0;
  let step = 0;
  for (; consumed < total && step < 200 * total; step++) {
    while (toClient.length > 0 && toClient[0].at <= step) held = toClient.shift()!.value;
    if (held > 0 && sent < total && rand() < sendRate) {
      held--;
      sent++;
      toServer.push(delay(toServer[toServer.length - 1] ?? 0, step));
    }
    while (toServer.length > 0 && toServer[0] <= step) {
      toServer.shift();
      if (!credit.receive()) throw new Error(`throttled an honest client (seed ${seed})`);
    }
    mostQueued = Math.max(mostQueued, credit.queued);
    if (credit.queued > 0 && rand() < readRate) {
      consumed++;
      const value = credit.consume(1);
      if (value >= 0) toClient.push({ at: delay(toClient[toClient.length - 1]?.at ?? 0, step), value });
    }
  }
  return { mostQueued, consumed, step };
}

describe('ReceiveCredit and an honest client over delayed, ordered channels', () => {
  const cases: [number, number, number, number][] = [];
  for (const bufferSize of [1, 2, 8, 128])
    for (const maxDelay of [1, 5, 60]) for (const readRate of [0.05, 0.5, 1]) for (const sendRate of [1, 0.3]) cases.push([bufferSize, maxDelay, readRate, sendRate]);

  it.each(cases)('buffer %i, delays up to %i steps, reader %f, sender %f: never over the buffer, never throttled, never shut', (bufferSize, maxDelay, readRate, sendRate) => {
    for (let seed = 1; seed <= 4; seed++) {
      const { mostQueued, consumed } = upload(bufferSize, maxDelay, readRate, sendRate, seed * 7919 + bufferSize);
      expect(mostQueued).toBeLessThanOrEqual(bufferSize);
      expect(consumed).toBe(2000); // the window never shut: the whole upload arrived
    }
  });
});
