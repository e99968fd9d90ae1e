import type { SchedulerLike } from '../rx.js';
import type { WispError } from '../errors.js';
import type { Role } from './protocol.js';

/** What the core actor needs to know of a connection, whatever its protocol. */
export interface ActorSettings {
  readonly role: Role;
  /** Largest data payload per frame; larger writes are cut. */
  readonly maxPayload: number;
  /**
   * Per stream without a receive window, how many received chunks may wait for a slow reader
   * before reading the transport pauses; undefined: no such limit.
   */
  readonly maxQueuedPackets: number | undefined;
  /** Datagrams that may wait on one stream; more are dropped (a datagram may be lost). */
  readonly maxQueuedDatagrams: number;
  /** Received bytes that may wait for readers, over all streams, before reading pauses. */
  readonly maxQueuedBytes: number;
  /** Streams allowed at once; the peer's further opens are refused. */
  readonly maxStreams: number;
  /**
   * Control bytes that may be queued past the transport's high-water mark before reading
   * pauses (see `OutputBound`). Default {@link DEFAULT_MAX_OUTPUT_BACKLOG}.
   */
  readonly maxOutputBacklog?: number;
  /** How long reading may stay paused for output before the connection is cut; 0 = never. Default 0. */
  readonly outputStallMs?: number;
  /** How long a graceful `close()` waits for pending writes before it aborts. Default {@link DEFAULT_CLOSE_DEADLINE_MS}. */
  readonly closeDeadlineMs?: number;
  /**
   * Per stream, bytes that `write()` may have handed over unsent and still resolve at once
   * (a write past it waits for its bytes to go out). Default {@link defaultWriteBuffer}.
   */
  readonly writeBufferBytes?: number;
  /** Keepalive (protocols that can ping): a ping every `intervalMs`; silence for `timeoutMs` ends the connection. */
  readonly keepalive?: { readonly intervalMs: number; readonly timeoutMs: number };
  /** Scheduler for every timer of the connection (tests pass a TestScheduler). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** Default {@link ActorSettings.maxOutputBacklog}: 256 KiB of control frames (~29,000 Wisp CLOSEs). */
export const DEFAULT_MAX_OUTPUT_BACKLOG = 256 * 1024;

/** Default {@link ActorSettings.closeDeadlineMs}. */
export const DEFAULT_CLOSE_DEADLINE_MS = 2000;

/**
 * Default {@link ActorSettings.writeBufferBytes}: four full frames, at least 64 KiB (256 KiB
 * for Wisp's 64 KiB packets), so that what waits for the window leaves in full frames.
 */
export function defaultWriteBuffer(maxPayload: number): number {
  return Math.max(64 * 1024, 4 * maxPayload);
}

/** How a connection ended. */
export interface MuxEnd {
  /** Close reason of the connection's close frame, ours or the peer's. */
  readonly reason?: number;
  /** Set when the transport failed or closed without a close frame, or the connection failed. */
  readonly error?: WispError;
}

/**
 * Control frames that may be queued past the transport's mark whatever their bytes: each
 * queued write costs ~0.5 KiB of socket bookkeeping, so 1024 of them stay under 1 MiB.
 */
export const MAX_OUTPUT_BACKLOG_PACKETS = 1024;
