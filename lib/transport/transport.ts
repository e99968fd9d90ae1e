import type { Observable } from '../rx.js';
import { joinBytes } from '../join-bytes.js';

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
 * A message that arrived in two parts the transport kept apart instead of copying them
 * together: `head` is the first frame of a WebSocket message, `body` the rest. Peers send
 * large DATA packets this way (wisp-mux, and wisp-rx through {@link Transport.sendSplit}):
 * the 5-byte header as one frame, the payload as a continuation frame.
 */
export interface SplitMessage {
  readonly head: Uint8Array;
  readonly body: Uint8Array;
}

/** What {@link Transport.messages$} carries: a whole message, or a {@link SplitMessage}. */
export type TransportMessage = Uint8Array | SplitMessage;

/** True when `message` is a {@link SplitMessage}. */
export function isSplitMessage(message: TransportMessage): message is SplitMessage {
  return !ArrayBuffer.isView(message);
}

/** A message's bytes in one buffer: whole messages as they are, split ones joined (a copy). */
export function messageBytes(message: TransportMessage): Uint8Array {
  return isSplitMessage(message) ? joinBytes(message.head, message.body) : message;
}

/**
 * A message-oriented, binary, ordered, reliable connection: one Wisp packet per message.
 * Adapters exist for Node `ws`, the standard `WebSocket`, and an in-memory pair.
 */
export interface Transport {
  /**
   * Inbound binary messages, whole or split (see {@link SplitMessage}). Subscribe once,
   * promptly after creating the transport. Completes when the transport closes cleanly,
   * errors with a `WispError` (`TransportError`, `TextFrame`, or `TransportClosed` for an
   * abnormal close).
   */
  readonly messages$: Observable<TransportMessage>;
  /** Emits once when the transport has closed, however that happened. */
  readonly closed$: Observable<TransportClose>;
  /**
   * Queues one message. Returns false once the outbound buffer is above its high water
   * mark: the caller should send nothing more (beyond small control messages) until
   * {@link drain$} emits. Sending on a closed transport is silently dropped.
   */
  send(message: Uint8Array): boolean;
  /**
   * Optional. Sends one message made of `head` followed by `body` without joining them: the
   * `ws` adapter sends them as two frames of one WebSocket message, so a DATA payload goes
   * out without being copied behind its header. Returns what {@link send} returns. Without it,
   * the mux joins the parts and calls `send`.
   */
  sendSplit?(head: Uint8Array, body: Uint8Array): boolean;
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
  /**
   * What a message means. `'message'` (the default when absent): each inbound message is one
   * packet, and each `send` one outbound packet. `'bytes'`: {@link messages$} carries chunks of
   * an ordered byte stream whose boundaries mean nothing (a protocol's framing operator cuts
   * them into frames), and `send` writes bytes onto that stream.
   */
  readonly framing?: 'message' | 'bytes';
}

/** Opens a transport offering the given subprotocols (used by `ClientMux.connect`). */
export type TransportConnector = (url: string, protocols: readonly string[]) => Promise<Transport>;

/** Default outbound high water mark: above this many buffered bytes `send` returns false. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
