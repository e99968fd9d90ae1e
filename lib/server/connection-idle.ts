import type { ServerMux } from '../wisp/server-mux.js';

/**
 * Closes a connection that holds no stream for `ms`: from the end of its handshake, and
 * again each time its last stream closes. Without it a client (v1 especially, which has no
 * handshake timeout after the server's CONTINUE) could hold a connection slot and its
 * memory for ever without using it. One timer per connection, re-armed only when the stream
 * count passes through zero, never per packet.
 */
export function closeWhenIdle(mux: ServerMux, ms: number, onIdle: () => void): void {
  if (ms <= 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const disarm = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const arm = (): void => {
    disarm();
    timer = setTimeout(() => {
      timer = undefined;
      if (mux.streamCount === 0) onIdle();
    }, ms);
    timer.unref();
  };
  mux.ready.then(
    () => {
      if (mux.streamCount === 0) arm();
      // eslint-disable-next-line rxjs-x/no-ignored-subscription -- streams$ completes when the mux ends
      mux.streams$.subscribe({ next: disarm, error: disarm, complete: disarm });
      // eslint-disable-next-line rxjs-x/no-ignored-subscription -- streamsEmpty$ completes when the mux ends
      mux.streamsEmpty$.subscribe({ next: arm, error: disarm, complete: disarm });
    },
    () => undefined, // a failed handshake has closed the connection already
  );
}
