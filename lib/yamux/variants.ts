/**
 * How the two yamux-family peers behave, as data: hashicorp/yamux (version byte 0, as
 * Debian ships it, 2019) and net-mux 1.0 (version byte 1). Facts observed on the wire and
 * read in their source (shared yamux-notes.md §8, net-mux-notes.md A3–A8), for a session to
 * pick its rules from by version. Nothing here is policy of wisp-rx's own.
 * @packageDocumentation
 */
import { YamuxFlag, YamuxGoAway, type YamuxVersion } from './frame.js';

/** One variant's behaviour. Times in milliseconds; `undefined` where the peer has no such limit. */
export interface YamuxVariant {
  readonly version: YamuxVersion;
  readonly peer: string;
  /** The window every stream starts with in both directions (both variants: 256 KiB, never announced). */
  readonly initialWindow: number;
  /** Frame type Go / net-mux put SYN, ACK, FIN and RST on when they send them. */
  readonly sendsLifecycleFlagsOn: 'WindowUpdate' | 'Data';
  /** Whether SYN/ACK/FIN/RST are honoured on a received WindowUpdate (net-mux ignores them there). */
  readonly lifecycleFlagsOnWindowUpdate: boolean;
  /** Unknown flag bits end the session (true) or are ignored. */
  readonly unknownFlagsFatal: boolean;
  /** Whether `open` waits for the peer's ACK (sent when the peer's application accepts). */
  readonly openWaitsForAck: boolean;
  /** How long an open waits for that ACK before it sends RST. */
  readonly openTimeout: number | undefined;
  /** SYNs queued for Accept beyond this are answered with RST (Go's AcceptBacklog). */
  readonly acceptBacklog: number | undefined;
  /** Streams at once; a SYN beyond it is answered with RST (net-mux max_streams). */
  readonly maxStreams: number | undefined;
  /** A Data payload above this ends the peer's session (net-mux max_frame_size). */
  readonly maxDataPayload: number | undefined;
  /** The receiver ends the session when a sender overruns its window. */
  readonly enforcesReceiveWindow: boolean;
  /** How the sender adds window deltas. */
  readonly windowArithmetic: 'wrap' | 'saturate';
  /** A SYN with the receiver's own id parity, or Data on stream 0, ends the session. */
  readonly checksStreamIds: boolean;
  /** What the peer does with Data for a stream it does not know. */
  readonly dataForUnknownStream: 'discard' | 'rst';
  /** Data after the peer's own FIN ends the session (net-mux) or is delivered (Go). */
  readonly dataAfterFinFatal: boolean;
  /** A second FIN on a still-open stream ends the session (Go) or is ignored (net-mux). */
  readonly secondFinFatal: boolean;
  /** Flags on the Ping requests it sends. */
  readonly pingRequestFlags: number;
  /** Which received Pings it answers: only those with SYN (Go), or any without ACK (net-mux). */
  readonly answersPings: 'syn' | 'any-without-ack';
  /** Keepalive: a Ping every `interval`, the session closed when no reply within `timeout`. */
  readonly keepalive: { readonly interval: number; readonly timeout: number; readonly sendsGoAway: number | undefined };
  /** Highest GoAway code it knows; Go treats any higher one as fatal, net-mux as "unknown". */
  readonly maxGoAwayCode: number;
  /** GoAway(Normal) received: stop opening only (Go), or tear every stream down and answer with the same code (net-mux). */
  readonly goAwayNormal: 'no-new-opens' | 'teardown';
  /** Whether the peer's close sends GoAway(Normal) first (Go's Close sends none; GoAway() is separate). */
  readonly closeSendsGoAway: boolean;
}

/** hashicorp/yamux, version byte 0 (Debian's 0.0+git20190923.df201c7; upstream v0.1.2 is the same on the wire). */
export const HASHICORP_YAMUX: YamuxVariant = {
  version: 0,
  peer: 'hashicorp/yamux',
  initialWindow: 256 * 1024,
  sendsLifecycleFlagsOn: 'WindowUpdate',
  lifecycleFlagsOnWindowUpdate: true,
  unknownFlagsFatal: false,
  openWaitsForAck: false,
  openTimeout: undefined, // Debian: none (upstream v0.1.2: 75 s, then the whole session closes)
  acceptBacklog: 256,
  maxStreams: undefined,
  maxDataPayload: undefined, // bounded by the receive window only
  enforcesReceiveWindow: true,
  windowArithmetic: 'wrap',
  checksStreamIds: false,
  dataForUnknownStream: 'discard',
  dataAfterFinFatal: false,
  secondFinFatal: true,
  pingRequestFlags: YamuxFlag.Syn,
  answersPings: 'syn',
  keepalive: { interval: 30_000, timeout: 10_000, sendsGoAway: undefined },
  maxGoAwayCode: YamuxGoAway.InternalError,
  goAwayNormal: 'no-new-opens',
  closeSendsGoAway: false,
};

/** net-mux 1.0.0 (Rust, Poseidon-fan/net-mux), version byte 1. */
export const NET_MUX: YamuxVariant = {
  version: 1,
  peer: 'net-mux 1.0',
  initialWindow: 256 * 1024,
  sendsLifecycleFlagsOn: 'Data',
  lifecycleFlagsOnWindowUpdate: false,
  unknownFlagsFatal: true,
  openWaitsForAck: true,
  openTimeout: 10_000,
  acceptBacklog: undefined,
  maxStreams: 1024,
  maxDataPayload: 64 * 1024,
  enforcesReceiveWindow: false,
  windowArithmetic: 'saturate',
  checksStreamIds: true,
  dataForUnknownStream: 'rst',
  dataAfterFinFatal: true,
  secondFinFatal: false,
  pingRequestFlags: 0,
  answersPings: 'any-without-ack',
  keepalive: { interval: 30_000, timeout: 30_000, sendsGoAway: YamuxGoAway.Timeout },
  maxGoAwayCode: YamuxGoAway.Timeout,
  goAwayNormal: 'teardown',
  closeSendsGoAway: true,
};

/** The variant for a version byte. */
export function yamuxVariant(version: YamuxVersion): YamuxVariant {
  return version === 0 ? HASHICORP_YAMUX : NET_MUX;
}
