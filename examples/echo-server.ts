#!/usr/bin/env node
// A Wisp server that echoes every stream back to the client, without dialing anything.
// Run: node build/examples/echo-server.js [port]   (after `npm run build`)
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ServerMux, wsTransport } from 'wisp-rx/node';

/** A running example server. */
export interface RunningServer {
  readonly url: string;
  readonly close: () => Promise<void>;
}

/** Starts the echo server on `host:port` (0 = any free port). */
export async function startEchoServer({ host = '127.0.0.1', port = 0 } = {}): Promise<RunningServer> {
  const wss = new WebSocketServer({ host, port, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    const mux = ServerMux.accept(wsTransport(socket));
    // eslint-disable-next-line rxjs-x/no-ignored-subscription -- streams$ ends with the connection
    mux.streams$.subscribe({
      next: ({ stream }) => {
        // Async iteration pauses the stream while write() waits: a slow echo slows the client.
        void (async () => {
          try {
            for await (const chunk of stream) await stream.write(chunk);
          } catch {
            // the connection dropped: nothing to echo to
          }
        })();
      },
      error: () => undefined, // the connection failed; the client sees it
    });
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  const { port: bound } = wss.address() as AddressInfo;
  return {
    url: `ws://${host}:${bound}/`,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

if (require.main === module) {
  void startEchoServer({ port: Number(process.argv[2] ?? 4001) }).then(({ url }) => console.log(`echo server on ${url}`));
}
