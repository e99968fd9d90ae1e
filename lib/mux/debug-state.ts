import type { StreamKind } from './stream-record.js';

/** One stream in {@link MuxDebugState}. */
export interface StreamDebugState {
  readonly id: number;
  readonly kind: StreamKind;
  /** Received chunks waiting in the inbox (not yet delivered to a reader). */
  readonly queued: number;
  /** Subscribers attached to the stream's data$. */
  readonly readers: number;
  /** Subscribers still waiting on the stream's closed$. */
  readonly closeWaiters: number;
  /** Writes waiting for credit or for the transport. */
  readonly pendingWrites: number;
  /** Client TCP streams: packets we may send; Infinity where Wisp has no credit. */
  readonly credit: number;
}

/**
 * What a connection's actor holds at one moment, for diagnostics (leak checks, tests,
 * debugging a stalled connection). A snapshot: reading it changes nothing.
 */
export interface MuxDebugState {
  readonly ended: boolean;
  /** The stream table. Empty once the connection has ended. */
  readonly streams: readonly StreamDebugState[];
  /** Streams waiting in the round-robin send queue. */
  readonly sendQueue: number;
  /** The transport's outbound buffer is full; sending waits for drain$. */
  readonly blocked: boolean;
  /** Control bytes sent past the transport's high-water mark since it last drained (see `OutputBound`). */
  readonly outputBacklog: number;
  /** Reading from the transport is paused: the peer does not read the replies we queued. */
  readonly outputPaused: boolean;
  /** Streams whose full inboxes keep the transport paused (client). */
  readonly pausingStreams: number;
  /** Bytes received and not yet taken by readers, over the open streams (see `maxQueuedBytes`). */
  readonly queuedBytes: number;
  /** Reading from the transport is paused: received data waits beyond a limit. */
  readonly inboundPaused: boolean;
  /**
   * Subscriptions the actor holds (to the transport's drain$) plus observers still attached
   * to its own subjects (incoming streams, protocol errors, end). Zero once it has ended.
   */
  readonly liveSubscriptions: number;
}
