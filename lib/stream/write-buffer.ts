import type { WriteCallback } from '../core/stream-record.js';

/**
 * A stream's write buffer, as a Node writable has one: `write()` resolves at once while the
 * bytes handed to the mux and not yet sent stay within `mark`, and waits (backpressure) for
 * its own bytes to go out above it. What waits in the mux leaves gathered into full frames
 * as the window opens (the outbox's gathering), so a caller that awaits each small write no
 * longer sends one small frame per write — which on Wisp, whose credit counts frames, capped
 * a stream at `bufferSize` small frames per round trip.
 *
 * A write that resolved early cannot fail itself: when the stream is reset or closed before
 * its bytes went out, the error is kept and the next `write()` rejects with it, as do the
 * callbacks of `end()` / `close()` and {@link flush}. Allocated by a stream's first write, so
 * a stream at rest holds none.
 */
export class WriteBuffer {
  /** Bytes of writes that resolved early and are not sent yet. */
  private queued = 0;
  /** Writes handed to the mux and not settled yet. */
  private unsettled = 0;
  /** The error of a write that resolved early and was then lost. */
  private failure: Error | undefined;
  /** Called once every write is settled ({@link whenFlushed}). */
  private idle: WriteCallback[] | undefined;

  constructor(private readonly mark: number) {}

  /** The error that lost bytes of an early-resolved write, once there is one. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Hands `size` bytes to the mux through `send` (the actor's write); see the class comment. */
  write(size: number, send: (callback: WriteCallback) => void): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    let counted = false;
    let done = false;
    let error: Error | undefined;
    let waiter: WriteCallback | undefined;
    this.unsettled++;
    send((failure) => {
      this.unsettled--;
      if (counted) {
        this.queued -= size;
        if (failure) this.failure ??= failure;
      }
      if (waiter) waiter(failure);
      else {
        done = true;
        error = failure;
      }
      if (this.unsettled === 0 && this.idle) this.settleIdle();
    });
    // Sent at once (the window and the transport had room), or refused at once.
    if (done) return error ? Promise.reject(error) : Promise.resolve();
    if (this.queued + size <= this.mark) {
      counted = true;
      this.queued += size;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => (waiter = (failure) => (failure ? reject(failure) : resolve())));
  }

  /** Calls `callback` once every write so far is settled, with the error that lost any. */
  whenFlushed(callback: WriteCallback): void {
    if (this.unsettled === 0) return callback(this.failure);
    (this.idle ??= []).push(callback);
  }

  private settleIdle(): void {
    const callbacks = this.idle!;
    this.idle = undefined;
    for (const callback of callbacks) callback(this.failure);
  }
}
