import { ReadHold, type ReadGate } from './read-gate.js';
import type { StreamRecord } from './stream-record.js';

/**
 * Stops reading the transport while received data waits for slow readers beyond a limit, and
 * reads again once half of it has been taken. Two limits:
 *
 * - packets per stream (client only): the server has no credit to hold it back;
 * - bytes per connection (both sides): a server's credit is per stream, so a client with many
 *   streams to slow targets could otherwise make it hold streams × window × packet size
 *   (256 × 128 × 128 KiB = 4 GiB with the gateway's defaults).
 *
 * Pausing the transport holds up every stream of the connection, which is why the byte limit
 * is generous: it is a bound for abuse, not a flow control. A closed stream stops counting:
 * its queue can no longer grow, and what it holds is bounded by what it was granted.
 */
export class InboundLimit {
  private bytes = 0;
  private overBytes = false;
  private streamsOver = 0;

  constructor(
    private readonly gate: ReadGate,
    /** Per-stream packet limit, or undefined where credit bounds each stream (server). */
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

  /** A stream's inbox changed (a chunk arrived or was delivered): recount it. */
  update(record: StreamRecord): void {
    if (record.closed) return;
    const inbox = record.inbox;
    this.bytes += inbox.bytes - record.countedBytes;
    record.countedBytes = inbox.bytes;
    if (this.maxPackets !== undefined) {
      if (!record.overLimit && inbox.length > this.maxPackets) {
        record.overLimit = true;
        this.streamsOver++;
      } else if (record.overLimit && inbox.length <= this.maxPackets / 2) {
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
