/**
 * The seam between the protocol-neutral core (`lib/core/`) and one wire protocol (Wisp in
 * `lib/wisp/`; smux and yamux beside it). A connection runs
 * `transport.messages$.pipe(framing, decode, handshake, muxActor)`: the protocol supplies the
 * first three stages and a {@link Wire} that the actor drives; the core supplies the actor,
 * the stream table, windows' bookkeeping, the outbox, the receive budget, timers and the
 * stream views. See docs/architecture.md for the picture.
 * @module
 */
import type { OperatorFunction, SchedulerLike } from '../rx.js';
import type { WispError } from '../errors.js';
import type { StreamKind, StreamRecord } from './stream-record.js';

export type { ReceiveWindow, SendWindow } from './windows.js';
import type { TransportMessage } from '../transport/transport.js';

/** Which end of a connection a piece of code runs on. */
export type Role = 'client' | 'server';

/** What a protocol can do; the core adapts stream semantics to it. */
export interface ProtocolFeatures {
  /** `end()` half-closes (FIN); without it `end()` is a graceful `close()`. */
  readonly halfClose: boolean;
  /** This side may open streams. */
  readonly localOpens: boolean;
  /** The peer may open streams toward this side. */
  readonly peerOpens: boolean;
  /** The wire can ping: the core's keepalive sends {@link Wire.ping}. */
  readonly keepalive: boolean;
  /** A stream counts as established once the peer acknowledges it ({@link WireInput.acknowledged}). */
  readonly openAck: boolean;
}

/** How this side numbers the streams it opens. */
export interface StreamIdRule {
  readonly first: number;
  /** 1 for sequential ids, 2 where the two sides keep to odd and even ids. */
  readonly step: number;
  readonly max: number;
}

/** Close reasons the core itself needs, in the protocol's own numbers. */
export interface CoreReasons {
  /** A normal end: `data$` completes (any other reason errors it). */
  readonly normal: number;
  /** A stream refused because the connection is at its stream limit. */
  readonly limit: number;
  /** A stream whose peer sent past its window. */
  readonly overrun: number;
  /** The connection is cut because the peer does not read its replies. */
  readonly throttled: number;
  /** A stream torn down by an error on this side. */
  readonly error: number;
}

/** The actor's inbound interface: what a {@link Wire} reports, in protocol-neutral terms. */
export interface WireInput {
  /** The live stream with this id, if any. */
  stream(id: number): StreamRecord | undefined;
  /** The peer opened a stream; undefined when the core refused it (it sent the refusal). */
  opened(id: number, kind: StreamKind, host: string, port: number): StreamRecord | undefined;
  /** Payload for a stream (a view; never copied). */
  data(record: StreamRecord, payload: Uint8Array): void;
  /** The stream's send window grew: its writes may continue. */
  credited(record: StreamRecord): void;
  /** The peer acknowledged a stream this side opened. */
  acknowledged(record: StreamRecord): void;
  /** The peer half-closed the stream (FIN): `data$` completes after what was received. */
  remoteEnd(record: StreamRecord): void;
  /** The peer closed or reset the stream with `reason`. */
  remoteClose(record: StreamRecord, reason: number): void;
  /** This side tears a stream down (sends the close) with `reason`. */
  abort(record: StreamRecord, reason: number): void;
  /** The peer closed the whole connection. */
  peerClosed(reason: number): void;
  /** The peer will open no more streams and accepts none; open streams go on. */
  peerGoingAway(reason: number): void;
  /** Ends the connection from this side with `reason`. */
  shutdown(reason: number): void;
  /** A bad frame or an unexpected one; `fatal` ends the connection. */
  protocolError(error: WispError, fatal?: boolean): void;
  /** Sends a control frame now (counted by the output bound). */
  emit(frame: Uint8Array): void;
}

/** One connection's wire half, made once the handshake settled; the actor drives it. */
export interface Wire<P> {
  readonly features: ProtocolFeatures;
  readonly ids: StreamIdRule;
  readonly reasons: CoreReasons;
  /** Bytes of header in front of a data payload, for writing it in place (`data(…, inPlace)`); default 0. */
  readonly headroom?: number;
  /** Dispatches one decoded packet (after the handshake) to the core. */
  receive(packet: P): void;
  /** A frame that could not be decoded; `bytes` are its bytes. */
  malformed(error: WispError, bytes: Uint8Array): void;
  /** The frame opening stream `id` (throws `InvalidArgument` before any state changes). */
  open(id: number, kind: StreamKind, host: string, port: number): Uint8Array;
  /** Gives a new stream its windows (`opener`: who opened it). */
  windows(record: StreamRecord, opener: 'local' | 'remote'): void;
  /** One data frame; `inPlace`: the bytes in front of `payload` belong to us and may hold the header. */
  data(id: number, payload: Uint8Array, inPlace: boolean): TransportMessage;
  /** The half-close frame (protocols with {@link ProtocolFeatures.halfClose}). */
  end(id: number): Uint8Array;
  /** The frame closing or resetting stream `id`. */
  close(id: number, reason: number): Uint8Array;
  /** The frame announcing that this side accepts no new streams (yamux GoAway), if the protocol has one. */
  goAway(reason: number): Uint8Array | undefined;
  /** The frame that ends the connection (Wisp: CLOSE on stream 0), if any. */
  closeConnection(reason: number): Uint8Array | undefined;
  /** A stream's receive window granted `value`: emit the update. */
  windowUpdate(record: StreamRecord, value: number): void;
  /** Acknowledges a stream the peer opened (Wisp: stream-open confirmation). */
  accept(record: StreamRecord): void;
  /** A keepalive frame (protocols with {@link ProtocolFeatures.keepalive}). */
  ping(): Uint8Array;
  /** The frame telling the peer its silence ended the connection (net-mux: GoAway(Timeout)), if any. */
  keepaliveTimeout?(): Uint8Array | undefined;
}

/**
 * One connection's protocol: the stages in front of the actor and the wire behind it.
 * Made per connection, so it may keep per-connection state (agreed extensions).
 */
export interface Protocol<P, Settled> {
  readonly name: string;
  /** Cuts transport messages into frames: identity where a message is a packet. */
  readonly framing: OperatorFunction<TransportMessage, TransportMessage>;
  /** Decodes frames; a malformed one goes to `report` and is skipped. */
  decode(report: (error: WispError, bytes: Uint8Array) => void): OperatorFunction<TransportMessage, P>;
  /** The handshake: emits what it settled first, then passes packets through. */
  handshake(send: (frame: Uint8Array) => void, scheduler?: SchedulerLike): OperatorFunction<P, P | Settled>;
  /** A frame that could not be decoded during the handshake: what to tell the peer, if the protocol can. */
  refuseHandshake(error: WispError): { readonly frame: Uint8Array; readonly reason: number } | undefined;
  /** Builds the wire once the handshake settled. */
  wire(settled: Settled, input: WireInput): Wire<P>;
}
