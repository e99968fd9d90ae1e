/** The output bound and the read gate it shares with the receive budget (virtual time, fake transport). */
import { OutputBound } from '../../lib/core/output-bound';
import { ReadGate, ReadHold } from '../../lib/core/read-gate';
import type { Transport } from '../../lib/transport/transport';
import { VirtualTimeScheduler } from 'rxjs';

/** A virtual clock: `advance(ms)` runs what falls due, as the output bound's timers would. */
function clock(): { scheduler: VirtualTimeScheduler; advance(ms: number): void; now(): number } {
  const scheduler = new VirtualTimeScheduler();
  let now = 0;
  return {
    scheduler,
    advance(ms) {
      now += ms;
      scheduler.maxFrames = now;
      scheduler.flush();
    },
    now: () => now,
  };
}

function fakeTransport(): { transport: Transport; calls: string[] } {
  const calls: string[] = [];
  const transport = { pause: () => calls.push('pause'), resume: () => calls.push('resume') } as unknown as Transport;
  return { transport, calls };
}

describe('ReadGate', () => {
  it('resumes only when no reason holds it any more', () => {
    const { transport, calls } = fakeTransport();
    const gate = new ReadGate(transport);
    gate.hold(ReadHold.Inbound);
    gate.hold(ReadHold.Output);
    gate.release(ReadHold.Inbound);
    expect(calls).toEqual(['pause']);
    gate.release(ReadHold.Output);
    gate.release(ReadHold.Output);
    expect(calls).toEqual(['pause', 'resume']);
  });
});

describe('OutputBound', () => {

  it('pauses reading past the byte bound, resumes on drain, and never cuts a peer that drains', () => {
    const { transport, calls } = fakeTransport();
    const stalls: number[] = [];
    const time = clock();
    const bound = new OutputBound(new ReadGate(transport), 100, 1000, 1000, time.scheduler, () => stalls.push(time.now()));
    for (let i = 0; i < 11; i++) bound.sentPastMark(9); // 99 bytes: within
    expect(calls).toEqual([]);
    bound.sentPastMark(9);
    expect(calls).toEqual(['pause']);
    expect(bound.pausing).toBe(true);
    time.advance(999);
    bound.drained();
    expect(calls).toEqual(['pause', 'resume']);
    time.advance(10_000);
    expect(stalls).toEqual([]);
  });

  it('pauses past the packet bound whatever the bytes, and cuts a peer that stays over it', () => {
    const { transport, calls } = fakeTransport();
    let stalled = 0;
    const time = clock();
    const bound = new OutputBound(new ReadGate(transport), 1 << 20, 4, 500, time.scheduler, () => stalled++);
    for (let i = 0; i < 5; i++) bound.sentPastMark(1);
    expect(calls).toEqual(['pause']);
    time.advance(499);
    expect(stalled).toBe(0);
    time.advance(1);
    expect(stalled).toBe(1);
  });

  it('stop() disarms the stall timer', () => {
    const { transport } = fakeTransport();
    let stalled = 0;
    const time = clock();
    const bound = new OutputBound(new ReadGate(transport), 1, 1, 100, time.scheduler, () => stalled++);
    bound.sentPastMark(10);
    bound.stop();
    time.advance(1000);
    expect(stalled).toBe(0);
  });
});
