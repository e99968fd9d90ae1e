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
