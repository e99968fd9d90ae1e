/** The output bound and the read gate it shares with the inbound limit (fake timers, fake transport). */
import { OutputBound } from '../../lib/mux/output-bound';
import { ReadGate, ReadHold } from '../../lib/mux/read-gate';
import type { Transport } from '../../lib/transport/transport';

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
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('pauses reading past the byte bound, resumes on drain, and never cuts a peer that drains', () => {
    const { transport, calls } = fakeTransport();
    const stalls: number[] = [];
    const bound = new OutputBound(new ReadGate(transport), 100, 1000, 1000, () => stalls.push(Date.now()));
    for (let i = 0; i < 11; i++) bound.sentPastMark(9); // 99 bytes: within
    expect(calls).toEqual([]);
    bound.sentPastMark(9);
    expect(calls).toEqual(['pause']);
    expect(bound.pausing).toBe(true);
    jest.advanceTimersByTime(999);
    bound.drained();
    expect(calls).toEqual(['pause', 'resume']);
    jest.advanceTimersByTime(10_000);
    expect(stalls).toEqual([]);
  });

  it('pauses past the packet bound whatever the bytes, and cuts a peer that stays over it', () => {
    const { transport, calls } = fakeTransport();
    let stalled = 0;
    const bound = new OutputBound(new ReadGate(transport), 1 << 20, 4, 500, () => stalled++);
    for (let i = 0; i < 5; i++) bound.sentPastMark(1);
    expect(calls).toEqual(['pause']);
    jest.advanceTimersByTime(499);
    expect(stalled).toBe(0);
    jest.advanceTimersByTime(1);
    expect(stalled).toBe(1);
  });

  it('stop() disarms the stall timer', () => {
    const { transport } = fakeTransport();
    let stalled = 0;
    const bound = new OutputBound(new ReadGate(transport), 1, 1, 100, () => stalled++);
    bound.sentPastMark(10);
    bound.stop();
    jest.advanceTimersByTime(1000);
    expect(stalled).toBe(0);
  });
});
