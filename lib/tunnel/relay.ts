/**
 * Joins one tunnel stream and one TCP socket, both ways, with backpressure and half-close:
 * the socket's end becomes the stream's FIN and the stream's end the socket's. A stream that
 * fails (the connection dropped) resets the socket; a socket error closes the stream.
 * @packageDocumentation
 */
import type * as net from 'node:net';
import { pipeline } from 'node:stream';
import type { MuxStream } from '../stream/mux-stream.js';

/** Relays until both directions ended; `done` is called once, with the error if one side failed. */
export function relay(stream: MuxStream, socket: net.Socket, done: (error?: Error) => void = () => undefined): void {
  socket.on('error', () => undefined); // reported through pipeline
  const duplex = stream.toDuplex();
  let finished = false;
  pipeline(socket, duplex, socket, (error) => {
    if (finished) return;
    finished = true;
    if (error) {
      stream.abort();
      if (!socket.destroyed) socket.resetAndDestroy();
    }
    done(error ?? undefined);
  });
}
