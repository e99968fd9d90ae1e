/**
 * What a graceful stop needs of a connection's socket, whatever carries it: a WebSocket
 * (closed with a close frame, terminated when it will not close) or a plain byte stream
 * (length-delimited Wisp: ended with a FIN, destroyed when it will not close).
 * @module
 */
import type * as net from 'node:net';
import { WebSocket } from 'ws';

/** The socket under one gateway connection. Methods: callers call them on the handle. */
export interface ConnectionHandle {
  /** True once the socket has closed. */
  isClosed(): boolean;
  /** Resolves when the socket has closed (at once if it has). */
  closed(): Promise<void>;
  /** Drops the socket now (the client sees an abnormal close). */
  terminate(): void;
}

/**
 * Once a connection's mux has ended, its socket gets `ms` to finish closing, not ws's 30 s: a
 * peer cut for not reading (Throttled) never answers the closing handshake, and the socket
 * would read (and discard) its flood until then.
 */
export function terminateUnlessClosedWithin(handle: ConnectionHandle, ms: number): void {
  if (handle.isClosed()) return;
  const deadline = setTimeout(() => handle.terminate(), ms);
  deadline.unref();
  void handle.closed().then(() => clearTimeout(deadline));
}

// Classes, not objects of closures: every connection holds one for its whole life.

class WebSocketHandle implements ConnectionHandle {
  constructor(private readonly socket: WebSocket) {}

  isClosed(): boolean {
    return this.socket.readyState === WebSocket.CLOSED;
  }

  closed(): Promise<void> {
    return this.isClosed() ? Promise.resolve() : new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  terminate(): void {
    this.socket.terminate();
  }
}

class SocketHandle implements ConnectionHandle {
  constructor(private readonly socket: net.Socket) {}

  isClosed(): boolean {
    return this.socket.destroyed && this.socket.closed;
  }

  closed(): Promise<void> {
    return this.isClosed() ? Promise.resolve() : new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  terminate(): void {
    this.socket.destroy();
  }
}

/** A `ws` WebSocket. */
export function webSocketHandle(socket: WebSocket): ConnectionHandle {
  return new WebSocketHandle(socket);
}

/** A TCP or Unix socket. */
export function socketHandle(socket: net.Socket): ConnectionHandle {
  return new SocketHandle(socket);
}
