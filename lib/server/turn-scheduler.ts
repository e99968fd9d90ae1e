/**
 * Spreads the gateway's costly per-stream and per-handshake work (dialling a target,
 * checking credentials) across event-loop turns, fairly between connections.
 * @module
 */

/**
 * A round-robin queue of work per connection with a budget per event-loop turn. A client
 * that opens 256 streams at once on each of 32 connections would otherwise have all 8,192
 * dials run in one turn, and every other client wait behind them (1.4 s of event-loop lag
 * was measured). Here each turn runs at most `perTurn` jobs, one per connection per round,
 * and a connection that was left out by the budget goes first next turn; then the loop
 * gets back to I/O (other clients' packets) before the next turn. A connection's queue is
 * bounded by its streams (at most `maxStreamsPerConnection`) and handshakes (one).
 */
export class TurnScheduler {
  private readonly queues = new Map<object, (() => void)[]>();
  /** Connections with work, in the order they are served. */
  private ring: object[] = [];
  private scheduled = false;

  constructor(
    private readonly perTurn: number,
    /** How to run on a later turn (tests inject their own). `setImmediate` lets I/O in first. */
    private readonly defer: (run: () => void) => void = (run) => void setImmediate(run),
  ) {}

  /** Jobs waiting, over all connections. */
  get waiting(): number {
    let n = 0;
    for (const queue of this.queues.values()) n += queue.length;
    return n;
  }

  /** Resolves on a later turn, when `key`'s (a connection's) turn comes. */
  turn(key: object): Promise<void> {
    return new Promise((resolve) => this.enqueue(key, resolve));
  }

  /** Queues `job` for `key`. */
  enqueue(key: object, job: () => void): void {
    const queue = this.queues.get(key);
    if (queue) queue.push(job);
    else {
      this.queues.set(key, [job]);
      this.ring.push(key);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(this.run);
    }
  }

  private readonly run = (): void => {
    this.scheduled = false;
    let budget = this.perTurn;
    while (budget > 0 && this.ring.length > 0) {
      const served: object[] = [];
      const waiting: object[] = [];
      const round = this.ring;
      this.ring = []; // a job that queues for a new connection lands here, after this round
      for (const key of round) {
        if (budget === 0) {
          waiting.push(key);
          continue;
        }
        const queue = this.queues.get(key)!;
        const job = queue.shift()!;
        budget--;
        if (queue.length > 0) served.push(key);
        else this.queues.delete(key);
        job();
      }
      // Those the budget left out go first next time.
      this.ring = [...waiting, ...served, ...this.ring];
    }
    if (this.ring.length > 0 && !this.scheduled) {
      this.scheduled = true;
      this.defer(this.run);
    }
  };
}
