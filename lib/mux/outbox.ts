import type { Subscription } from 'rxjs';
import { dataPacketInPlace, encodeData, encodeDataHeader } from '../packet/encode.js';
import type { Transport } from '../transport/transport.js';
import type { OutputBound } from './output-bound.js';
import type { PendingWrite, StreamRecord } from './stream-record.js';

/** Packets per stream sent in one turn before the next stream gets its turn. */
const BURST = 16;
/**
 * DATA payloads from this size on go out split (header frame + payload frame) where the
 * transport can: copying them behind the header would cost more than the extra frame.
 */
const SPLIT_FROM = 16 * 1024;

/**
 * The actor's way out: hands encoded packets to the transport and schedules stream data
 * fairly. Control packets go out at once; DATA waits for credit (client TCP streams) and for
 * the transport to accept more, streams taking turns of {@link BURST} packets. Large writes are
 * split into packets of at most `maxPayload` bytes (a UDP write is one datagram, never split).
 * Control packets sent while the transport is over its mark are counted by the
 * {@link OutputBound}, which stops reading a peer that makes us queue replies it does not read.
 */
export class Outbox {
  private readonly queue: StreamRecord[] = [];
  private head = 0;
  private blocked = false;
  private readonly drain: Subscription;

  constructor(
    private readonly transport: Transport,
    private readonly maxPayload: number,
    private readonly bound: OutputBound,
  ) {
    this.drain = transport.drain$.subscribe({
      next: () => {
        this.blocked = false;
        bound.drained();
        this.pump();
      },
      error: () => undefined, // a failing transport ends the connection through messages$
    });
  }

  /** The transport's buffer is full: stream data waits for drain$. */
  get isBlocked(): boolean {
    return this.blocked;
  }

  /** Streams waiting for their turn. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** True while the outbox still listens to the transport's drain$. */
  get listening(): boolean {
    return !this.drain.closed;
  }

  /**
   * Sends one encoded packet now (control packets, and DATA from {@link sendFrom}). DATA is
   * only sent while not blocked, so what goes out while blocked is control, and is counted.
   */
  emit(packet: Uint8Array): void {
    const pastMark = this.blocked;
    if (!this.transport.send(packet)) {
      this.blocked = true;
      if (pastMark) this.bound.sentPastMark(packet.byteLength);
    }
  }

  /** Queues a write on a stream and sends what it can right away. */
  write(record: StreamRecord, write: PendingWrite): void {
    record.pending.push(write);
    if (record.pending.length === 1 && this.head === this.queue.length && !this.blocked) {
      this.sendFrom(record); // fast path: nothing else waiting
      if (record.pending.length > 0) this.schedule(record);
    } else {
      this.schedule(record);
    }
  }

  /**
   * Queues a stream that can send now and is held up only by its turn or the transport. A
   * stream at zero credit stays out until a CONTINUE reschedules it: in the queue it would
   * hold up every other stream's writes, which take the queue when it is not empty.
   */
  schedule(record: StreamRecord): void {
    if (record.scheduled || record.pending.length === 0 || record.credit <= 0) return;
    record.scheduled = true;
    this.queue.push(record);
  }

  /** Round-robin over streams with pending writes while the transport accepts data. */
  pump(): void {
    while (!this.blocked && this.head < this.queue.length) {
      const record = this.queue[this.head++];
      record.scheduled = false;
      if (record.closed) continue;
      this.sendFrom(record, BURST);
      if (record.pending.length > 0 && record.credit > 0) this.schedule(record);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
  }

  /** Forgets every queued stream and stops listening to the transport (connection ended). */
  clear(): void {
    for (let i = this.head; i < this.queue.length; i++) this.queue[i].scheduled = false;
    this.queue.length = 0;
    this.head = 0;
    this.drain.unsubscribe();
    this.bound.stop();
  }

  /**
   * One DATA packet without copying the payload where possible: the header written into the
   * headroom in front of it (`inPlace`), or the packet sent in two parts; otherwise copied.
   */
  private sendData(streamId: number, payload: Uint8Array, inPlace: boolean): void {
    const packet = inPlace ? dataPacketInPlace(streamId, payload) : undefined;
    if (packet) return this.emit(packet);
    const transport = this.transport;
    if (payload.length >= SPLIT_FROM && transport.sendSplit) {
      if (!transport.sendSplit(encodeDataHeader(streamId), payload)) this.blocked = true;
      return;
    }
    this.emit(encodeData(streamId, payload));
  }

  /** Sends up to `budget` packets of a stream's pending writes. */
  private sendFrom(record: StreamRecord, budget = Infinity): void {
    const pending = record.pending;
    while (budget > 0 && pending.length > 0 && record.credit > 0 && !this.blocked) {
      const write = pending[0];
      const { chunk } = write;
      const size = record.kind === 'udp' ? chunk.length : Math.min(this.maxPayload, chunk.length - write.offset);
      const whole = size === chunk.length;
      const piece = whole ? chunk : chunk.subarray(write.offset, write.offset + size);
      write.offset += size;
      record.credit--;
      budget--;
      this.sendData(record.id, piece, whole && write.inPlace);
      if (write.offset >= chunk.length) {
        pending.shift();
        write.callback?.();
      }
    }
  }
}
