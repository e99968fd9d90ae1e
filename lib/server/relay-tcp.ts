import type * as net from 'node:net';
import { CloseReason } from '../packet/close-reason.js';
import { HEADER_SIZE } from '../packet/types.js';
import type { MuxStream } from '../mux/stream.js';
import { mapSocketError } from './socket-errors.js';

/** Reads at least this large are sent from the read buffer itself; smaller ones are copied. */
const ZERO_COPY_MIN = 8 * 1024;

/** Byte counters a relay reports into (gateway stats). */
export interface RelayCounters {
  /** Client → target bytes. */
  up: number;
  /** Target → client bytes. */
  down: number;
}

/**
 * Reads a target socket into buffers that keep {@link HEADER_SIZE} spare bytes in front, so
 * the DATA header can be written in place. Pass {@link onread} to `net.connect`.
 */
export class HeadroomReader {
  private current: Buffer | undefined;
  private sink: ((chunk: Uint8Array) => boolean) | undefined;
  /** Reads that arrived before the relay attached (the socket is paused after the first). */
  private early: Uint8Array[] = [];

  constructor(private readonly readSize = 64 * 1024) {}

  /** For `net.connect({ onread })`. */
  readonly onread = {
    buffer: (): Uint8Array => {
      this.current ??= Buffer.allocUnsafeSlow(HEADER_SIZE + this.readSize);
      return this.current.subarray(HEADER_SIZE);
    },
    callback: (bytes: number, buffer: Uint8Array): boolean => {
      let chunk: Uint8Array;
      if (bytes >= ZERO_COPY_MIN) {
        chunk = buffer.subarray(0, bytes); // hands the whole read buffer over
        this.current = undefined;
      } else {
        const packet = new Uint8Array(HEADER_SIZE + bytes); // small read: copy, keep the buffer
        packet.set(buffer.subarray(0, bytes), HEADER_SIZE);
        chunk = packet.subarray(HEADER_SIZE);
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
  readonly counters?: RelayCounters;
}

/**
 * Relays a Wisp stream and a connected TCP socket both ways with backpressure: a full socket
 * pauses the stream (so its credit stops), a blocked transport pauses the socket. Wisp has no
 * half-close, so when the target ends, the stream is closed once what was read has been sent.
 */
export function relayTcp(stream: MuxStream, socket: net.Socket, reader: HeadroomReader, options: TcpRelayOptions): void {
  const counters = options.counters;
  let sending = 0;
  let ending = false;
  // A read callback returning false makes Node stop reading the handle without marking the
  // socket paused (`isPaused()` stays false), so we track it ourselves: `socket.resume()`
  // restarts reading only when asked to.
  let stopped = false;
  const closeWhenSent = (): void => {
    ending = true;
    if (sending === 0) stream.close(CloseReason.Voluntary);
  };
  const sent = (error?: Error): void => {
    sending--;
    if (error) return;
    if (ending && sending === 0) stream.close(CloseReason.Voluntary);
    else if (stopped) {
      stopped = false;
      socket.resume();
    }
  };

  reader.attach((chunk) => {
    if (counters) counters.down += chunk.length;
    sending++;
    stream.send(chunk, sent, true);
    if (sending === 0) return true;
    stopped = true; // still in flight: the transport is full, so stop reading
    return false;
  });
  // Reads before the relay attached returned false, which stopped reading: restart it.
  if (!stopped) socket.resume();

  const subscription = stream.data$.subscribe({
    next(chunk) {
      if (counters) counters.up += chunk.length;
      if (!socket.write(chunk)) stream.pause();
    },
    error: () => socket.destroy(),
    complete: () => socket.destroy(),
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
  stream.closed$.subscribe(() => {
    subscription.unsubscribe();
    socket.destroy();
  });
}
