/**
 * Spreads the gateway's costly per-stream and per-handshake work (dialling a target,
 * checking credentials) across event-loop turns, fairly between connections, and bounds
 * how many dials are connecting at once.
 * @module
 */

/** Bounds on dials in progress (from the dial's start to its socket connecting or failing). */
export interface DialLimits {
  /**
   * Dials one connection may have in progress; more wait in its queue. Default 1,024: a
   * quarter of `total`, and four times the gateway's default stream limit.
   */
  readonly perConnection?: number;
  /** Dials the whole gateway may have in progress. Default 4,096. */
  readonly total?: number;
}

/** Defaults of {@link DialLimits}. */
export const DIAL_LIMITS = Object.freeze({ perConnection: 1024, total: 4096 });

/** A job that holds a dial slot until it calls `release` (once; more calls are ignored). */
export type SlotJob = (release: () => void) => void;

interface Job {
  /** A plain job ignores the argument. */
  readonly run: SlotJob;
  readonly slot: boolean;
}

const NOTHING_HELD = (): void => undefined;

/** One connection's queue. Kept while it has jobs or dials in progress. */
interface Entry {
  readonly key: object;
  jobs: Job[];
  head: number;
  active: number;
}

/**
 * A round-robin queue of work per connection with a budget per event-loop turn. A client
 * that opens 256 streams at once on each of 32 connections would otherwise have all 8,192
 * dials run in one turn, and every other client wait behind them (1.4 s of event-loop lag
 * was measured). Here each turn runs at most `perTurn` jobs, one per connection per round,
 * and a connection that was left out by the budget goes first next turn; then the loop
 * gets back to I/O (other clients' packets) before the next turn.
 *
 * A job runs at once, inside {@link enqueue}, while the current turn's budget lasts and no
 * connection waits for the next turn: the first dials of a burst start while its later
 * CONNECTs are still being read (deferring them all cost a 1,024-stream burst its first
 * dial until the whole batch had been read). Only the excess is spread.
 *
 * Slot jobs (dials) also wait for a slot under {@link DialLimits}; a release hands the slot
 * on, round-robin. A connection's queue is bounded by its streams (at most
 * `maxStreamsPerConnection`) and handshakes (one).
 */
export class TurnScheduler {
  private readonly entries = new Map<object, Entry>();
  /**
   * When each connection was last served (a count of jobs run). The ring is kept in this
   * order, least recently served first: one the budget or a slot left out goes ahead of
   * those served since, and a newcomer ahead of those served before it came.
   */
  private readonly lastServed = new WeakMap<object, number>();
  private served = 0;
  /** Connections with queued jobs, in the order they are served. */
  private ring: Entry[] = [];
  /** Connections that queued while a round ran: merged in by {@link lastServed} after it. */
  private joining: Entry[] = [];
  private budget: number;
  /** A next turn is scheduled (it resets the budget). */
  private armed = false;
  private pumping = false;
  /** A slot came free while pumping: look again. */
  private freed = false;
  private activeTotal = 0;
  private readonly perConnection: number;
  private readonly total: number;

  constructor(
    private readonly perTurn: number,
    /** How to run on a later turn (tests inject their own). `setImmediate` lets I/O in first. */
    private readonly defer: (run: () => void) => void = (run) => void setImmediate(run),
    limits: DialLimits = {},
  ) {
    this.budget = perTurn;
    this.perConnection = limits.perConnection ?? DIAL_LIMITS.perConnection;
    this.total = limits.total ?? DIAL_LIMITS.total;
  }

  /** Jobs waiting, over all connections. */
  get waiting(): number {
    let n = 0;
    for (const entry of this.ring) n += entry.jobs.length - entry.head;
    return n;
  }

  /** Dials in progress (holding a slot), over all connections. */
  get dialling(): number {
    return this.activeTotal;
  }

  /** Resolves when `key`'s (a connection's) turn comes (it may be this one). */
  turn(key: object): Promise<void> {
    return new Promise((resolve) => this.enqueue(key, resolve));
  }

  /** Runs `job` for `key` now if the budget allows, else when `key`'s turn comes. */
  enqueue(key: object, job: () => void): void {
    this.add(key, { run: job, slot: false });
  }

  /**
   * Runs `job` for `key` when it has a turn and a dial slot (perhaps at once); the job
   * must call `release` when its dial has connected or failed.
   */
  dial(key: object, job: SlotJob): void {
    this.add(key, { run: job, slot: true });
  }

  private add(key: object, job: Job): void {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { key, jobs: [], head: 0, active: 0 };
      this.entries.set(key, entry);
    }
    if (entry.jobs.length === entry.head) {
      if (this.pumping) this.joining.push(entry);
      else this.join(entry);
    }
    entry.jobs.push(job);
    this.pump();
  }

  /** Puts `entry` in the ring after every connection served no later than it (FIFO among equals). */
  private join(entry: Entry): void {
    const ring = this.ring;
    const at = this.lastServed.get(entry.key) ?? -1;
    let lo = 0;
    let hi = ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.lastServed.get(ring[mid].key) ?? -1) <= at) lo = mid + 1;
      else hi = mid;
    }
    if (lo === ring.length) ring.push(entry);
    else ring.splice(lo, 0, entry);
  }

  private runnable(entry: Entry): boolean {
    const job = entry.jobs[entry.head];
    return !job.slot || (entry.active < this.perConnection && this.activeTotal < this.total);
  }

  /** Serves the ring round-robin while the budget lasts and someone can run. */
  private pump(): void {
    if (this.pumping) return; // the loop below picks up what was added
    this.pumping = true;
    let failure: { error: unknown } | undefined;
    try {
      let progressed = true;
      while (this.budget > 0 && this.ring.length > 0 && (progressed || this.freed)) {
        progressed = false;
        this.freed = false;
        const round = this.ring;
        const left: Entry[] = [];
        const served: Entry[] = [];
        for (const entry of round) {
          if (this.budget === 0 || !this.runnable(entry)) {
            left.push(entry);
            continue;
          }
          const job = entry.jobs[entry.head];
          entry.jobs[entry.head++] = undefined as unknown as Job;
          if (entry.head === entry.jobs.length) {
            entry.jobs = [];
            entry.head = 0;
          } else {
            if (entry.head >= 64 && entry.head * 2 >= entry.jobs.length) {
              entry.jobs = entry.jobs.slice(entry.head);
              entry.head = 0;
            }
            served.push(entry);
          }
          this.budget--;
          this.lastServed.set(entry.key, this.served++);
          progressed = true;
          try {
            this.start(entry, job);
          } catch (error) {
            failure ??= { error }; // finish the round's bookkeeping first
          }
        }
        // Those left out keep their place in front; the served go to the back, in order.
        this.ring = left.length === 0 ? served : served.length === 0 ? left : [...left, ...served];
        const joining = this.joining;
        this.joining = [];
        for (const entry of joining) this.join(entry);
      }
    } finally {
      this.pumping = false;
    }
    // Reset the budget next turn if this one used any; queued work then goes on.
    if (this.budget < this.perTurn && !this.armed) {
      this.armed = true;
      this.defer(this.nextTurn);
    }
    if (failure) throw failure.error;
  }

  private start(entry: Entry, job: Job): void {
    if (!job.slot) {
      this.forget(entry);
      return job.run(NOTHING_HELD);
    }
    entry.active++;
    this.activeTotal++;
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      entry.active--;
      this.activeTotal--;
      this.forget(entry);
      if (this.pumping) this.freed = true;
      else if (this.ring.length > 0) this.pump();
    };
    try {
      job.run(release);
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Drops a connection's entry once it has nothing queued and nothing in progress. */
  private forget(entry: Entry): void {
    if (entry.active === 0 && entry.jobs.length === entry.head) this.entries.delete(entry.key);
  }

  private readonly nextTurn = (): void => {
    this.armed = false;
    this.budget = this.perTurn;
    this.pump();
  };
}
