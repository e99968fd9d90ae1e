import type { SchedulerLike, Subscription } from '../rx.js';
import { ReadHold, type ReadGate } from './read-gate.js';

/**
 * Bounds what a connection queues on its way out beyond the transport's high-water mark.
 *
 * Stream DATA already stops at the high-water mark (the outbox waits for `drain$`). Control
 * packets — the CLOSE refusing a CONNECT, CONTINUEs, confirmations, extension replies — are
 * replies to the peer's own input and are sent even past the mark, because holding them back
 * behind DATA would stall flow control (head-of-line blocking) and could deadlock two peers
 * that both wait for a CONTINUE. So they are counted instead: once more than `maxBytes` of
 * them (or more than `maxPackets` packets) have been sent past the mark, the connection stops reading its transport (the peer
 * that does not read its replies is slowed through TCP, and only that connection), and it
 * reads again when the transport drains. A peer that keeps the bound exceeded for
 * `stallMs` is cut with `onStall` (the actor closes it with Throttled).
 *
 * Why this cannot deadlock: reading pauses only while the peer is not reading us, and what
 * resumes it (drain) depends on the peer alone, not on anything we wait to receive.
 * Hot path: one comparison and one addition per control packet sent past the mark; no
 * allocation, and the stall timer is armed only on the transition to paused.
 */
export class OutputBound {
  private bytes = 0;
  private packets = 0;
  private timer: Subscription | undefined;

  constructor(
    private readonly gate: ReadGate,
    /** Control bytes allowed past the high-water mark before reading pauses. */
    private readonly maxBytes: number,
    /** Control packets allowed past the mark (each queued write costs memory whatever its size). */
    private readonly maxPackets: number,
    /** How long reading may stay paused for output before `onStall`; 0 = never cut. */
    private readonly stallMs: number,
    private readonly scheduler: SchedulerLike,
    private readonly onStall: () => void,
  ) {}

  /** Control bytes sent past the high-water mark since the transport last drained. */
  get backlogBytes(): number {
    return this.bytes;
  }

  /** True while this bound keeps reading paused. */
  get pausing(): boolean {
    return this.gate.holding(ReadHold.Output);
  }

  /** A control packet of `size` bytes went out while the transport was over its mark. */
  sentPastMark(size: number): void {
    this.bytes += size;
    this.packets++;
    if ((this.bytes <= this.maxBytes && this.packets <= this.maxPackets) || this.gate.holding(ReadHold.Output)) return;
    this.gate.hold(ReadHold.Output);
    if (this.stallMs > 0) {
      this.timer = this.scheduler.schedule(() => this.stalled(), this.stallMs); // a closure only when armed
    }
  }

  /** The transport drained below its mark: everything counted has left. */
  drained(): void {
    this.bytes = 0;
    this.packets = 0;
    this.stopTimer();
    this.gate.release(ReadHold.Output);
  }

  /** The connection ended: no timer may fire any more. */
  stop(): void {
    this.stopTimer();
  }

  private stalled(): void {
    this.timer = undefined;
    this.onStall();
  }

  private stopTimer(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }
}
