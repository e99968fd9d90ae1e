/** The two halves of a stream's window, as the core asks them; each protocol implements its own. */

/**
 * What a stream may send now. The units and update rule are the protocol's (Wisp counts
 * packets and replaces credit; yamux adds byte deltas); the outbox only asks.
 */
export interface SendWindow {
  /** Bytes (≤ `want`) that may go out now as one frame, booked as sent; -1 while the window is shut. */
  take(want: number): number;
  /** What is left, in the protocol's units (diagnostics, `MuxStream.credit`). */
  readonly available: number;
  /**
   * Few frames left in a window counted in frames (Wisp): the outbox lets a small write wait
   * a moment for more to gather into a fuller frame. Absent: never.
   */
  readonly short?: boolean;
}

/** The receiving half of a stream's window, enforced on every frame. */
export interface ReceiveWindow {
  /** A frame of `size` bytes arrived; false when the peer sent past what it was granted. */
  receive(size: number): boolean;
  /** `frames` frames (`bytes` bytes) were handed to the reader; returns an update value to send now, or -1. */
  consume(frames: number, bytes: number): number;
}
