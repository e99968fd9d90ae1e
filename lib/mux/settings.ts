import type { WispError } from '../errors.js';
import type { Role } from '../extensions/extension.js';

/** What the handshake settled, needed by the actor. */
export interface ActorSettings {
  readonly role: Role;
  /** Server: the per-stream buffer we grant. Client: the initial credit per TCP stream. */
  readonly bufferSize: number;
  readonly maxPayload: number;
  readonly maxQueuedPackets: number;
  /** Received bytes that may wait for readers, over all streams, before reading pauses. */
  readonly maxQueuedBytes: number;
  /** Server: streams allowed at once (more are refused with Throttled). */
  readonly maxStreams: number;
  /** The stream-open confirmation extension is in force. */
  readonly confirmation: boolean;
  /** UDP streams are allowed (v1, or v2 with the UDP extension agreed). */
  readonly udp: boolean;
  /**
   * Control bytes that may be queued past the transport's high-water mark before reading
   * pauses (see `OutputBound`). Default {@link DEFAULT_MAX_OUTPUT_BACKLOG}.
   */
  readonly maxOutputBacklog?: number;
  /** How long reading may stay paused for output before the connection is cut with Throttled; 0 = never. Default 0. */
  readonly outputStallMs?: number;
}

/** Default {@link ActorSettings.maxOutputBacklog}: 256 KiB of control packets (~29,000 CLOSEs). */
export const DEFAULT_MAX_OUTPUT_BACKLOG = 256 * 1024;

/** How a connection ended. */
export interface MuxEnd {
  /** Close reason from a CLOSE on stream 0, ours or the peer's. */
  readonly reason?: number;
  /** Set when the transport failed or closed without a CLOSE on stream 0. */
  readonly error?: WispError;
}

/**
 * Control packets that may be queued past the transport's mark whatever their bytes: each
 * queued write costs ~0.5 KiB of socket bookkeeping, so 1024 of them stay under 1 MiB.
 */
export const MAX_OUTPUT_BACKLOG_PACKETS = 1024;
