/**
 * Fairness: one client's stream burst must not hold the event loop. The scheduler is tested
 * with an injected turn; the gateway with a real burst while another client keeps echoing.
 */
import { createGateway, type Gateway } from '../../lib/server/gateway';
import { TurnScheduler } from '../../lib/server/turn-scheduler';
import { ClientMux } from '../../lib/wisp/client-mux';
import { connectWs } from '../../lib/transport/ws';
import { echoTarget, LatencyProbe } from './attack-helpers';

describe('TurnScheduler', () => {
  /** A scheduler whose turns run only when the test says so. */
  function manual(perTurn: number): { scheduler: TurnScheduler; turn: () => void; pending: () => number } {
    const turns: (() => void)[] = [];
    return { scheduler: new TurnScheduler(perTurn, (run) => turns.push(run)), turn: () => turns.shift()?.(), pending: () => turns.length };
  }

  it('runs jobs at once while the current turn has budget, and spreads only the excess', () => {
    const { scheduler, turn, pending } = manual(4);
    const ran: string[] = [];
    const a = {};
    const b = {};
    for (let i = 0; i < 10; i++) scheduler.enqueue(a, () => ran.push(`a${i}`));
    expect(ran).toEqual(['a0', 'a1', 'a2', 'a3']); // no turn needed for the first dials of a burst
    scheduler.enqueue(b, () => ran.push('b0'));
    expect(ran).toHaveLength(4); // the budget is spent: b waits for the next turn
    expect(scheduler.waiting).toBe(7);
    expect(pending()).toBe(1); // one deferred turn however many jobs
    turn();
    expect(ran.slice(4)).toEqual(['b0', 'a4', 'a5', 'a6']); // b, left out last turn, goes first; then one per round
    turn();
    expect(ran.slice(8)).toEqual(['a7', 'a8', 'a9']);
    turn(); // resets the budget of the turn that used some; nothing left
    expect(pending()).toBe(0);
    expect(scheduler.waiting).toBe(0);
  });

  it('runs at most perTurn jobs a turn, one per connection per round', () => {
    const { scheduler, turn } = manual(4);
    const ran: string[] = [];
    const spend = {};
    for (let i = 0; i < 4; i++) scheduler.enqueue(spend, () => undefined); // this turn's budget
    const a = {};
    const b = {};
    for (let i = 0; i < 10; i++) scheduler.enqueue(a, () => ran.push(`a${i}`));
    scheduler.enqueue(b, () => ran.push('b0'));
    expect(ran).toEqual([]);
    turn();
    expect(ran).toEqual(['a0', 'b0', 'a1', 'a2']);
    turn();
    expect(ran).toHaveLength(8);
    turn();
    expect(ran).toHaveLength(11);
    expect(scheduler.waiting).toBe(0);
  });

  it('a connection the budget left out goes first next turn', () => {
    const { scheduler, turn } = manual(2);
    const ran: string[] = [];
    const keys = ['a', 'b', 'c'].map((name) => ({ name }));
    for (const key of keys) for (let i = 0; i < 2; i++) scheduler.enqueue(key, () => ran.push(`${key.name}${i}`));
    expect(ran).toEqual(['a0', 'a1']);
    turn();
    expect(ran).toEqual(['a0', 'a1', 'b0', 'c0']);
    turn();
    expect(ran).toEqual(['a0', 'a1', 'b0', 'c0', 'b1', 'c1']);
  });

  it('a connection that queues while a turn runs lands after that round, ahead of those served in it', () => {
    const { scheduler, turn } = manual(3);
    const ran: string[] = [];
    const spend = {};
    for (let i = 0; i < 3; i++) scheduler.enqueue(spend, () => undefined);
    const a = {};
    const c = {};
    scheduler.enqueue(a, () => {
      ran.push('a0');
      scheduler.enqueue(c, () => ran.push('c0'));
    });
    scheduler.enqueue(a, () => ran.push('a1'));
    turn();
    expect(ran).toEqual(['a0', 'c0', 'a1']);
  });
});

describe('TurnScheduler dial slots', () => {
  function manual(perTurn: number, limits: { perConnection?: number; total?: number }) {
    const turns: (() => void)[] = [];
    const scheduler = new TurnScheduler(perTurn, (run) => turns.push(run), limits);
    const releases = new Map<string, () => void>();
    const ran: string[] = [];
    const dial = (key: object, name: string): void =>
      scheduler.dial(key, (release) => {
        ran.push(name);
        releases.set(name, release);
      });
    return { scheduler, ran, dial, release: (name: string) => releases.get(name)!(), turn: () => turns.shift()?.() };
  }

  it('holds a connection to perConnection dials in progress; a release starts its next one', () => {
    const { scheduler, ran, dial, release } = manual(100, { perConnection: 2 });
    const a = {};
    for (let i = 0; i < 5; i++) dial(a, `a${i}`);
    expect(ran).toEqual(['a0', 'a1']);
    expect(scheduler.dialling).toBe(2);
    expect(scheduler.waiting).toBe(3);
    release('a1');
    expect(ran).toEqual(['a0', 'a1', 'a2']);
    release('a1'); // a second release of the same slot is ignored
    expect(ran).toHaveLength(3);
    expect(scheduler.dialling).toBe(2);
    release('a0');
    release('a2');
    release('a3');
    release('a4');
    expect(ran).toHaveLength(5);
    expect(scheduler.dialling).toBe(0);
    expect(scheduler.waiting).toBe(0);
  });

  it('another connection dials while one waits for its own slots', () => {
    const { ran, dial } = manual(100, { perConnection: 1 });
    const a = {};
    const b = {};
    dial(a, 'a0');
    dial(a, 'a1');
    dial(b, 'b0');
    expect(ran).toEqual(['a0', 'b0']);
  });

  it('hands freed process-wide slots round-robin between connections', () => {
    const { ran, dial, release, scheduler } = manual(100, { total: 2 });
    const a = {};
    const b = {};
    for (let i = 0; i < 4; i++) dial(a, `a${i}`);
    for (let i = 0; i < 4; i++) dial(b, `b${i}`);
    expect(ran).toEqual(['a0', 'a1']);
    release('a0');
    release('a1');
    expect(ran).toEqual(['a0', 'a1', 'b0', 'a2']); // b, never served, before a
    release('b0');
    release('a2');
    expect(ran).toEqual(['a0', 'a1', 'b0', 'a2', 'b1', 'a3']);
    expect(scheduler.dialling).toBe(2);
  });

  it('a freed slot still waits for the turn budget', () => {
    const { ran, dial, release, turn } = manual(2, { total: 1 });
    const a = {};
    for (let i = 0; i < 3; i++) dial(a, `a${i}`);
    expect(ran).toEqual(['a0']);
    release('a0');
    expect(ran).toEqual(['a0', 'a1']); // budget 2 in this turn: spent
    release('a1');
    expect(ran).toEqual(['a0', 'a1']);
    turn();
    expect(ran).toEqual(['a0', 'a1', 'a2']);
  });

  it('a job that throws gives its slot back', () => {
    const scheduler = new TurnScheduler(10, () => undefined, { total: 1 });
    const a = {};
    expect(() =>
      scheduler.dial(a, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(scheduler.dialling).toBe(0);
    let ran = false;
    scheduler.dial(a, () => (ran = true));
    expect(ran).toBe(true);
  });
});

describe('gateway fairness under a stream burst', () => {
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.close({ graceMs: 0 });
    gateway = undefined;
  });

  it('another client keeps getting echo round trips while one opens and closes 4 × 256 streams, and the lag is in the stats', async () => {
    const echo = await echoTarget();
    try {
      gateway = await createGateway({ port: 0, policy: { allowLoopback: true }, dialsPerTurn: 16 });
      const url = gateway.url;
      const probe = await LatencyProbe.start(url, echo.port);
      const abusers = await Promise.all(Array.from({ length: 4 }, () => ClientMux.connect(url, { connector: (u, p) => connectWs(u, p) })));
      gateway.stats(); // start the lag figures here
      let maxWaiting = 0;
      const gw = gateway;
      // Samples how many dials wait for their turn (read-only; not a synchronisation).
      const sampler = setInterval(() => (maxWaiting = Math.max(maxWaiting, gw.stats().waitingTurns)), 1);
      const tripsBefore = probe.trips;
      for (let round = 0; round < 3; round++) {
        const burst = abusers.flatMap((mux) => Array.from({ length: 256 }, () => mux.open('tcp', '127.0.0.1', echo.port, { awaitConfirmation: true })));
        const streams = await Promise.all(burst);
        for (const stream of streams) stream.close();
      }
      clearInterval(sampler);
      const during = probe.trips - tripsBefore;
      const stats = gateway.stats();
      await probe.stop();
      await Promise.all(abusers.map((mux) => mux.close()));
      process.stdout.write(`fairness: up to ${maxWaiting} dials waiting; ${during} probe round trips during the burst, worst ${probe.worst.toFixed(1)} ms; event-loop lag p99/max ${stats.eventLoopLagP99Ms}/${stats.eventLoopLagMaxMs} ms\n`);
      // The burst was queued and served over many turns, and the probe kept going through it.
      expect(during).toBeGreaterThan(0);
      expect(stats.eventLoopLagMaxMs).toBeGreaterThanOrEqual(0);
      expect(gateway.stats().waitingTurns).toBe(0);
      expect(maxWaiting).toBeGreaterThan(16); // dials were queued, not all run in one turn
    } finally {
      await echo.close();
    }
  }, 30_000);
});
