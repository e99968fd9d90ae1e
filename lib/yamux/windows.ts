/**
 * yamux's per-stream credit windows, in bytes, both ways. The sender subtracts each Data
 * frame and adds the peer's WindowUpdate deltas (saturating at 2³²−1); the receiver enforces
 * what it granted and returns the bytes its reader consumed once half a window has been.
 * @packageDocumentation
 */
import type { ReceiveWindow, SendWindow } from '../core/protocol.js';

const U32_MAX = 0xffffffff;

/** What a stream may send. Shut (`gated`) while a version-1 open waits for its ACK. */
export class YamuxSendWindow implements SendWindow {
  private credit: number;

  constructor(
    initial: number,
    /** True until the peer acknowledges the open (version 1): nothing may be sent. */
    public gated = false,
  ) {
    this.credit = initial;
  }

  get available(): number {
    return this.gated ? 0 : this.credit;
  }

  take(want: number): number {
    if (this.gated || this.credit <= 0) return -1;
    const size = Math.min(want, this.credit);
    this.credit -= size;
    return size;
  }

  /** The peer granted `delta` more bytes. */
  grant(delta: number): void {
    this.credit = Math.min(U32_MAX, this.credit + delta);
  }
}

/** What the peer may send on a stream, and when to tell it that it may send more. */
export class YamuxReceiveWindow implements ReceiveWindow {
  /** Bytes the peer may still send before it overruns. */
  private room: number;
  /** Bytes consumed by the reader and not yet granted back. */
  private consumed = 0;

  constructor(private readonly size: number) {
    this.room = size;
  }

  /** Bytes the peer may still send. */
  get remaining(): number {
    return this.room;
  }

  /** True when a frame of `size` bytes stays within what was granted. */
  fits(size: number): boolean {
    return size <= this.room;
  }

  receive(size: number): boolean {
    if (size > this.room) return false;
    this.room -= size;
    return true;
  }

  consume(_frames: number, bytes: number): number {
    this.consumed += bytes;
    if (this.consumed < this.size / 2) return -1;
    const delta = this.consumed;
    this.consumed = 0;
    this.room += delta;
    return delta;
  }
}
