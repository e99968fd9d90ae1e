import type { Subscription } from '../rx.js';
import { WispError } from '../errors.js';
import type { ReceiveWindow, SendWindow } from './windows.js';
import { CloseSignal } from './close-signal.js';
import { ReceiveQueue, type QueueHooks } from './receive-queue.js';

/** `tcp` streams are reliable byte streams; `udp` streams carry datagrams (Wisp only). */
export type StreamKind = 'tcp' | 'udp';

/** Called once a write has been handed to the transport (or has failed). */
export type WriteCallback = (error?: Error) => void;

/** A write waiting for its window or for the transport to drain. */
export interface PendingWrite {
  readonly chunk: Uint8Array;
  offset: number;
  readonly callback: WriteCallback | undefined;
  /** The chunk has spare bytes in front of it (same buffer) for the frame header: no copy. */
  readonly inPlace: boolean;
}

/**
 * How a stream ended: `local` (we closed it: unread data is dropped), `remote` (the peer or
 * the connection did: what was received is still delivered), `kept` (we closed it but keep
 * what was received readable: a graceful stop).
 */
export type EndSide = 'local' | 'remote' | 'kept';

/** The window of a direction the protocol does not limit per stream. */
export const UNLIMITED: SendWindow = { take: (want) => want, available: Infinity };

/**
 * All state of one stream. Owned by the actor: only the actor (and the wire it drives) reads
 * or changes it; stream handles hold a reference but go through the actor's commands.
 */
export class StreamRecord {
  /** What this stream may send now (set by the wire). */
  sendWindow: SendWindow = UNLIMITED;
  /** What the peer may send, enforced on every frame; undefined where the protocol has none. */
  receiveWindow: ReceiveWindow | undefined;
  readonly pending: PendingWrite[] = [];
  /** True while this record sits in the outbox's send queue. */
  scheduled = false;
  /** True while this stream's queue counts towards pausing the transport. */
  overLimit = false;
  /** This stream's queued bytes as last counted into the connection's total (ReceiveBudget). */
  countedBytes = 0;
  /** Set once the stream is closed, with the reason. */
  closeReason: number | undefined;
  /** `end()` was called: the half-close goes out after the pending writes. */
  ending = false;
  /** Our half-close went out: nothing more may be written. */
  localEnded = false;
  /** The peer half-closed: nothing more will arrive. */
  remoteEnded = false;
  /** A graceful `close(reason)` waits for the pending writes: the reason to close with. */
  closing: number | undefined;
  /** The deadline of that wait (aborts the stream when it fires). */
  closeTimer: Subscription | undefined;
  /** The stream was acknowledged (server: we sent it; client: it arrived). */
  acknowledged = false;
  /** Settles `open(..., { awaitAcknowledgement })`. */
  onAcknowledged: ((error?: Error) => void) | undefined;
  /** Fired with the reason when the stream closes; it is `MuxStream.closed$`. */
  readonly closeSignal = new CloseSignal();
  /** Received data; `MuxStream.data$` is this queue. */
  readonly queue: ReceiveQueue<StreamRecord>;

  constructor(
    readonly id: number,
    readonly kind: StreamKind,
    readonly host: string,
    readonly port: number,
    hooks: QueueHooks<StreamRecord>,
  ) {
    this.queue = new ReceiveQueue<StreamRecord>(this, hooks);
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  /** Writes are refused: closed, closing, or half-closed by us. */
  get writeShut(): boolean {
    return this.closeReason !== undefined || this.closing !== undefined || this.ending;
  }

  /**
   * Marks the stream closed and settles what it still holds: waiting writes and a waiting
   * opener fail, the reader ends (completing on a normal end, else erroring with the reason),
   * and closed$ fires. The error is built only when someone needs it: an Error's stack trace
   * is costly at stream churn rates.
   */
  settle(reason: number, side: EndSide, normal: boolean, error?: WispError): void {
    this.closeReason = reason;
    this.closeTimer?.unsubscribe();
    const opener = this.onAcknowledged;
    this.onAcknowledged = undefined;
    if (this.pending.length > 0 || opener) {
      const failure = error ?? this.closedBy(side, reason);
      for (const write of this.pending.splice(0)) write.callback?.(failure);
      opener?.(failure);
    }
    if (side === 'local') this.queue.discard(error);
    else if (side === 'kept') this.queue.end(error);
    else this.queue.end(error ?? (normal ? undefined : this.closedBy(side, reason)));
    this.closeSignal.fire(reason);
  }

  /** The error of a write to a stream that is closed or ended. */
  closedError(): WispError {
    return new WispError('StreamAlreadyClosed', `stream ${this.id} is closed`, this.closeReason === undefined ? {} : { reason: this.closeReason });
  }

  private closedBy(side: EndSide, reason: number): WispError {
    const by = side === 'remote' ? 'by the peer' : 'locally';
    return new WispError('StreamClosed', `stream ${this.id} was closed ${by} (reason 0x${reason.toString(16)})`, { reason });
  }
}
