/**
 * A message transport used as a byte pipe (smux or yamux over a WebSocket, as kcptun-style
 * tools do). Universal (no Node imports).
 * @packageDocumentation
 */
import { Observable } from '../rx.js';
import { isSplitMessage, type Transport, type TransportClose, type TransportMessage } from './transport.js';

/**
 * Wraps a message transport (`wsTransport`, `webSocketTransport`, a memory pair, …) as a
 * byte-stream transport (`framing: 'bytes'`): its `messages$` emits the bytes of every
 * inbound message as plain chunks, in order, for a framing operator such as `frames`
 * to cut. A `SplitMessage` becomes two chunks, its head then its body (no join copy);
 * empty messages or parts are skipped, since in a byte stream they carry nothing.
 *
 * Everything else is the wrapped transport's: `send` sends one message per call (the peer
 * must read messages as bytes too, so where the cuts fall does not matter), `sendSplit`
 * is kept when the transport has it, and backpressure, pause/resume, close and errors are
 * exactly the wrapped transport's. A transport that already says `framing: 'bytes'` is
 * returned as it is.
 */
export function asBytePipe(transport: Transport): Transport {
  return transport.framing === 'bytes' ? transport : new BytePipe(transport);
}

class BytePipe implements Transport {
  readonly framing = 'bytes' as const;
  readonly messages$: Observable<TransportMessage>;
  readonly closed$: Observable<TransportClose>;
  readonly drain$: Observable<void>;
  readonly sendSplit?: (head: Uint8Array, body: Uint8Array) => boolean;

  constructor(private readonly inner: Transport) {
    this.closed$ = inner.closed$;
    this.drain$ = inner.drain$;
    if (inner.sendSplit) this.sendSplit = (head, body) => inner.sendSplit!(head, body);
    // One subscription to the inner transport per reader; the inner transport enforces
    // that there is only one.
    this.messages$ = new Observable<Uint8Array>((subscriber) =>
      inner.messages$.subscribe({
        next: (message) => {
          if (isSplitMessage(message)) {
            if (message.head.byteLength > 0) subscriber.next(message.head);
            if (message.body.byteLength > 0) subscriber.next(message.body);
          } else if (message.byteLength > 0) subscriber.next(message);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
  }

  get writable(): boolean {
    return this.inner.writable;
  }

  get protocol(): string {
    return this.inner.protocol;
  }

  send(message: Uint8Array): boolean {
    return this.inner.send(message);
  }

  pause(): void {
    this.inner.pause();
  }

  resume(): void {
    this.inner.resume();
  }

  close(code?: number, reason?: string): void {
    this.inner.close(code, reason);
  }
}
