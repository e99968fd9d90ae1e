import type { Observable } from 'rxjs';

/** How a transport ended. */
export interface TransportClose {
  /** WebSocket close code (1000 normal, 1006 abnormal, ...). */
  readonly code: number;
  /** Close reason text from the peer, if any. */
  readonly reason: string;
  /** True when the peer or we closed it on purpose (close frame exchanged). */
  readonly clean: boolean;
}

/**
 * A message-oriented, binary, ordered, reliable connection: one Wisp packet per message.
 * Adapters exist for Node `ws`, the standard `WebSocket`, and an in-memory pair.
 */
export interface Transport {
  /**
   * Inbound binary messages. Subscribe once, promptly after creating the transport.
   * Completes when the transport closes cleanly, errors with a `WispError`
   * (`TransportError`, `TextFrame`, or `TransportClosed` for an abnormal close).
   */
  readonly messages$: Observable<Uint8Array>;
  /** Emits once when the transport has closed, however that happened. */
  readonly closed$: Observable<TransportClose>;
  /**
   * Queues one message. Returns false once the outbound buffer is above its high water
   * mark: the caller should send nothing more (beyond small control messages) until
   * {@link drain$} emits. Sending on a closed transport is silently dropped.
   */
  send(message: Uint8Array): boolean;
  /** Emits each time the outbound buffer drops below the low water mark after `send` returned false. */
  readonly drain$: Observable<void>;
  /** True while `send` would return true. */
  readonly writable: boolean;
  /**
   * Stops delivering inbound messages until {@link resume}, which lets backpressure reach the
   * peer. The standard `WebSocket` cannot stop reading, so there messages are held in memory
   * until resume and the peer is not slowed.
   */
  pause(): void;
  /** Resumes inbound delivery after {@link pause}. */
  resume(): void;
  /** Closes the transport (normal closure by default). Idempotent. */
  close(code?: number, reason?: string): void;
  /** Subprotocol the two ends agreed on (`''` when none); `wisp-v2` offers Wisp v2. */
  readonly protocol: string;
}

/** Opens a transport offering the given subprotocols (used by `ClientMux.connect`). */
export type TransportConnector = (url: string, protocols: readonly string[]) => Promise<Transport>;

/** Default outbound high water mark: above this many buffered bytes `send` returns false. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
