/**
 * A byte-stream transport (`framing: 'bytes'`) over a pair of WHATWG streams: a socket from
 * Deno's or Cloudflare's `connect()`, a WebTransport bidirectional stream, a pair of
 * `TransformStream`s. Universal: this file must import nothing from Node.
 * @packageDocumentation
 */
import { WispError } from '../errors.js';
import { nextMacrotask } from './macrotask.js';
import { ReadyState, SocketTransport } from './socket-transport.js';
import type { Transport } from './transport.js';

/** The two halves of a byte stream, as {@link webStreamTransport} takes them. */
export interface ByteStreamPair {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** Options for {@link webStreamTransport}. */
export interface WebStreamTransportOptions {
  /** Bytes handed to the writable and not yet taken by it above which `send` returns false. Default `DEFAULT_HIGH_WATER_MARK`. */
  readonly highWaterMark?: number;
  /**
   * After `close()` closes the writable (or the readable ended), how long to wait for the
   * other direction to finish before cancelling the readable and aborting the writable.
   * Default 2000 ms.
   */
  readonly closeDeadlineMs?: number;
}

const DEFAULT_CLOSE_DEADLINE_MS = 2000;

/**
 * Reads after which the loop waits for the next macrotask. A readable that always has data
 * ready resolves every read on a microtask; read on without a break (as while discarding
 * after `close()`, where the inbox's per-turn budget does not apply) it would starve timers
 * and I/O, the close deadline included.
 */
const READS_PER_TURN = 256;
const ignore = (): void => undefined;

/**
 * Wraps a readable and a writable byte stream as a {@link Transport}; it locks both at once.
 *
 * - Inbound: a reader loop pulls chunks only while the transport is flowing (subscribed, not
 *   paused), so a paused transport leaves at most the one read already asked for, and the
 *   source is pulled no further: backpressure reaches whatever feeds the readable. Chunks are
 *   passed on as they came (views, no copy).
 * - Outbound: `send` hands each chunk to the writer without awaiting it. Bytes count as
 *   queued until their write settles; above `highWaterMark` `send` returns false, and
 *   `drain$` fires when they fall to half of it. The writable's own queuing strategy is not
 *   consulted: with the default one (one chunk), `desiredSize` would say "full" after every
 *   write. Each write gets one shared settle handler (no closure, nothing awaited): the
 *   Web Streams API has no write without a Promise, and an unhandled rejected write would be
 *   an unhandled rejection.
 * - Close: `close()` closes the writable after the pending writes and reads on (discarding)
 *   until the readable ends; past `closeDeadlineMs` it cancels the readable and aborts the
 *   writable. The readable's end is answered by closing the writable the same way. Both
 *   ends finished → `closed$` `{ code: 1000, clean: true }` and `messages$` completes; a
 *   failed read or write (or the writable erroring) errors `messages$` with
 *   `TransportError` carrying the cause; a missed deadline with `TransportClosed`
 *   (`{ code: 1006, clean: false }`, the reason says which). `protocol` is `''`.
 */
export function webStreamTransport(streams: ByteStreamPair, options: WebStreamTransportOptions = {}): Transport {
  return new WebStreamTransport(streams, options);
}

class WebStreamTransport extends SocketTransport {
  readonly framing = 'bytes' as const;
  private readonly deadlineMs: number;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private state: number = ReadyState.Open;
  /** Bytes handed to the writer whose write has not settled, and each write's size in order. */
  private unsettled = 0;
  private readonly sizes: number[] = [];
  private sizesHead = 0;
  private reading = false;
  /** The readable is done (ended, failed or cancelled): nothing more to read. */
  private readEnded = false;
  /** The readable ended normally: the peer has said everything. */
  private sawEnd = false;
  private closingWriter = false;
  private writerClosed = false;
  private deadline: ReturnType<typeof setTimeout> | undefined;

  // Writes settle in order, so one shared pair of handlers can settle them from `sizes`.
  private readonly onWritten = (): void => {
    this.settleWrite();
    this.checkDrain();
  };
  private readonly onWriteFailed = (cause: unknown): void => {
    this.settleWrite();
    this.fail(cause, 'a write to the writable stream failed');
  };

  constructor(streams: ByteStreamPair, options: WebStreamTransportOptions) {
    super(options.highWaterMark);
    const deadline = options.closeDeadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS;
    if (!Number.isFinite(deadline) || deadline < 0) {
      throw new WispError('InvalidArgument', `closeDeadlineMs must be a non-negative number, got ${deadline}`);
    }
    this.deadlineMs = deadline;
    this.reader = streams.readable.getReader();
    this.writer = streams.writable.getWriter();
    // Failures are reported even while nothing is being read or written (paused, idle).
    this.reader.closed.then(ignore, (cause: unknown) => this.fail(cause, 'the readable stream failed'));
    this.writer.closed.then(ignore, (cause: unknown) => this.fail(cause, 'the writable stream failed'));
  }

  get protocol(): string {
    return '';
  }

  protected get readyState(): number {
    return this.state;
  }

  protected get socketBufferedAmount(): number {
    return this.unsettled;
  }

  sendSplit(head: Uint8Array, body: Uint8Array): boolean {
    return this.sendParts(head, body);
  }

  protected write(message: Uint8Array): void {
    const size = message.byteLength;
    if (size === 0) return; // nothing to say on a byte stream
    this.unsettled += size;
    this.sizes.push(size);
    this.pendingMessages++;
    this.writer.write(message).then(this.onWritten, this.onWriteFailed);
  }

  protected override writeSplit(head: Uint8Array, body: Uint8Array): void {
    this.write(head);
    this.write(body);
  }

  protected closeSocket(): void {
    if (this.state === ReadyState.Open) this.state = ReadyState.Closing;
    this.closeWriter();
    this.armDeadline(`the readable did not end within ${this.deadlineMs} ms of closing the writable`);
  }

  protected setFlowing(flowing: boolean): void {
    if (flowing) void this.readLoop();
  }

  private settleWrite(): void {
    this.pendingMessages--;
    this.unsettled -= this.sizes[this.sizesHead++] ?? 0;
    if (this.sizesHead === this.sizes.length) {
      this.sizes.length = 0;
      this.sizesHead = 0;
    }
  }

  /** Reads while the transport is flowing; stops asking for more as soon as it is not. */
  private async readLoop(): Promise<void> {
    if (this.reading || this.readEnded) return;
    this.reading = true;
    let reads = 0;
    try {
      while (this.flowing && !this.readEnded) {
        if (++reads > READS_PER_TURN) {
          reads = 0;
          await new Promise<void>(nextMacrotask);
          continue; // re-check: the transport may have paused or closed meanwhile
        }
        const { value, done } = await this.reader.read();
        if (done) this.onReadEnd();
        else this.deliver(value);
      }
    } catch (cause) {
      this.fail(cause, 'reading the readable stream failed');
    } finally {
      this.reading = false;
    }
  }

  private deliver(value: unknown): void {
    if (value instanceof Uint8Array) this.received(value);
    else if (ArrayBuffer.isView(value)) this.received(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    else this.fail(value, `the readable stream delivered a ${typeof value} instead of bytes`);
  }

  private onReadEnd(): void {
    this.readEnded = true;
    if (this.state === ReadyState.Closed) return;
    this.sawEnd = true;
    if (this.state === ReadyState.Open) this.state = ReadyState.Closing;
    // The peer is done: answer its end with ours once our writes are out, within the deadline.
    this.closeWriter();
    this.armDeadline(`the writable did not finish within ${this.deadlineMs} ms of the readable's end`);
    this.finishIfDone();
  }

  private closeWriter(): void {
    if (this.closingWriter) return;
    this.closingWriter = true;
    this.writer.close().then(
      () => {
        this.writerClosed = true;
        this.finishIfDone();
      },
      (cause: unknown) => this.fail(cause, 'closing the writable stream failed'),
    );
  }

  private finishIfDone(): void {
    if (this.sawEnd && this.writerClosed) this.finish(1000, '', true);
  }

  /** A read, a write or a stream failed: `TransportError` with the cause, and both halves torn down. */
  private fail(cause: unknown, detail: string): void {
    if (this.state === ReadyState.Closed) return;
    this.failed(cause, detail);
    this.finish(1006, detail, false);
  }

  private armDeadline(reason: string): void {
    if (this.deadline !== undefined || this.state === ReadyState.Closed) return;
    this.deadline = setTimeout(() => {
      this.deadline = undefined;
      this.finish(1006, reason, false);
    }, this.deadlineMs);
  }

  private finish(code: number, reason: string, clean: boolean): void {
    if (this.state === ReadyState.Closed) return;
    this.state = ReadyState.Closed;
    clearTimeout(this.deadline);
    this.deadline = undefined;
    if (!clean) {
      // Release whatever the streams still hold; their rejections are expected now.
      if (!this.readEnded) this.reader.cancel(reason).catch(ignore);
      if (!this.writerClosed) this.writer.abort(reason).catch(ignore);
    }
    this.readEnded = true;
    this.closedWith(code, reason, clean);
  }
}
