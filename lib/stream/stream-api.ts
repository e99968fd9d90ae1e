import type { Observable } from 'rxjs';
import type { WriteCallback } from '../core/stream-record.js';

/** The reading half of a stream. */
export interface StreamReader {
  /**
   * Received chunks, in order, without copies. Completes when the peer ends the stream
   * normally (after the chunks received before), and errors with a `WispError` carrying the
   * wire reason when it is refused, reset or throttled, or the connection drops. Subscribing
   * starts the flow; use {@link pause}/{@link resume} (or the async iterator, `toDuplex()`,
   * `toWebStreams()`) when processing is asynchronous, so that a slow consumer slows the
   * peer instead of buffering. When the last subscriber leaves before the end, the stream is
   * torn down (as `for await … break` does), so `take(1)` never stalls other streams.
   */
  readonly data$: Observable<Uint8Array>;
  /** Emits the close reason once, then completes. */
  readonly closed$: Observable<number>;
  /** Stops delivering chunks; they wait (bounded by the stream's window or by pausing the connection). */
  pause(): void;
  /** Delivers waiting chunks and continues. */
  resume(): void;
  /** Pull-based reading with backpressure: `for await (const chunk of stream) …`. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array>;
}

/** The writing half of a stream. */
export interface StreamWriter {
  /**
   * Sends bytes (cut into frames of at most `maxPayload`); resolves once the transport has
   * taken them, which waits for the stream's window and for the transport's buffer to drain.
   * Rejects with `StreamAlreadyClosed` once the stream is closed or ended.
   */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Like {@link write} with a callback instead of a Promise (no allocation per call). With
   * `inPlace`, the bytes in front of `chunk` in its buffer (5 for Wisp) belong to the caller
   * and may hold the frame header, which saves copying the payload.
   */
  send(chunk: Uint8Array, callback?: WriteCallback, inPlace?: boolean): void;
  /**
   * No more writes: half-closes after the pending writes where the protocol can (smux, yamux
   * FIN), and reading goes on until the peer ends. Wisp has no half-close: there it is a
   * graceful {@link close}.
   */
  end(): void;
  /**
   * Graceful close: pending writes go out first (bounded by `closeDeadlineMs`), then the close
   * with `reason` (default: the protocol's normal close). Unread data is dropped.
   */
  close(reason?: number): void;
  /** Closes now with `reason`: pending writes are rejected, unread data dropped. */
  abort(reason?: number): void;
  // The same closed$ as StreamReader's (documented there: one comment for StreamLike's docs).
  readonly closed$: Observable<number>;
  /** True once closed by either side or by the connection ending. */
  readonly closed: boolean;
  /** The protocol can half-close: after {@link end}, reading goes on. */
  readonly canHalfClose: boolean;
}

/** Both halves: what the views (`toDuplex`, `toWebStreams`, async iteration) work on. */
export type StreamLike = StreamReader & StreamWriter;
