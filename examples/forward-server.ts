#!/usr/bin/env node
// The smallest useful Wisp server: every TCP stream is forwarded to the host:port the client
// asked for, with backpressure both ways. No destination policy: use `wisp-rx serve` (the
// gateway) for anything exposed to others.
// Run: node build/examples/forward-server.js [port]   (after `npm run build`)
import * as net from 'node:net';
import { pipeline } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CloseReason, ServerMux, wsTransport, type IncomingStream } from 'wisp-rx/node';
import type { RunningServer } from './echo-server';

/** Dials the stream's target; a failed dial closes the stream with a reason the client sees. */
export function forwardStream({ connect, stream }: IncomingStream): void {
  if (connect.kind !== 'tcp') return stream.close(CloseReason.InvalidInfo);
  const target = net.connect({ host: connect.host, port: connect.port });
  // Whether the dial succeeded, not the socket's readyState: after ECONNREFUSED it reads
  // "closed", and a stream left open there keeps a client awaiting confirmation hanging.
  let connected = false;
  target.once('connect', () => {
    connected = true;
    stream.confirm(); // stream-open confirmation, when the client asked for it
    const duplex = stream.toDuplex();
    pipeline(duplex, target, duplex, () => undefined);
  });
  target.once('error', (error: NodeJS.ErrnoException) => {
    if (connected) return; // pipeline() tears both sides down
    stream.close(error.code === 'ECONNREFUSED' ? CloseReason.ConnectionRefused : CloseReason.HostUnreachable);
  });
}

/** Starts the forwarding server on `host:port` (0 = any free port). */
export async function startForwardServer({ host = '127.0.0.1', port = 0 } = {}): Promise<RunningServer> {
  const wss = new WebSocketServer({ host, port, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    // eslint-disable-next-line rxjs-x/no-ignored-subscription -- streams$ ends with the connection
    ServerMux.accept(wsTransport(socket)).streams$.subscribe({ next: forwardStream, error: () => undefined });
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  const { port: bound } = wss.address() as net.AddressInfo;
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
  void startForwardServer({ port: Number(process.argv[2] ?? 4002) }).then(({ url }) => console.log(`forwarding server on ${url}`));
}
