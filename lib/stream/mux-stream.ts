import type { Observable } from '../rx.js';
import type { MuxActor } from '../core/actor.js';
import type { StreamKind, StreamRecord, WriteCallback } from '../core/stream-record.js';
import type { StreamReader, StreamWriter } from './stream-api.js';
import { toDuplex, type DuplexOptions, type NodeDuplex } from './duplex.js';
import { toWebStreams, type WebStreamPair } from './web-streams.js';
import { readChunks } from './async-iterable.js';
import { WriteBuffer } from './write-buffer.js';
import { defaultWriteBuffer } from '../core/settings.js';

export type { StreamReader, StreamWriter } from './stream-api.js';

/**
 * One multiplexed stream, whatever the protocol. A thin handle: every operation is a command
 * to the connection's actor, which owns the state.
 */
export class MuxStream implements StreamReader, StreamWriter {
  /** Created by the first `write()`: a stream at rest holds no write buffer. */
  private buffer: WriteBuffer | undefined;

  /** @internal Created by the muxes and sessions. */
  constructor(
    private readonly actor: MuxActor,
    private readonly record: StreamRecord,
  ) {}

  /** Received chunks; see {@link StreamReader.data$}. The same Observable on every read. */
  get data$(): Observable<Uint8Array> {
    return this.record.queue;
  }

  /** Emits the close reason once, then completes. The same Observable on every read. */
  get closed$(): Observable<number> {
    return this.record.closeSignal;
  }

  /** Stream id on the wire. */
  get id(): number {
    return this.record.id;
  }

  /** `tcp` or `udp` (Wisp datagrams). */
  get kind(): StreamKind {
    return this.record.kind;
  }

  /** Destination host as the opener asked for it (Wisp CONNECT); `''` where the protocol names none. */
  get host(): string {
    return this.record.host;
  }

  /** Destination port as the opener asked for it (Wisp CONNECT); 0 where the protocol names none. */
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

  /** What this stream may send now, in the protocol's units (Wisp: packets); Infinity where it has no window. */
  get credit(): number {
    return this.record.sendWindow.available;
  }

  /** The protocol can half-close: after {@link end}, reading goes on until the peer ends. */
  get canHalfClose(): boolean {
    return this.actor.wire.features.halfClose;
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
    const settings = this.actor.settings;
    this.buffer ??= new WriteBuffer(settings.writeBufferBytes ?? defaultWriteBuffer(settings.maxPayload));
    return this.buffer.write(chunk.length, (callback) => this.actor.write(this.record, chunk, callback));
  }

  flush(): Promise<void> {
    return new Promise((resolve, reject) => this.whenFlushed((error) => (error ? reject(error) : resolve())));
  }

  send(chunk: Uint8Array, callback?: WriteCallback, inPlace = false): void {
    this.actor.write(this.record, chunk, callback, inPlace);
  }

  end(callback?: WriteCallback): void {
    this.actor.end(this.record);
    if (callback) this.whenFlushed(callback);
  }

  close(reason: number = this.actor.wire.reasons.normal, callback?: WriteCallback): void {
    this.actor.close(this.record, reason);
    if (callback) this.whenFlushed(callback);
  }

  abort(reason: number = this.actor.wire.reasons.error): void {
    this.actor.abort(this.record, reason);
  }

  pause(): void {
    this.actor.pause(this.record);
  }

  resume(): void {
    this.actor.resume(this.record);
  }

  /**
   * Server: tells the peer its stream is open (Wisp's stream-open confirmation extension,
   * once the target is connected). A no-op where the protocol has no such acknowledgement.
   */
  confirm(): void {
    this.actor.accept(this.record);
  }

  private whenFlushed(callback: WriteCallback): void {
    if (this.buffer) this.buffer.whenFlushed(callback);
    else callback();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return readChunks(this);
  }

  /**
   * A Node `stream.Duplex` over this stream with backpressure both ways, to pipe to a
   * `net.Socket` or hand to `tls.connect({ socket })`. Ending the writable side ends the
   * stream (half-close where the protocol has it, so the reply can still be read; on Wisp a
   * graceful close). Node only (throws `Unsupported` elsewhere).
   */
  toDuplex(options?: DuplexOptions): NodeDuplex {
    return toDuplex(this, options);
  }

  /** WHATWG streams over this stream: `{ readable, writable }`, with backpressure. */
  toWebStreams(): WebStreamPair {
    return toWebStreams(this);
  }
}
