import type { StreamLike } from './stream-api.js';

/** WHATWG readable and writable streams over one stream. */
export interface WebStreamPair {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/**
 * Views a stream as WHATWG streams. The readable pauses the stream when its queue is full
 * (backpressure); cancelling it tears the stream down. The writable resolves each write when
 * the mux has sent it; closing it ends the stream (half-close where the protocol has one,
 * else a graceful close), aborting it aborts the stream.
 */
export function toWebStreams(stream: StreamLike): WebStreamPair {
  let subscription: { unsubscribe(): void } | undefined;
  const readable = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        subscription = stream.data$.subscribe({
          next(chunk) {
            controller.enqueue(chunk);
            if ((controller.desiredSize ?? 1) <= 0) stream.pause();
          },
          error: (error: unknown) => controller.error(error),
          complete: () => controller.close(),
        });
      },
      pull() {
        stream.resume();
      },
      cancel() {
        subscription?.unsubscribe();
        if (!stream.closed) stream.abort();
      },
    },
    { highWaterMark: 16 },
  );
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => stream.write(chunk),
    close: () => stream.end(),
    abort: () => stream.abort(),
  });
  return { readable, writable };
}
