import { Subscription, asyncScheduler, type SchedulerLike } from '../rx.js';
import { nextMacrotask } from '../transport/macrotask.js';
import type { Wire } from './protocol.js';
import type { Outbound } from './outbound.js';
import type { OutputBound } from './output-bound.js';
import type { PendingWrite, StreamRecord } from './stream-record.js';

/** Frames per stream sent in one turn before the next stream gets its turn. */
const BURST = 16;

/**
 * The actor's way out: emits frames on the connection's {@link Outbound} and schedules
 * stream data fairly. Control frames go out at once; data waits for the stream's send window
 * and for the transport to accept more, streams taking turns of {@link BURST} frames. Writes
 * are cut into frames of at most `maxPayload` bytes (a datagram is never cut). Control frames
 * sent while the transport is over its mark are counted by the {@link OutputBound}, which
 * stops reading a peer that makes us queue replies it does not read. A stream's half-close
 * or graceful close goes out once its last pending write has (`onFlushed`).
 */
export class Outbox {
  private readonly queue: StreamRecord[] = [];
  private head = 0;
  /** The connection's timers (set by the actor): when held small writes go out. */
  scheduler: SchedulerLike = asyncScheduler;
  /** Streams whose small writes wait to gather (their window is short), with their pending bytes; made when first needed. */
  private held: Map<StreamRecord, number> | undefined;
  private releaseTimer: Subscription | undefined;
  /** Set while the held writes go out: nothing is held again meanwhile. */
  private releasing = false;
  /** Streams that sent a small frame on short credit in this turn; made when first needed. */
  private spent: Set<StreamRecord> | undefined;
  private turnTimer: Subscription | undefined;

  constructor(
    private readonly outbound: Outbound,
    private readonly wire: Wire<unknown>,
    private readonly maxPayload: number,
    private readonly bound: OutputBound,
    private readonly onFlushed: (record: StreamRecord) => void,
  ) {
    outbound.ondrain = () => {
      bound.drained();
      this.pump();
    };
  }

  /** The transport's buffer is full: stream data waits for it to drain. */
  get isBlocked(): boolean {
    return !this.outbound.writable;
  }

  /** Streams waiting for their turn. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** True while a stream's small writes wait to gather (diagnostics). */
  isHolding(record: StreamRecord): boolean {
    return this.held?.has(record) ?? false;
  }

  /** True while the outbox still listens for the transport draining. */
  get listening(): boolean {
    return this.outbound.ondrain !== undefined;
  }

  /**
   * Sends one frame now (control frames, and data from {@link sendFrom}). Data only goes out
   * while writable, so what goes out while not is control, and is counted.
   */
  emit(frame: Uint8Array): void {
    const pastMark = !this.outbound.writable;
    this.outbound.next(frame);
    if (pastMark) this.bound.sentPastMark(frame.byteLength);
  }

  /** Queues a write on a stream and sends what it can right away. */
  write(record: StreamRecord, write: PendingWrite): void {
    record.addPending(write);
    const held = this.held?.size ? this.held.get(record) : undefined;
    if (held !== undefined) {
      const bytes = held + write.chunk.length;
      if (bytes < this.maxPayload) return void this.held!.set(record, bytes);
      // A full frame gathered: it goes now, as a write would.
      this.held!.delete(record);
      this.schedule(record);
      return this.pump();
    }
    if (record.pending.length === 1 && this.head === this.queue.length && this.outbound.writable) {
      this.sendFrom(record, Infinity); // fast path: nothing else waiting
      if (record.pending.length > 0) this.schedule(record);
    } else {
      this.schedule(record);
    }
  }

  /**
   * Queues a stream that can send now and is held up only by its turn or the transport. A
   * stream with a shut window stays out until its window grows ({@link WireInput.credited}):
   * in the queue it would hold up every other stream's writes.
   */
  schedule(record: StreamRecord): void {
    if (record.scheduled || record.pending.length === 0 || record.sendWindow.available <= 0) return;
    if (this.held?.size && this.held.has(record)) {
      if (record.sendWindow.short) return; // it goes at the release turn, or once it fills a frame
      this.held.delete(record); // credit came: no reason to wait any more
    }
    record.scheduled = true;
    this.queue.push(record);
  }

  /** Round-robin over streams with pending writes while the transport accepts data. */
  pump(): void {
    while (this.outbound.writable && this.head < this.queue.length) {
      const record = this.queue[this.head++];
      record.scheduled = false;
      if (record.closed) continue;
      this.sendFrom(record, BURST);
      if (record.pending.length > 0 && record.sendWindow.available > 0) this.schedule(record);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
  }

  /** Forgets every queued stream and stops listening to the transport (connection ended). */
  clear(): void {
    this.releaseTimer?.unsubscribe();
    this.releaseTimer = undefined;
    this.turnTimer?.unsubscribe();
    this.turnTimer = undefined;
    this.held?.clear();
    this.spent?.clear();
    for (let i = this.head; i < this.queue.length; i++) this.queue[i].scheduled = false;
    this.queue.length = 0;
    this.head = 0;
    this.outbound.ondrain = undefined;
    this.bound.stop();
  }

  /** Sends up to `budget` frames of a stream's pending writes. */
  private sendFrom(record: StreamRecord, budget: number): void {
    const pending = record.pending;
    const window = record.sendWindow;
    const datagram = record.kind === 'udp';
    while (budget > 0 && pending.length > 0 && this.outbound.writable) {
      const write: PendingWrite = pending[0];
      const { chunk } = write;
      const rest = chunk.length - write.offset;
      if (!datagram && rest < this.maxPayload) {
        // (With no credit at all it waits anyway, and gathers, without a timer.)
        if (window.short && window.available > 0 && !this.releasing && this.spentThisTurn(record) && this.hold(record)) break;
        if (pending.length > 1) {
          if (!this.sendGathered(record)) break;
          budget--;
          continue;
        }
      }
      const want = datagram ? chunk.length : Math.min(this.maxPayload, rest);
      const granted = window.take(want);
      if (granted < 0) break;
      const size = datagram ? want : granted;
      const whole = size === chunk.length;
      const piece = whole ? chunk : chunk.subarray(write.offset, write.offset + size);
      write.offset += size;
      budget--;
      this.outbound.next(this.wire.data(record.id, piece, whole && write.inPlace));
      if (write.offset >= chunk.length) {
        pending.shift();
        write.callback?.();
      }
    }
    if (pending.length === 0 && (record.ending || record.closing !== undefined)) this.onFlushed(record);
  }

  /**
   * With few frames of a frame-counted window left (Wisp credit), small writes that make less
   * than a frame wait until more arrive to fill one, or until the next turn
   * (the first of each turn goes at once): a writer in a loop fills frames, and the credit left buys full frames instead of
   * one per small write. With credit plentiful nothing waits. Returns false when a frame's
   * worth is already there.
   */
  private hold(record: StreamRecord): boolean {
    const pending = record.pending;
    let bytes = 0;
    for (let i = 0; i < pending.length && bytes < this.maxPayload; i++) bytes += pending[i].chunk.length - pending[i].offset;
    if (bytes >= this.maxPayload) return false;
    (this.held ??= new Map()).set(record, bytes);
    this.releaseTimer ??= this.nextTurn();
    return true;
  }

  /**
   * Whether the stream already sent a small frame on short credit in this turn; if not, it is
   * noted as having done so now. The first small write of a turn goes at once, so a writer that
   * waits for a reply before writing again (a request, a ping) never waits for the release
   * turn; a writer that writes on in the same turn gathers from its second write on.
   */
  private spentThisTurn(record: StreamRecord): boolean {
    const spent = (this.spent ??= new Set());
    if (spent.has(record)) return true;
    spent.add(record);
    this.turnTimer ??= this.afterTurn(() => {
      this.turnTimer = undefined;
      spent.clear();
    });
    return false;
  }

  /** The timer turn after writes were held: every held stream sends what it has. */
  private nextTurn(): Subscription {
    const turn: Subscription = this.afterTurn(() => {
      if (this.releaseTimer === turn) this.release();
    });
    return turn;
  }

  /**
   * Runs `task` on the next macrotask (after pending I/O) rather than on a 0 ms timer, which
   * Node clamps to 1 ms: a one-at-a-time writer with short credit must not pay a millisecond a
   * write. On a virtual scheduler (tests), its next 0 ms turn.
   */
  private afterTurn(task: () => void): Subscription {
    if (this.scheduler !== asyncScheduler) return this.scheduler.schedule(task, 0);
    const turn = new Subscription();
    nextMacrotask(() => {
      if (!turn.closed) task();
    });
    return turn;
  }

  private release(): void {
    this.releaseTimer = undefined;
    const records = this.held ? [...this.held.keys()] : [];
    this.held?.clear();
    for (const record of records) this.schedule(record);
    this.releasing = true;
    try {
      this.pump();
    } finally {
      this.releasing = false;
    }
  }

  /**
   * Small writes that queued up (the window was short, or the transport full) go out
   * gathered into one frame of up to `maxPayload` bytes: a window counted in frames (Wisp
   * credit) then carries full frames, so small writes over a long round trip are not capped
   * at one window of small frames per round trip. Writes are only gathered once they wait —
   * with room to send, each goes out at once — so this never adds latency. One copy, into a
   * buffer with headroom for the wire's header, so the wire does not copy again.
   */
  private sendGathered(record: StreamRecord): boolean {
    const pending = record.pending;
    let want = 0;
    for (let i = 0; i < pending.length && want < this.maxPayload; i++) want += pending[i].chunk.length - pending[i].offset;
    want = Math.min(want, this.maxPayload);
    const granted = record.sendWindow.take(want);
    if (granted < 0) return false;
    const headroom = this.wire.headroom ?? 0;
    const frame = new Uint8Array(headroom + granted);
    const done: PendingWrite[] = [];
    let at = headroom;
    // Empty writes in the way complete with the frame too.
    while (pending.length > 0 && (at < frame.length || pending[0].offset >= pending[0].chunk.length)) {
      const write = pending[0];
      const size = Math.min(write.chunk.length - write.offset, frame.length - at);
      frame.set(write.chunk.subarray(write.offset, write.offset + size), at);
      write.offset += size;
      at += size;
      if (write.offset >= write.chunk.length) done.push(pending.shift()!);
    }
    this.outbound.next(this.wire.data(record.id, frame.subarray(headroom), headroom > 0));
    // Callbacks once the frame went out: a write is done when all of its bytes are sent.
    for (const write of done) write.callback?.();
    return true;
  }
}
