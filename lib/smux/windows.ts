/**
 * smux v2's per-stream windows (shared smux-notes.md §5). All counters are uint32 and wrap
 * mod 2^32, as Go's do; UPD carries absolute values, not deltas.
 * @packageDocumentation
 */
import type { ReceiveWindow, SendWindow } from '../core/protocol.js';
import { SMUX_INITIAL_PEER_WINDOW } from './defaults.js';

/**
 * What a v2 stream may send: `peerWindow - (written - peerConsumed)`, from the peer's last
 * UPD (or Go's 256 KiB guess until one came).
 */
export class SmuxSendWindow implements SendWindow {
  private written = 0;
  private peerConsumed = 0;
  private peerWindow = SMUX_INITIAL_PEER_WINDOW;

  get available(): number {
    return Math.max(0, (this.peerWindow | 0) - this.inflight);
  }

  /** Bytes sent and not yet consumed by the peer, as Go computes it (int32). */
  get inflight(): number {
    return ((this.written - this.peerConsumed) >>> 0) | 0;
  }

  take(want: number): number {
    const free = this.available;
    if (free <= 0) return -1;
    const size = Math.min(want, free);
    this.written = (this.written + size) >>> 0;
    return size;
  }

  /** The peer's UPD: both values replace ours. False when it claims more consumed than was sent (Go: ErrConsumed). */
  update(consumed: number, window: number): boolean {
    this.peerConsumed = consumed >>> 0;
    this.peerWindow = window >>> 0;
    return this.inflight >= 0;
  }
}

/**
 * What a v2 peer may send on a stream, enforced. An honest peer keeps
 * `received - consumed ≤ window` for the last UPD it got, or `received ≤ 256 KiB` before its
 * first: our UPDs may still be on their way, so the bound is the larger of what we ever
 * allowed, `max(256 KiB, lastConsumed + window)`. Consumption sends an UPD on the first read
 * and then every `window / 2` bytes read, as Go does.
 */
export class SmuxReceiveWindow implements ReceiveWindow {
  // Running totals as plain numbers (exact far past 2^32); UPD takes them mod 2^32.
  private received = 0;
  private consumed = 0;
  /** `consumed` in our last UPD. */
  private announced = 0;
  private sentAny = false;

  constructor(private readonly window: number) {}

  /** The window our UPDs announce. */
  get size(): number {
    return this.window;
  }

  receive(size: number): boolean {
    const bound = Math.max(SMUX_INITIAL_PEER_WINDOW, this.announced + this.window);
    if (this.received + size > bound) return false;
    this.received += size;
    return true;
  }

  consume(_frames: number, bytes: number): number {
    this.consumed += bytes;
    if (this.sentAny && this.consumed - this.announced < this.window / 2) return -1;
    this.sentAny = true;
    this.announced = this.consumed;
    return this.consumed;
  }
}
