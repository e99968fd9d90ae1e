/** What can stop reading: a transport's `pause`/`resume`. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** Why a connection stops reading its transport; several may hold at once. */
export const ReadHold = {
  /** Received data waits for slow readers (see `InboundLimit`). */
  Inbound: 1,
  /** Replies wait for a peer that does not read them (see `OutputBound`). */
  Output: 2,
} as const;

/**
 * The one place that pauses and resumes a connection's transport. Each reason holds the
 * gate independently, and reading resumes only once none holds it: without this, one limit
 * releasing would resume reading that another limit still needs paused.
 */
export class ReadGate {
  private holds = 0;

  constructor(private readonly transport: Pausable) {}

  /** True while any reason holds reading paused. */
  get paused(): boolean {
    return this.holds !== 0;
  }

  /** True while `reason` holds reading paused. */
  holding(reason: number): boolean {
    return (this.holds & reason) !== 0;
  }

  hold(reason: number): void {
    const before = this.holds;
    this.holds |= reason;
    if (before === 0 && this.holds !== 0) this.transport.pause();
  }

  release(reason: number): void {
    if ((this.holds & reason) === 0) return;
    this.holds &= ~reason;
    if (this.holds === 0) this.transport.resume();
  }
}
