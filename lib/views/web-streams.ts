import { CloseReason } from '../packet/close-reason.js';
import type { MuxStream } from '../mux/stream.js';

/** WHATWG readable and writable streams over one Wisp stream. */
export interface WebStreamPair {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/**
 * Views a stream as WHATWG streams. The readable pauses the stream when its queue is full
 * (backpressure); the writable resolves each write when the mux has sent it. Closing the
 * writable closes the Wisp stream (Voluntary); aborting it closes with NetworkError.
 */
export function toWebStreams(stream: MuxStream): WebStreamPair {
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
        stream.close(CloseReason.Voluntary);
      },
    },
    { highWaterMark: 16 },
  );
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => stream.write(chunk),
    close: () => stream.close(CloseReason.Voluntary),
    abort: () => stream.close(CloseReason.NetworkError),
  });
  return { readable, writable };
}
