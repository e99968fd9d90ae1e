import { TestScheduler } from 'rxjs/testing';
import { scheduleContinues, type WindowEvent } from '../../lib/mux/schedule-continues';
import { ReceiveWindow } from '../../lib/mux/receive-window';

const events: Record<string, WindowEvent> = { r: 'received', c: 'consumed', k: 'confirmed' };

function run(bufferSize: number, input: string, expected: string, values: Record<string, number>, error?: unknown) {
  new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted)).run(({ cold, expectObservable }) => {
    expectObservable(cold(input, events).pipe(scheduleContinues(bufferSize))).toBe(expected, values, error);
  });
}

describe('CONTINUE scheduling (marbles)', () => {
  it('sends nothing while the client still holds credit', () => {
    run(4, 'rcrc|', '----|', {});
  });

  it('grants the free buffer once the client has spent its credit, batched to half the buffer', () => {
    // 4 packets spend the credit; only after 2 are consumed is half the buffer free.
    run(4, 'rrrrcc--|', '-----a--|', { a: 2 });
  });

  it('grants as soon as the last granted packet arrives when half the buffer is free', () => {
    run(4, 'rcrcrcrc|', '------a-|', { a: 3 });
  });

  it('keeps granting in rounds while data flows', () => {
    run(2, 'rcrc-rcrc|', '--a--b-c-|', { a: 1, b: 1, c: 1 });
  });

  it('throttles a client that sends past its credit', () => {
    run(2, 'rrr|', '--#', {}, 'throttled');
  });

  it('never lets an honest client overrun: a CONTINUE waits for in-flight packets', () => {
    // Consumption alone (credit not yet spent) grants nothing, so no CONTINUE can race
    // packets still in flight; the grant comes when the last granted packet arrives.
    run(4, 'rcrcrc-r|', '-------a|', { a: 3 });
  });

  it('confirms an open stream without granting new credit', () => {
    run(4, 'k|', 'a|', { a: 4 });
    run(4, 'rk|', '-a|', { a: 3 });
  });
});

describe('ReceiveWindow bounds', () => {
  it('holds at most bufferSize packets for a client that follows the grants', () => {
    const window = new ReceiveWindow(8);
    let credit = 8;
    let maxQueued = 0;
    let sent = 0;
    // The client sends whenever it has credit (a CONTINUE arrives one step after it was sent);
    // the consumer drains one packet every third step.
    let inFlightContinue = -1;
    for (let step = 0; step < 10_000; step++) {
      if (inFlightContinue >= 0) {
        credit = inFlightContinue;
        inFlightContinue = -1;
      }
      if (credit > 0) {
        expect(window.receive()).toBe(true);
        credit--;
        sent++;
        const value = window.grant();
        if (value >= 0) inFlightContinue = value;
      }
      if (step % 3 === 0 && window.queued > 0) {
        const value = window.consume(1);
        if (value >= 0) inFlightContinue = value;
      }
      maxQueued = Math.max(maxQueued, window.queued);
    }
    expect(maxQueued).toBeLessThanOrEqual(8);
    // The window never starves the consumer: it drains ~1 packet per 3 steps throughout.
    expect(sent).toBeGreaterThan(10_000 / 3 - 10);
  });
});
