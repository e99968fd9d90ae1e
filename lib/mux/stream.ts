import { Observable } from 'rxjs';
import { WispError } from '../errors.js';
import { CloseReason } from '../packet/close-reason.js';
import type { MuxActor } from './actor.js';
import type { StreamKind, StreamRecord, WriteCallback } from './stream-record.js';
import { toDuplex, type DuplexOptions, type NodeDuplex } from '../views/duplex.js';
import { toWebStreams, type WebStreamPair } from '../views/web-streams.js';
import { readChunks } from '../views/async-iterable.js';

/** The reading half of a stream. */
export interface StreamReader {
  /**
   * Received chunks, in order, without copies. Completes when the stream closes (after the
   * chunks received before the CLOSE) and errors with `TransportClosed` if the connection
   * drops. Subscribing starts the flow; use {@link pause}/{@link resume} (or the async
   * iterator, `toDuplex()`, `toWebStreams()`) when processing is asynchronous, so that a
   * slow consumer slows the peer instead of buffering.
   */
  readonly data$: Observable<Uint8Array>;
  /** Emits the close reason once, then completes. */
  readonly closed$: Observable<number>;
  /** Stops delivering chunks; they wait (bounded by credit or by pausing the transport). */
  pause(): void;
  /** Delivers waiting chunks and continues. */
  resume(): void;
  /** Pull-based reading with backpressure: `for await (const chunk of stream) …`. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array>;
}

/** The writing half of a stream. */
export interface StreamWriter {
  /**
   * Sends bytes (split into packets of at most `maxPayload`); resolves once the transport
   * has taken them, which waits for credit (TCP) and for the transport's buffer to drain.
   * Rejects with `StreamAlreadyClosed` on a closed stream.
   */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Like {@link write} with a callback instead of a Promise (no allocation per call). With
   * `inPlace`, the 5 bytes in front of `chunk` in its buffer belong to the caller and may hold
   * the packet header, which saves copying the payload.
   */
  send(chunk: Uint8Array, callback?: WriteCallback, inPlace?: boolean): void;
  /** Closes the stream with a reason (default Voluntary). Unsent writes are rejected. */
  close(reason?: number): void;
  /** Emits the close reason once, then completes. */
  readonly closed$: Observable<number>;
}

/**
 * One multiplexed stream. A thin handle: every operation is a command to the connection's
 * actor, which owns the state.
 */
export class MuxStream implements StreamReader, StreamWriter {
  /** Received chunks; see {@link StreamReader.data$}. */
  readonly data$: Observable<Uint8Array>;
  /** Emits the close reason once, then completes. */
  readonly closed$: Observable<number>;

  /** @internal Created by ClientMux/ServerMux. */
  constructor(
    private readonly actor: MuxActor,
    private readonly record: StreamRecord,
  ) {
    this.data$ = record.inbox;
    this.closed$ = record.closeSignal;
  }

  /** Stream id on the wire. */
  get id(): number {
    return this.record.id;
  }

  /** `tcp` or `udp`. */
  get kind(): StreamKind {
    return this.record.kind;
  }

  /** Destination host as sent in CONNECT. */
  get host(): string {
    return this.record.host;
  }

  /** Destination port as sent in CONNECT. */
  get port(): number {
    return this.record.port;
  }

  /** True once closed by either side or by the connection ending. */
  get closed(): boolean {
    return this.record.closed;
  }

  /** The close reason, once closed. */
  get closeReason(): number | undefined {
    return this.record.closeReason;
  }

  /** Client TCP streams: packets we may send before the next CONTINUE. */
  get credit(): number {
    return this.record.credit;
  }

  /** The reading half. */
  get reader(): StreamReader {
    return this;
  }

  /** The writing half. */
  get writer(): StreamWriter {
    return this;
  }

  write(chunk: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.actor.write(this.record, chunk, (error) => (error ? reject(error) : resolve())));
  }

  send(chunk: Uint8Array, callback?: WriteCallback, inPlace = false): void {
    this.actor.write(this.record, chunk, callback, inPlace);
  }

  close(reason: number = CloseReason.Voluntary): void {
    this.actor.close(this.record, reason);
  }

  pause(): void {
    this.actor.pause(this.record);
  }

  resume(): void {
    this.actor.resume(this.record);
  }

  /**
   * Server: tells the client its stream is open (stream-open confirmation extension, once
   * the target is connected). A no-op when the extension is not in force.
   */
  confirm(): void {
    this.actor.confirm(this.record);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return readChunks(this);
  }

  /**
   * A Node `stream.Duplex` over this stream with backpressure both ways, to pipe to a
   * `net.Socket` or hand to `tls.connect({ socket })`. Wisp has no half-close: ending the
   * writable side closes the whole stream. Node only (throws `Unsupported` elsewhere).
   */
  toDuplex(options?: DuplexOptions): NodeDuplex {
    return toDuplex(this, options);
  }

  /** WHATWG streams over this stream: `{ readable, writable }`, with backpressure. */
  toWebStreams(): WebStreamPair {
    return toWebStreams(this);
  }

  /** @internal */
  assertOpen(): void {
    if (this.record.closed) throw new WispError('StreamAlreadyClosed', `stream ${this.id} is closed`);
  }
}
