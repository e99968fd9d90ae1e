/**
 * A connected client and server in one process, over an in-memory transport pair: the
 * quickest way to test code that opens or serves wisp-rx streams, without sockets.
 * @module
 */
import type { Subscription } from '../rx.js';
import { ClientMux, type ClientMuxOptions } from '../wisp/client-mux.js';
import { WISP_V2_PROTOCOL } from '../wisp/negotiated.js';
import { ServerMux, type IncomingStream, type ServerMuxOptions } from '../wisp/server-mux.js';
import { memoryTransportPair } from '../transport/memory.js';

/** Options of {@link memoryMuxPair}. */
export interface MemoryMuxPairOptions {
  /** Speak Wisp v2 (the default) or v1. */
  readonly v2?: boolean;
  /** Passed to `ClientMux.connect` (extensions, timeouts, …). */
  readonly client?: ClientMuxOptions;
  /** Passed to `ServerMux.accept` (extensions, bufferSize, …). */
  readonly server?: ServerMuxOptions;
  /**
   * Called for every stream the client opens. Without it, open streams wait in
   * `server.streams$` for your own subscriber.
   */
  readonly onStream?: (incoming: IncomingStream) => void;
}

/** What {@link memoryMuxPair} resolves to. */
export interface MemoryMuxPair {
  readonly client: ClientMux;
  readonly server: ServerMux;
  /** Closes both ends (Voluntary). */
  close(): Promise<void>;
}

/**
 * Connects a {@link ClientMux} to a {@link ServerMux} over {@link memoryTransportPair};
 * resolves once the handshake is done.
 *
 * @example
 * ```ts
 * const { client, close } = await memoryMuxPair({ onStream: echo });
 * const stream = await client.open('tcp', 'example.com', 80);
 * ```
 */
export async function memoryMuxPair(options: MemoryMuxPairOptions = {}): Promise<MemoryMuxPair> {
  const v2 = options.v2 ?? true;
  const [clientEnd, serverEnd] = memoryTransportPair({ protocol: v2 ? WISP_V2_PROTOCOL : '' });
  const server = ServerMux.accept(serverEnd, { v2, ...options.server });
  let subscription: Subscription | undefined;
  if (options.onStream) {
    const onStream = options.onStream;
    subscription = server.streams$.subscribe({ next: onStream, error: () => undefined /* the connection ended: the test sees it on the client */ });
  }
  const client = await ClientMux.connect(clientEnd, { v2, ...options.client });
  return {
    client,
    server,
    async close() {
      subscription?.unsubscribe();
      await Promise.all([client.close(), server.close()]);
    },
  };
}

/**
 * An `onStream` handler that confirms every stream and echoes what it receives, with
 * backpressure (the stream is paused while a write waits).
 */
export function echoStream({ stream }: IncomingStream): void {
  stream.confirm();
  void (async () => {
    try {
      for await (const chunk of stream) await stream.write(chunk);
    } catch {
      // closed under us (the test closed the connection): nothing to echo to
    }
  })();
}
