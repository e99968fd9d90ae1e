import type * as net from 'node:net';
import { Subscription, type Observer } from '../rx.js';
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
 * One shared view of it too: Node keeps the view object on the socket, ~100 B each.
 */
let shared: Buffer | undefined;

function sharedBuffer(): Buffer {
  return (shared ??= Buffer.allocUnsafeSlow(HEADER_SIZE + MIN_READ).subarray(HEADER_SIZE));
}

/** Where a {@link HeadroomReader} hands its chunks; false pauses the socket. */
export interface ChunkSink {
  deliver(chunk: Uint8Array): boolean;
}

/**
 * Reads a target socket into buffers that keep {@link HEADER_SIZE} spare bytes in front, so
 * the DATA header can be written in place. Pass it as `onread` to `net.connect` (it has the
 * `buffer` and `callback` Node asks for).
 *
 * The read size adapts: a read that fills the buffer doubles the next one (bulk data goes out
 * in large packets without a copy), a read under a quarter of it halves the next one, down to
 * the minimum, where the socket reads into the shared buffer. Small reads are copied into an
 * exact-size packet.
 */
export class HeadroomReader {
  private current: Buffer | undefined;
  private size = MIN_READ;
  private sink: ChunkSink | undefined;
  /** Reads that arrived before the relay attached (the socket is paused after the first). */
  private early: Uint8Array[] | undefined;

  /** For `net.connect({ onread })`: this reader (Node calls `buffer` and `callback` without it as `this`). */
  get onread(): { readonly buffer: () => Uint8Array; readonly callback: (bytes: number, buffer: Uint8Array) => boolean } {
    return this;
  }

  readonly buffer = (): Uint8Array => {
    if (this.size === MIN_READ) return sharedBuffer();
    this.current ??= Buffer.allocUnsafeSlow(HEADER_SIZE + this.size);
    return this.current.subarray(HEADER_SIZE);
  };

  readonly callback = (bytes: number, buffer: Uint8Array): boolean => {
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
    if (this.sink) return this.sink.deliver(chunk);
    (this.early ??= []).push(chunk);
    return false;
  };

  /** Where chunks go from now on. Delivers early reads first. */
  attach(sink: ChunkSink): void {
    this.sink = sink;
    const early = this.early;
    this.early = undefined;
    if (early) for (const chunk of early) sink.deliver(chunk);
  }
}

/** Options of {@link relayTcp}. */
export interface TcpRelayOptions {
  /** Close the stream with TransferTimeout (0x47) after this long without traffic. 0 = never. */
  readonly idleTimeoutMs: number;
  /** How long a voluntary close may spend flushing to a slow target (default 30 s). */
  readonly lingerMs?: number;
  readonly counters?: RelayCounters;
  /** Open target sockets (the graceful stop's list): the socket is in it until it closes. */
  readonly targets?: Set<net.Socket>;
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
 *
 * Pass options shared by many relays (the connection's): each relay keeps a reference.
 */
export function relayTcp(stream: MuxStream, socket: net.Socket, reader: HeadroomReader, options: TcpRelayOptions): void {
  const relay = new TcpRelay(stream, socket, options);
  (socket as RelayedSocket)[RELAY] = relay;
  options.targets?.add(socket);
  reader.attach(relay);
  if (relay.sending === 0) {
    relay.readStopped = false;
    socket.resume();
  }
  // eslint-disable-next-line rxjs-x/no-ignored-subscription -- the relay is the subscription; it ends with the stream or abandon()
  stream.data$.subscribe(relay);
  socket.on('drain', onDrain);
  socket.on('end', onEnd);
  socket.on('error', onError);
  socket.on('close', onClose);
  if (options.idleTimeoutMs > 0) {
    socket.setTimeout(options.idleTimeoutMs);
    socket.on('timeout', onTimeout);
  }
  // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ emits once and completes
  stream.closed$.subscribe(new RelayEnd(relay));
}

/**
 * One relay's state, and the observer of its stream's data (a Subscription that observes is
 * subscribed as it is, without a wrapper). The socket's listeners are shared functions that
 * find the relay on the socket: an idle dialled stream is mostly this, so it holds no closures
 * and no `once` wrappers (~0.2 KiB each).
 */
class TcpRelay extends Subscription implements Observer<Uint8Array>, ChunkSink {
  /** Target reads handed to the stream and not yet written to the transport. */
  sending = 0;
  /** The target ended (or closed): the stream closes once what was read has been sent. */
  private ending = false;
  /**
   * Reads are stopped: returning false from `onread` stops reading without marking the socket
   * paused (`isPaused()` stays false), so it is tracked here. The reader stops after its first
   * early read; `relayTcp` resumes.
   */
  readStopped = true;
  /** The bound on a voluntary close's flush. */
  deadline: ReturnType<typeof setTimeout> | undefined;
  /** Made with the first read from the target: an idle stream never needs it. */
  private onSent: ((error?: Error) => void) | undefined;

  constructor(
    readonly stream: MuxStream,
    readonly socket: net.Socket,
    readonly options: TcpRelayOptions,
  ) {
    super();
  }

  /** A read from the target (the reader's sink). */
  deliver(chunk: Uint8Array): boolean {
    const counters = this.options.counters;
    if (counters) counters.down += chunk.length;
    this.sending++;
    this.stream.send(chunk, (this.onSent ??= (error) => this.sent(error)), true);
    if (this.sending === 0) return true;
    this.readStopped = true; // still in flight: the transport is full, so stop reading
    return false;
  }

  private sent(error: Error | undefined): void {
    this.sending--;
    if (error) return;
    if (this.ending && this.sending === 0) this.stream.close(CloseReason.Voluntary);
    else if (this.readStopped && this.sending === 0) {
      this.readStopped = false;
      this.socket.resume();
    }
  }

  /** Data from the client. */
  next(chunk: Uint8Array): void {
    const counters = this.options.counters;
    if (counters) counters.up += chunk.length;
    if (!this.socket.write(chunk)) this.stream.pause();
  }

  error(): void {
    this.socket.destroy();
  }

  /**
   * The stream closed and every chunk sent before the CLOSE is in the socket: close it now
   * if nothing is left in its buffer, else end it after the data (FIN).
   */
  complete(): void {
    const socket = this.socket;
    if (socket.writableLength === 0) socket.destroy();
    else socket.end();
  }

  closeWhenSent(): void {
    this.ending = true;
    if (this.sending === 0) this.stream.close(CloseReason.Voluntary);
  }

  /** The stream closed with `reason`. */
  streamClosed(reason: number): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (reason !== CloseReason.Voluntary) return this.abandon();
    // A voluntary close still flushing to a slow target: bounded, whatever the target does.
    this.deadline = setTimeout(destroySocket, this.options.lingerMs ?? LINGER_MS, socket);
    this.deadline.unref();
  }

  abandon(): void {
    this.unsubscribe();
    this.socket.destroy();
  }
}

/** The observer of a relay's `closed$` (a Subscription too: no wrapper). */
class RelayEnd extends Subscription implements Observer<number> {
  constructor(private readonly relay: TcpRelay) {
    super();
  }

  next(reason: number): void {
    this.relay.streamClosed(reason);
  }

  error(): void {
    this.relay.abandon();
  }

  complete(): void {}
}

const RELAY = Symbol('wisp-rx.tcpRelay');
type RelayedSocket = net.Socket & { [RELAY]: TcpRelay };

function relayOf(socket: net.Socket): TcpRelay {
  return (socket as RelayedSocket)[RELAY];
}

function onDrain(this: net.Socket): void {
  relayOf(this).stream.resume();
}

function onEnd(this: net.Socket): void {
  relayOf(this).closeWhenSent();
}

function onError(this: net.Socket, error: Error): void {
  relayOf(this).stream.close(mapSocketError(error));
}

function onClose(this: net.Socket): void {
  const relay = relayOf(this);
  relay.options.targets?.delete(this);
  if (relay.deadline !== undefined) clearTimeout(relay.deadline);
  if (!relay.stream.closed) relay.closeWhenSent();
}

function onTimeout(this: net.Socket): void {
  relayOf(this).stream.close(CloseReason.TransferTimeout);
  this.destroy();
}

function destroySocket(socket: net.Socket): void {
  socket.destroy();
}
