import type { SchedulerAction, SchedulerLike, Subscription } from '../rx.js';

/** What a {@link Keepalive} does when its timer ticks. */
export interface KeepaliveHooks {
  /** Sends one ping frame. */
  ping(): void;
  /** Nothing was heard for the timeout: the connection is dead. */
  silent(): void;
  /**
   * True while this side itself keeps the peer silent (reading paused for a slow reader):
   * silence then does not count, as Go's smux holds its timeout while its bucket is empty.
   */
  holding?(): boolean;
}

/**
 * Keepalive of one connection: a ping every `intervalMs`, and the connection declared dead
 * once nothing at all was heard for `timeoutMs`. The actor sets {@link heard} on every
 * inbound frame — one store, no clock read per frame; the tick reads it and clears it, so
 * silence is measured in whole intervals (as Go's smux does). All time comes from the
 * scheduler, so tests drive it with a TestScheduler.
 */
export class Keepalive {
  /** Set on every inbound frame; cleared at each tick. */
  heard = false;
  private silentMs = 0;
  private readonly timer: Subscription;

  constructor(
    scheduler: SchedulerLike,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly hooks: KeepaliveHooks,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the scheduled action's `this` is the action
    const keepalive = this;
    this.timer = scheduler.schedule(function (this: SchedulerAction<undefined>) {
      if (keepalive.tick()) this.schedule(undefined, intervalMs);
    }, intervalMs);
  }

  stop(): void {
    this.timer.unsubscribe();
  }

  /** One interval passed; returns false once the connection was declared dead. */
  private tick(): boolean {
    if (this.heard || this.hooks.holding?.() === true) this.silentMs = 0;
    else this.silentMs += this.intervalMs;
    this.heard = false;
    if (this.silentMs >= this.timeoutMs) {
      this.hooks.silent();
      return false;
    }
    this.hooks.ping();
    return true;
  }
}
