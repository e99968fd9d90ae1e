import type { StreamKind, StreamRecord } from './stream-record.js';
import type { Outbox } from './outbox.js';
import type { OutputBound } from './output-bound.js';
import type { ReceiveBudget } from './receive-budget.js';

/** One stream in {@link MuxDebugState}. */
export interface StreamDebugState {
  readonly id: number;
  readonly kind: StreamKind;
  /** Received chunks waiting in the stream's queue (not yet delivered to a reader). */
  readonly queued: number;
  /** Subscribers attached to the stream's data$. */
  readonly readers: number;
  /** Subscribers still waiting on the stream's closed$. */
  readonly closeWaiters: number;
  /** Writes waiting for credit or for the transport. */
  readonly pendingWrites: number;
  /** Its small writes wait a turn to gather into a fuller frame (short Wisp credit). */
  readonly gathering: boolean;
  /** What the stream may send now, in the protocol's units; Infinity where it has no window. */
  readonly credit: number;
  /** This stream's unread data alone keeps reading the connection paused. */
  readonly holdingUp: boolean;
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
  /** Streams whose full queues keep the transport paused (streams without a receive window). */
  readonly pausingStreams: number;
  /** Their ids: the streams whose readers hold the whole connection up. */
  readonly holdingUp: readonly number[];
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

/** Builds the actor's {@link MuxDebugState} snapshot. */
export function describeActor(
  ended: boolean,
  records: Iterable<StreamRecord>,
  outbox: Outbox,
  bound: OutputBound,
  budget: ReceiveBudget,
  subjects: readonly { readonly closed: boolean; readonly isStopped: boolean; readonly observers: readonly unknown[] }[],
): MuxDebugState {
  const observers = (subject$: (typeof subjects)[number]): number => (subject$.closed || subject$.isStopped ? 0 : subject$.observers.length);
  const streams = [...records].map((r) => ({
    id: r.id,
    kind: r.kind,
    queued: r.queue.length,
    readers: r.queue.listenerCount,
    closeWaiters: r.closeSignal.waiting,
    pendingWrites: r.pending.length,
    gathering: outbox.isHolding(r),
    credit: r.sendWindow.available,
    holdingUp: r.overLimit,
  }));
  let live = outbox.listening ? 1 : 0;
  for (const subject of subjects) live += observers(subject);
  return {
    ended,
    streams,
    sendQueue: outbox.waiting,
    blocked: outbox.isBlocked,
    outputBacklog: bound.backlogBytes,
    outputPaused: bound.pausing,
    pausingStreams: budget.pausingStreams,
    holdingUp: streams.filter((s) => s.holdingUp).map((s) => s.id),
    queuedBytes: budget.queuedBytes,
    inboundPaused: budget.pausing,
    liveSubscriptions: live,
  };
}
