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

  it('runs at most perTurn jobs a turn, one per connection per round', () => {
    const { scheduler, turn, pending } = manual(4);
    const ran: string[] = [];
    const a = {};
    const b = {};
    for (let i = 0; i < 10; i++) scheduler.enqueue(a, () => ran.push(`a${i}`));
    scheduler.enqueue(b, () => ran.push('b0'));
    expect(pending()).toBe(1); // one deferred run however many jobs
    turn();
    expect(ran).toEqual(['a0', 'b0', 'a1', 'a2']);
    turn();
    expect(ran).toHaveLength(8);
    turn();
    expect(ran).toHaveLength(11);
    expect(pending()).toBe(0);
    expect(scheduler.waiting).toBe(0);
  });

  it('a connection the budget left out goes first next turn', () => {
    const { scheduler, turn } = manual(2);
    const ran: string[] = [];
    const keys = ['a', 'b', 'c'].map((name) => ({ name }));
    for (const key of keys) for (let i = 0; i < 2; i++) scheduler.enqueue(key, () => ran.push(`${key.name}${i}`));
    turn();
    expect(ran).toEqual(['a0', 'b0']);
    turn();
    expect(ran).toEqual(['a0', 'b0', 'c0', 'a1']);
    turn();
    expect(ran).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'c1']);
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
