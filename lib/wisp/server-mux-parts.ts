import type { WispError } from '../errors.js';
import type { MuxEnd } from '../core/actor.js';
import type { Observer } from '../rx.js';
import type { StreamKind, StreamRecord } from '../core/stream-record.js';
import type { MuxStream } from '../stream/mux-stream.js';
import type { MuxOptions } from './options.js';

/** Options for {@link ServerMux.accept}. */
export interface ServerMuxOptions extends MuxOptions {
  /** Per-stream buffer, in packets, granted to the client as credit. Default 128. */
  readonly bufferSize?: number;
  /** Streams one connection may hold open; more are refused with Throttled (0x49). Default 1024. */
  readonly maxStreams?: number;
  /**
   * Run Wisp v2 when the client offered it (the `wisp-v2` subprotocol). Default true; false
   * forces v1. Extensions default to UDP and stream-open confirmation.
   */
  readonly v2?: boolean;
}

/** What a client asked for when it opened a stream. */
export interface ConnectRequest {
  readonly kind: StreamKind;
  readonly host: string;
  readonly port: number;
}

/** One stream the client opened, with its request. */
export interface IncomingStream {
  readonly connect: ConnectRequest;
  readonly stream: MuxStream;
}

/**
 * @internal The gateway's one observer of a connection, called without subscriptions (four
 * of them cost an idle connection ~2 KiB). Watching takes streams as a `streams$` subscriber does.
 */
export interface ServerMuxWatcher {
  /** The handshake is done. */
  ready(): void;
  /** The handshake failed (the end follows). */
  failed(error: WispError): void;
  stream(item: IncomingStream): void;
  /** The last open stream closed. */
  empty(): void;
  ended(end: MuxEnd): void;
}


/** @internal What a ServerMux hears from its actor. */
export interface ActorEvents {
  actorIncoming(record: StreamRecord): void;
  /** No more incoming streams (the cause reaches closed$ through end$). */
  actorIncomingEnded(): void;
  actorEnded(end: MuxEnd): void;
  actorEndCompleted(): void;
}

// The mux's observers of its actor, as classes: object literals of closures would cost every
// connection ~0.4 KiB more.

/** @internal */
export class IncomingObserver implements Observer<StreamRecord> {
  constructor(private readonly mux: ActorEvents) {}

  next(record: StreamRecord): void {
    this.mux.actorIncoming(record);
  }

  error(): void {
    this.mux.actorIncomingEnded();
  }

  complete(): void {
    this.mux.actorIncomingEnded();
  }
}

/** @internal */
export class EndObserver implements Observer<MuxEnd> {
  constructor(private readonly mux: ActorEvents) {}

  next(end: MuxEnd): void {
    this.mux.actorEnded(end);
  }

  error(): void {
    this.mux.actorEndCompleted();
  }

  complete(): void {
    this.mux.actorEndCompleted();
  }
}
