import type { StreamReader } from './stream-api.js';

/**
 * Pull-based reading: the stream is paused whenever a chunk is waiting that the caller has
 * not asked for, so an async consumer gets backpressure without buffering. Leaving the loop
 * early (`break`, `return()`) unsubscribes, which tears the stream down.
 */
export function readChunks(reader: StreamReader): AsyncIterator<Uint8Array> {
  const ready: Uint8Array[] = [];
  let waiting: { resolve(r: IteratorResult<Uint8Array>): void; reject(e: unknown): void } | undefined;
  let done = false;
  let failure: { readonly error: unknown } | undefined;
  const subscription = reader.data$.subscribe({
    next(chunk) {
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w.resolve({ value: chunk, done: false });
      } else {
        ready.push(chunk);
      }
      if (!waiting) reader.pause();
    },
    error(error: unknown) {
      failure = { error };
      done = true;
      waiting?.reject(error);
      waiting = undefined;
    },
    complete() {
      done = true;
      waiting?.resolve({ value: undefined, done: true });
      waiting = undefined;
    },
  });
  return {
    next(): Promise<IteratorResult<Uint8Array>> {
      const chunk = ready.shift();
      if (chunk) return Promise.resolve({ value: chunk, done: false });
      if (failure !== undefined) return Promise.reject(failure.error);
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        reader.resume();
      });
    },
    return(): Promise<IteratorResult<Uint8Array>> {
      subscription.unsubscribe();
      done = true;
      return Promise.resolve({ value: undefined, done: true });
    },
  };
}
