import type { SendWindow } from '../core/protocol.js';

/**
 * What a Wisp client may send on one TCP stream: credit counted in packets, whatever their
 * size. A CONTINUE *replaces* it (it is the server's view of its free buffer), so there is no
 * adding up; the stream-open confirmation may only lower it ({@link confirm}).
 */
export class SendCredit implements SendWindow {
  constructor(private credit: number) {}

  get available(): number {
    return this.credit;
  }

  take(want: number): number {
    if (this.credit <= 0) return -1;
    this.credit--;
    return want;
  }

  /** A CONTINUE: the server's buffer now has room for `value` packets. */
  set(value: number): void {
    this.credit = value;
  }

  /** The open confirmation re-announces credit; it must never enlarge what we hold. */
  confirm(value: number): void {
    this.credit = Math.min(this.credit, value);
  }
}
