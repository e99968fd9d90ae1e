import type { Observable } from '../rx.js';
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
   * Sends bytes (cut into frames of at most `maxPayload`). Like a Node writable, it resolves
   * at once while this stream's bytes handed over and not yet sent stay within
   * `writeBufferBytes` (default: four frames, at least 64 KiB); past that it resolves once its
   * bytes have gone out, which waits for the stream's window and the transport (backpressure).
   * Bytes that wait leave gathered into full frames as the window opens. The chunk is held,
   * not copied, until sent: do not change it after writing it. A write that resolved early
   * cannot fail itself: if the stream is reset or closed before its bytes went out, the next
   * `write()` rejects with that error, as do {@link flush} and the callbacks of {@link end} and
   * {@link close}. Rejects with `StreamAlreadyClosed` once the stream is closed or ended.
   */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Like {@link write} with a callback instead of a Promise (no allocation per call), called
   * once the bytes have gone out (no early completion: a caller with its own buffer, like
   * `toDuplex()`, uses this). With `inPlace`, the bytes in front of `chunk` in its buffer (5
   * for Wisp) belong to the caller and may hold the frame header, which saves copying the
   * payload.
   */
  send(chunk: Uint8Array, callback?: WriteCallback, inPlace?: boolean): void;
  /** Resolves once every {@link write} so far has gone out; rejects with the error that lost one. */
  flush(): Promise<void>;
  /**
   * No more writes: half-closes after the pending writes where the protocol can (smux, yamux
   * FIN), and reading goes on until the peer ends. Wisp has no half-close: there it is a
   * graceful {@link close}. `callback` runs once the writes so far have gone out, or with the
   * error that lost bytes of one.
   */
  end(callback?: WriteCallback): void;
  /**
   * Graceful close: pending writes go out first (bounded by `closeDeadlineMs`), then the close
   * with `reason` (default: the protocol's normal close). Unread data is dropped. `callback`
   * runs once the writes so far have gone out, or with the error that lost bytes of one (the
   * deadline passed, or the peer reset the stream first).
   */
  close(reason?: number, callback?: WriteCallback): void;
  /** Closes now with `reason`: pending writes are dropped (their bytes never go out), unread data too. */
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
