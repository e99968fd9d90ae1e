/**
 * The handshake's step timer without a scheduler of its own (what a gateway runs): a plain
 * timer, restarted for each step, stopped when the handshake ends. On Jest's fake clock.
 */
import { WispError } from '../../lib/errors';
import { HandshakeContext } from '../../lib/wisp/handshake/context';

describe('HandshakeContext step timer (no scheduler)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const context = (failures: unknown[]) => new HandshakeContext({ timeoutMs: 100, send: () => {}, refuseOverflow: true }, (e) => failures.push(e));

  it('restarts for each step and fails naming the step it waited for', () => {
    const failures: unknown[] = [];
    const c = context(failures);
    c.arm('the first step');
    jest.advanceTimersByTime(80);
    c.arm('the second step');
    jest.advanceTimersByTime(80); // 160 ms in all, 80 into the second step
    expect(failures).toEqual([]);
    jest.advanceTimersByTime(20);
    expect(failures).toEqual([new WispError('HandshakeTimeout', 'handshake step timed out after 100 ms: the second step')]);
    jest.advanceTimersByTime(1000);
    expect(failures).toHaveLength(1);
  });

  it('never fires once the handshake ended', () => {
    const failures: unknown[] = [];
    const c = context(failures);
    c.arm('a step');
    jest.advanceTimersByTime(50);
    c.end();
    expect(jest.getTimerCount()).toBe(0); // cleared, not left to fire into nothing
    c.arm('a later step'); // over: a no-op
    jest.advanceTimersByTime(1000);
    expect(failures).toEqual([]);
  });
});
