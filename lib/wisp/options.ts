import type { ExtensionBuilder } from './extensions/extension.js';
import type { SchedulerLike } from '../rx.js';

/** Options shared by {@link ClientMux} and {@link ServerMux}. */
export interface MuxOptions {
  /** Largest DATA payload we send; larger writes are split. Default 65536 bytes. */
  readonly maxPayload?: number;
  /**
   * Per stream, how many received packets may wait for a slow reader before the mux stops
   * reading the transport (client side; the server relies on credit). Default 64.
   */
  readonly maxQueuedPackets?: number;
  /**
   * Received bytes that may wait for slow readers, over all streams of the connection, before
   * the mux stops reading the transport (it reads again once half is taken). A bound against
   * abuse, not flow control: pausing holds up every stream. Default 64 MiB.
   */
  readonly maxQueuedBytes?: number;
  /**
   * Control packets (CLOSE, CONTINUE, extension replies) that may be queued beyond the
   * transport's high-water mark, in bytes, before the mux stops reading the transport until
   * it drains: a peer that makes us reply faster than it reads is slowed, not absorbed.
   * Default 256 KiB.
   */
  readonly maxOutputBacklog?: number;
  /**
   * A peer that keeps {@link maxOutputBacklog} exceeded (reading paused) this long is cut with
   * CLOSE(0, Throttled). 0 = never. Default 0 (the gateway sets 30 s).
   */
  readonly outputStallMs?: number;
  /** How long each handshake step may take. Default 10,000 ms. */
  readonly handshakeTimeoutMs?: number;
  /** Wisp v2 extensions to offer (v2 only). */
  readonly extensions?: readonly ExtensionBuilder[];
  /** Extension ids that must be agreed, or the connection fails with `ExtensionsNotSupported`. */
  readonly requiredExtensions?: readonly number[];
  /**
   * How long a graceful `stream.close()` waits for the stream's pending writes before it
   * aborts them. Default 2,000 ms.
   */
  readonly closeDeadlineMs?: number;
  /**
   * Per stream, bytes `write()` may have handed over unsent and still resolve at once (past
   * it, a write resolves once its bytes went out). 0: every write waits for its bytes to go
   * out. Default: four packets, at least 64 KiB (256 KiB with the default `maxPayload`).
   */
  readonly writeBufferBytes?: number;
  /** Scheduler for every timer of the connection: handshake steps, output stall, close deadlines (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
}

export const DEFAULT_MAX_PAYLOAD = 64 * 1024;
export const DEFAULT_MAX_QUEUED_PACKETS = 64;
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_BUFFER_SIZE = 128;
export const DEFAULT_MAX_STREAMS = 1024;
