/**
 * The streams this side opened that the peer has not acknowledged yet (its ACK comes when
 * its application accepts). Version 0 keeps at most `acceptBacklog` of them, as Go does (Go
 * answers SYNs beyond its backlog with RST); version 1 waits for each ACK, up to
 * `openTimeoutMs`, then resets the stream.
 * @packageDocumentation
 */
import type { SchedulerLike, Subscription } from '../rx.js';
import { WispError } from '../errors.js';
import type { StreamRecord } from '../core/stream-record.js';

interface Unacked {
  timer?: Subscription;
  waiter?: { resolve(): void; reject(error: Error): void };
}

export class OpenTracker {
  private readonly unacked = new Map<number, Unacked>();
  private readonly roomWaiters: { run(): void; fail(error: Error): void }[] = [];
  private ended: WispError | undefined;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly backlog: number,
    /** Version 1: ms an open waits for its ACK; undefined: opens do not wait. */
    private readonly openTimeoutMs: number | undefined,
    /** The ACK did not come in time: reset the stream. */
    private readonly timedOut: (record: StreamRecord) => void,
  ) {}

  /** Opens not acknowledged yet. */
  get pending(): number {
    return this.unacked.size;
  }

  /** Runs `run` now if fewer than the backlog are un-ACKed, else once one is; `fail` if the session ends first. */
  whenRoom(run: () => void, fail: (error: Error) => void): void {
    if (this.ended) return fail(this.ended);
    if (this.unacked.size < this.backlog && this.roomWaiters.length === 0) return run();
    this.roomWaiters.push({ run, fail });
  }

  /** A stream this side just opened: wait for its ACK (the core calls `onAcknowledged` on the ACK or on its close). */
  track(record: StreamRecord): void {
    const entry: Unacked = {};
    this.unacked.set(record.id, entry);
    record.onAcknowledged = (error) => this.settled(record.id, error);
    if (this.openTimeoutMs !== undefined) {
      entry.timer = this.scheduler.schedule(() => {
        entry.timer = undefined;
        const waiter = entry.waiter;
        entry.waiter = undefined;
        waiter?.reject(new WispError('HandshakeTimeout', `stream ${record.id} was not acknowledged within ${this.openTimeoutMs} ms`));
        this.timedOut(record);
      }, this.openTimeoutMs);
    }
  }

  /** Resolves once stream `id` is acknowledged (at once if it is not waiting); rejects if it closes first. */
  acknowledgement(id: number): Promise<void> {
    const entry = this.unacked.get(id);
    if (!entry) return Promise.resolve();
    return new Promise((resolve, reject) => (entry.waiter = { resolve, reject }));
  }

  /** The session ended: everything waiting fails with `error`. */
  end(error: WispError): void {
    if (this.ended) return;
    this.ended = error;
    for (const entry of this.unacked.values()) {
      entry.timer?.unsubscribe();
      entry.waiter?.reject(error);
    }
    this.unacked.clear();
    for (const waiter of this.roomWaiters.splice(0)) waiter.fail(error);
  }

  private settled(id: number, error?: Error): void {
    const entry = this.unacked.get(id);
    if (!entry) return;
    this.unacked.delete(id);
    entry.timer?.unsubscribe();
    if (error) entry.waiter?.reject(error);
    else entry.waiter?.resolve();
    while (this.unacked.size < this.backlog && this.roomWaiters.length > 0 && !this.ended) this.roomWaiters.shift()!.run();
  }
}
