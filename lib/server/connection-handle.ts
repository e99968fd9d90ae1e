/**
 * What a graceful stop needs of a connection's socket, whatever carries it: a WebSocket
 * (closed with a close frame, terminated when it will not close) or a plain byte stream
 * (length-delimited Wisp: ended with a FIN, destroyed when it will not close).
 * @module
 */
import type * as net from 'node:net';
import { WebSocket } from 'ws';

/** The socket under one gateway connection. */
export interface ConnectionHandle {
  /** True once the socket has closed. */
  readonly isClosed: () => boolean;
  /** Resolves when the socket has closed (at once if it has). */
  readonly closed: () => Promise<void>;
  /** Drops the socket now (the client sees an abnormal close). */
  readonly terminate: () => void;
}

/**
 * Once a connection's mux has ended, its socket gets `ms` to finish closing, not ws's 30 s: a
 * peer cut for not reading (Throttled) never answers the closing handshake, and the socket
 * would read (and discard) its flood until then.
 */
export function terminateUnlessClosedWithin(handle: ConnectionHandle, ms: number): void {
  if (handle.isClosed()) return;
  const deadline = setTimeout(handle.terminate, ms);
  deadline.unref();
  void handle.closed().then(() => clearTimeout(deadline));
}

/** A `ws` WebSocket. */
export function webSocketHandle(socket: WebSocket): ConnectionHandle {
  const isClosed = (): boolean => socket.readyState === WebSocket.CLOSED;
  return {
    isClosed,
    closed: () => (isClosed() ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()))),
    terminate: () => socket.terminate(),
  };
}

/** A TCP or Unix socket. */
export function socketHandle(socket: net.Socket): ConnectionHandle {
  const isClosed = (): boolean => socket.destroyed && socket.closed;
  return {
    isClosed,
    closed: () => (isClosed() ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()))),
    terminate: () => socket.destroy(),
  };
}
