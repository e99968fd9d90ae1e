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

/** Shared by every stream that has no write waiting; never written (see `addPending`). */
const NO_WRITES: PendingWrite[] = Object.freeze([]) as unknown as PendingWrite[];

// Bits of StreamRecord's `flags` (plain constants: an enum compiles to an object looked up at run time).
const UDP = 1;
const SCHEDULED = 2;
const OVER_LIMIT = 4;
const ENDING = 8;
const LOCAL_ENDED = 16;
const REMOTE_ENDED = 32;
const ACKNOWLEDGED = 64;

/** What only a stream that closes gracefully or awaits its confirmation needs. */
class RareState {
  closing: number | undefined;
  closeTimer: Subscription | undefined;
  onAcknowledged: ((error?: Error) => void) | undefined;
}

/**
 * All state of one stream. Owned by the actor: only the actor (and the wire it drives) reads
 * or changes it; stream handles hold a reference but go through the actor's commands.
 *
 * A client may hold tens of thousands of these, so the record is kept small: the booleans
 * share one `flags` field, the write list is a shared empty array until the first write
 * waits, the receive queue is made on first use, and what graceful closes and confirmations
 * need lives in a {@link RareState} made on first use. The accessors keep the fields' names and meaning for the actor and wires.
 */
export class StreamRecord {
  /** What this stream may send now (set by the wire). */
  sendWindow: SendWindow = UNLIMITED;
  /** What the peer may send, enforced on every frame; undefined where the protocol has none. */
  receiveWindow: ReceiveWindow | undefined;
  /** This stream's queued bytes as last counted into the connection's total (ReceiveBudget). */
  countedBytes = 0;
  /** Set once the stream is closed, with the reason. */
  closeReason: number | undefined;
  /** Fired with the reason when the stream closes; it is `MuxStream.closed$`. */
  readonly closeSignal = new CloseSignal();
  private inbox: ReceiveQueue<StreamRecord> | undefined;
  private writes: PendingWrite[] = NO_WRITES;
  private flags: number;
  private rare: RareState | undefined;

  constructor(
    readonly id: number,
    kind: StreamKind,
    readonly host: string,
    readonly port: number,
    private readonly hooks: QueueHooks<StreamRecord>,
  ) {
    this.flags = kind === 'udp' ? UDP : 0;
  }

  /**
   * Received data; `MuxStream.data$` is this queue. Made on first use (data arriving, a
   * reader, pause/resume, the close): a held stream that nothing was sent to holds none.
   */
  get queue(): ReceiveQueue<StreamRecord> {
    return (this.inbox ??= new ReceiveQueue<StreamRecord>(this, this.hooks));
  }

  get kind(): StreamKind {
    return this.flags & UDP ? 'udp' : 'tcp';
  }

  /** Writes waiting for the window or the transport, oldest first; add with {@link addPending}. */
  get pending(): PendingWrite[] {
    return this.writes;
  }

  addPending(write: PendingWrite): void {
    if (this.writes === NO_WRITES) this.writes = [write];
    else this.writes.push(write);
  }

  /** True while this record sits in the outbox's send queue. */
  get scheduled(): boolean {
    return (this.flags & SCHEDULED) !== 0;
  }
  set scheduled(value: boolean) {
    this.set(SCHEDULED, value);
  }

  /** True while this stream's queue counts towards pausing the transport. */
  get overLimit(): boolean {
    return (this.flags & OVER_LIMIT) !== 0;
  }
  set overLimit(value: boolean) {
    this.set(OVER_LIMIT, value);
  }

  /** `end()` was called: the half-close goes out after the pending writes. */
  get ending(): boolean {
    return (this.flags & ENDING) !== 0;
  }
  set ending(value: boolean) {
    this.set(ENDING, value);
  }

  /** Our half-close went out: nothing more may be written. */
  get localEnded(): boolean {
    return (this.flags & LOCAL_ENDED) !== 0;
  }
  set localEnded(value: boolean) {
    this.set(LOCAL_ENDED, value);
  }

  /** The peer half-closed: nothing more will arrive. */
  get remoteEnded(): boolean {
    return (this.flags & REMOTE_ENDED) !== 0;
  }
  set remoteEnded(value: boolean) {
    this.set(REMOTE_ENDED, value);
  }

  /** The stream was acknowledged (server: we sent it; client: it arrived). */
  get acknowledged(): boolean {
    return (this.flags & ACKNOWLEDGED) !== 0;
  }
  set acknowledged(value: boolean) {
    this.set(ACKNOWLEDGED, value);
  }

  /** A graceful `close(reason)` waits for the pending writes: the reason to close with. */
  get closing(): number | undefined {
    return this.rare?.closing;
  }
  set closing(value: number | undefined) {
    if (value !== undefined || this.rare) (this.rare ??= new RareState()).closing = value;
  }

  /** The deadline of that wait (aborts the stream when it fires). */
  get closeTimer(): Subscription | undefined {
    return this.rare?.closeTimer;
  }
  set closeTimer(value: Subscription | undefined) {
    if (value !== undefined || this.rare) (this.rare ??= new RareState()).closeTimer = value;
  }

  /** Settles `open(..., { awaitAcknowledgement })`. */
  get onAcknowledged(): ((error?: Error) => void) | undefined {
    return this.rare?.onAcknowledged;
  }
  set onAcknowledged(value: ((error?: Error) => void) | undefined) {
    if (value !== undefined || this.rare) (this.rare ??= new RareState()).onAcknowledged = value;
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  /** Writes are refused: closed, closing, or half-closed by us. */
  get writeShut(): boolean {
    return this.closeReason !== undefined || this.closing !== undefined || this.ending;
  }

  private set(flag: number, value: boolean): void {
    this.flags = value ? this.flags | flag : this.flags & ~flag;
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
    const writes = this.writes;
    if (writes.length > 0 || opener) {
      this.writes = NO_WRITES;
      const failure = error ?? this.closedBy(side, reason);
      for (const write of writes) write.callback?.(failure);
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
