import type { SendWindow } from '../core/protocol.js';

/**
 * What a Wisp client may send on one TCP stream: credit counted in packets, whatever their
 * size. A CONTINUE *replaces* it (it is the server's view of its free buffer), so there is no
 * adding up; the stream-open confirmation may only lower it ({@link confirm}).
 */
export class SendCredit implements SendWindow {
  /** The credit last granted: what "short" is measured against. */
  private granted: number;

  constructor(private credit: number) {
    this.granted = credit;
  }

  get available(): number {
    return this.credit;
  }

  /** Under half of the last grant left: small writes should gather rather than spend a packet each. */
  get short(): boolean {
    return this.credit * 2 < this.granted;
  }

  take(want: number): number {
    if (this.credit <= 0) return -1;
    this.credit--;
    return want;
  }

  /** A CONTINUE: the server's buffer now has room for `value` packets. */
  set(value: number): void {
    this.credit = value;
    this.granted = value;
  }

  /** The open confirmation re-announces credit; it must never enlarge what we hold. */
  confirm(value: number): void {
    this.credit = Math.min(this.credit, value);
  }
}
