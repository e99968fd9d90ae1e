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
}

/** How a connection ended. */
export interface MuxEnd {
  /** Close reason from a CLOSE on stream 0, ours or the peer's. */
  readonly reason?: number;
  /** Set when the transport failed or closed without a CLOSE on stream 0. */
  readonly error?: WispError;
}
