import type * as net from 'node:net';
import { CloseReason } from '../wisp/packet/close-reason.js';
import { HEADER_SIZE } from '../wisp/packet/types.js';
import type { MuxStream } from '../stream/mux-stream.js';
import { mapSocketError } from './socket-errors.js';

/**
 * How long a voluntary close may take to flush the client's last data to a slow target (and
 * for the target to close its side) before the socket is destroyed anyway.
 */
const LINGER_MS = 30_000;

/** Read buffer sizes: idle sockets shrink to the minimum, bulk transfers grow to the maximum. */
const MIN_READ = 4 * 1024;
const MAX_READ = 64 * 1024;

/** Byte counters a relay reports into (gateway stats). */
export interface RelayCounters {
  /** Client → target bytes. */
  up: number;
  /** Target → client bytes. */
  down: number;
}

/**
 * The read buffer of every socket reading at the minimum size. Node keeps a socket's next
 * read buffer on it between reads, so a buffer per socket is memory per idle stream (4 KiB
 * each, the largest part of an idle dialled stream); one shared buffer is safe because a read
 * and its callback run together, and what lands in it is always copied out, never handed on.
 */
let shared: Buffer | undefined;

/**
 * Reads a target socket into buffers that keep {@link HEADER_SIZE} spare bytes in front, so
 * the DATA header can be written in place. Pass {@link onread} to `net.connect`.
 *
 * The read size adapts: a read that fills the buffer doubles the next one (bulk data goes out
 * in large packets without a copy), a read under a quarter of it halves the next one, down to
 * the minimum, where the socket reads into the shared buffer. Small reads are copied into an
 * exact-size packet.
 */
export class HeadroomReader {
  private current: Buffer | undefined;
  private size = MIN_READ;
  private sink: ((chunk: Uint8Array) => boolean) | undefined;
  /** Reads that arrived before the relay attached (the socket is paused after the first). */
  private early: Uint8Array[] = [];

  /** For `net.connect({ onread })`. */
  readonly onread = {
    buffer: (): Uint8Array => {
      if (this.size === MIN_READ) return (shared ??= Buffer.allocUnsafeSlow(HEADER_SIZE + MIN_READ)).subarray(HEADER_SIZE);
      this.current ??= Buffer.allocUnsafeSlow(HEADER_SIZE + this.size);
      return this.current.subarray(HEADER_SIZE);
    },
    callback: (bytes: number, buffer: Uint8Array): boolean => {
      const own = shared === undefined || buffer.buffer !== shared.buffer;
      let chunk: Uint8Array;
      if (bytes === buffer.length && own) {
        chunk = buffer; // a full read: hand the whole buffer over, read more next time
        this.current = undefined;
        this.size = Math.min(this.size * 2, MAX_READ);
      } else {
        const packet = new Uint8Array(HEADER_SIZE + bytes);
        packet.set(buffer.subarray(0, bytes), HEADER_SIZE);
        chunk = packet.subarray(HEADER_SIZE);
        if (bytes === buffer.length) this.size = MIN_READ * 2; // the shared buffer filled: read into one of our own
        else if (bytes < buffer.length / 4 && this.size > MIN_READ) {
          this.size /= 2;
          this.current = undefined;
        }
      }
      if (this.sink) return this.sink(chunk);
      this.early.push(chunk);
      return false;
    },
  };

  /** Where chunks go; return false to pause the socket. Delivers early reads first. */
  attach(sink: (chunk: Uint8Array) => boolean): void {
    this.sink = sink;
    for (const chunk of this.early.splice(0)) sink(chunk);
  }
}

/** Options of {@link relayTcp}. */
export interface TcpRelayOptions {
  /** Close the stream with TransferTimeout (0x47) after this long without traffic. 0 = never. */
  readonly idleTimeoutMs: number;
  /** How long a voluntary close may spend flushing to a slow target (default 30 s). */
  readonly lingerMs?: number;
  readonly counters?: RelayCounters;
}

/**
 * Relays a Wisp stream and a connected TCP socket both ways with backpressure: a full socket
 * pauses the stream (so its credit stops), a blocked transport pauses the socket. Wisp has no
 * half-close, so when the target ends, the stream is closed once what was read has been sent.
 *
 * A voluntary close keeps what the client sent before it, as closing a TCP socket does. When
 * it was all handed to the socket already (the usual case), the socket is closed at once;
 * when some still waits (a slow target), it is written out, then the socket is ended (FIN),
 * all within `lingerMs` (default {@link LINGER_MS}). Meanwhile reads go on and are dropped,
 * so a target that writes before it reads cannot stall the flush. Any other close reason, or
 * the connection dropping, destroys the socket at once.
 */
export function relayTcp(stream: MuxStream, socket: net.Socket, reader: HeadroomReader, options: TcpRelayOptions): void {
  const counters = options.counters;
  let sending = 0;
  let ending = false;
  const closeWhenSent = (): void => {
    ending = true;
    if (sending === 0) stream.close(CloseReason.Voluntary);
  };
  // Returning false from `onread` stops reading without marking the socket paused
  // (`isPaused()` stays false), so whether reads are stopped is tracked here.
  let readStopped = true; // the reader stops after its first early read; resume below
  const sent = (error?: Error): void => {
    sending--;
    if (error) return;
    if (ending && sending === 0) stream.close(CloseReason.Voluntary);
    else if (readStopped && sending === 0) {
      readStopped = false;
      socket.resume();
    }
  };

  reader.attach((chunk) => {
    if (counters) counters.down += chunk.length;
    sending++;
    stream.send(chunk, sent, true);
    if (sending === 0) return true;
    readStopped = true; // still in flight: the transport is full, so stop reading
    return false;
  });
  if (sending === 0) {
    readStopped = false;
    socket.resume();
  }

  const subscription = stream.data$.subscribe({
    next(chunk) {
      if (counters) counters.up += chunk.length;
      if (!socket.write(chunk)) stream.pause();
    },
    error: () => socket.destroy(),
    // The stream closed and every chunk sent before the CLOSE is in the socket: close it now
    // if nothing is left in its buffer, else end it after the data (FIN).
    complete: () => (socket.writableLength === 0 ? socket.destroy() : socket.end()),
  });
  socket.on('drain', () => stream.resume());
  socket.once('end', closeWhenSent);
  socket.once('error', (error) => stream.close(mapSocketError(error)));
  socket.once('close', () => {
    if (!stream.closed) closeWhenSent();
  });
  if (options.idleTimeoutMs > 0) {
    socket.setTimeout(options.idleTimeoutMs, () => {
      stream.close(CloseReason.TransferTimeout);
      socket.destroy();
    });
  }
  const abandon = (): void => {
    subscription.unsubscribe();
    socket.destroy();
  };
  // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ emits once and completes
  stream.closed$.subscribe({
    next: (reason) => {
      if (socket.destroyed) return;
      if (reason !== CloseReason.Voluntary) return abandon();
      // A voluntary close still flushing to a slow target: bounded, whatever the target does.
      const deadline = setTimeout(destroySocket, options.lingerMs ?? LINGER_MS, socket);
      deadline.unref();
      socket.once('close', () => clearTimeout(deadline));
    },
    error: abandon,
  });
}

function destroySocket(socket: net.Socket): void {
  socket.destroy();
}
