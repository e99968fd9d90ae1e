import { ReadHold, type ReadGate } from './read-gate.js';
import type { StreamRecord } from './stream-record.js';

/**
 * The connection's receive budget: stops reading the transport while received data waits for
 * slow readers beyond a limit, and reads again once half of it has been taken. Two limits:
 *
 * - chunks per stream, for streams whose direction has no window (Wisp server → client, smux
 *   v1): nothing else holds the peer back;
 * - bytes per connection (both sides): windows are per stream, so a peer with many streams
 *   to slow readers could otherwise make us hold streams × window
 *   (256 × 128 × 128 KiB = 4 GiB with the gateway's Wisp defaults).
 *
 * Pausing the transport holds up every stream of the connection, which is why the byte limit
 * is generous: it is a bound for abuse, not a flow control. A closed stream stops counting:
 * its queue can no longer grow, and what it holds is bounded by what it was granted.
 */
export class ReceiveBudget {
  private bytes = 0;
  private overBytes = false;
  private streamsOver = 0;

  constructor(
    private readonly gate: ReadGate,
    /** Per-stream chunk limit for streams without a receive window, or undefined for none. */
    private readonly maxPackets: number | undefined,
    private readonly maxBytes: number,
  ) {}

  /** Bytes received and not yet taken by readers, over the open streams. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** True while this limit keeps the transport paused. */
  get pausing(): boolean {
    return this.gate.holding(ReadHold.Inbound);
  }

  /** Streams whose queues alone keep the transport paused. */
  get pausingStreams(): number {
    return this.streamsOver;
  }

  /** A stream's queue changed (a chunk arrived or was delivered): recount it. */
  update(record: StreamRecord): void {
    if (record.closed) return;
    const queue = record.queue;
    this.bytes += queue.bytes - record.countedBytes;
    record.countedBytes = queue.bytes;
    if (this.maxPackets !== undefined && record.receiveWindow === undefined) {
      if (!record.overLimit && queue.length > this.maxPackets) {
        record.overLimit = true;
        this.streamsOver++;
      } else if (record.overLimit && queue.length <= this.maxPackets / 2) {
        record.overLimit = false;
        this.streamsOver--;
      }
    }
    if (!this.overBytes && this.bytes > this.maxBytes) this.overBytes = true;
    else if (this.overBytes && this.bytes <= this.maxBytes / 2) this.overBytes = false;
    this.apply(true);
  }

  /** A stream closed: it stops counting. Resumes reading only if `mayResume` (connection alive). */
  closed(record: StreamRecord, mayResume: boolean): void {
    this.bytes -= record.countedBytes;
    record.countedBytes = 0;
    if (record.overLimit) {
      record.overLimit = false;
      this.streamsOver--;
    }
    if (this.overBytes && this.bytes <= this.maxBytes / 2) this.overBytes = false;
    this.apply(mayResume);
  }

  private apply(mayResume: boolean): void {
    const pause = this.overBytes || this.streamsOver > 0;
    if (pause) this.gate.hold(ReadHold.Inbound);
    else if (mayResume) this.gate.release(ReadHold.Inbound);
  }
}
