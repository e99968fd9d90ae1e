import type { Observable, Observer } from '../rx.js';
import { WispError } from '../errors.js';
import { LazySubject, ReplayLazySubject } from '../core/lazy-subject.js';
import { Inbox } from './inbox.js';
import { joinBytes } from '../join-bytes.js';
import { DEFAULT_HIGH_WATER_MARK, type Transport, type TransportClose, type TransportMessage } from './transport.js';

/** WebSocket `readyState` values; Node `ws` and the standard API share them. */
export const ReadyState = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const;

/**
 * Close codes that mean "no status was received" (1005), "the connection dropped"
 * (1006) or "TLS failed" (1015). They are never sent on the wire, so seeing one means
 * the peer did not state a reason for closing, even if a close frame was exchanged.
 */
const UNSTATED_CLOSE_CODES: ReadonlySet<number> = new Set([1005, 1006, 1015]);

/**
 * Messages handed to the socket and not yet written out above which `send` returns false, as
 * the byte mark does. Bytes alone do not bound memory: every queued write costs the socket
 * ~0.5 KiB of bookkeeping whatever its size, so a flood of 9-byte replies under a 1 MiB byte
 * mark would hold ~100,000 writes (~50 MiB). Only adapters that learn when a write is done
 * (`ws` write callbacks) count them.
 */
const MAX_PENDING_MESSAGES = 4096;

/** A close frame's reason is limited to 123 UTF-8 bytes; both socket APIs throw beyond it. */
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * What a WebSocket-backed transport shares whatever the socket API: the single-reader
 * inbox, the outbound high water mark, queueing sends made while still connecting, and
 * mapping the socket's end onto `messages$` and `closed$`. Adapters subclass it and feed it
 * socket events through the protected methods.
 *
 * Clean vs abnormal close (like the standard `CloseEvent.wasClean`, plus a stated code):
 * the close is clean when close frames were exchanged both ways, the code is a real
 * status code (not 1005/1006/1015) and no transport error occurred. Any stated code counts,
 * not just 1000/1001: a peer that closes with 1008 or 4000 closed on purpose, and the code
 * is reported on `closed$`. Clean → `messages$` completes; otherwise it errors with
 * `TransportClosed` (unless it already errored with `TransportError` or `TextFrame`).
 * @internal
 */
export abstract class SocketTransport implements Transport {
  readonly messages$: Observable<TransportMessage>;
  abstract readonly protocol: string;

  private readonly inbox: Inbox;
  // Subjects made on first subscription: a served connection's own link watches the drain
  // directly (see watchDrain) and nothing watches the close, so most never need one.
  private readonly closedSubject = new ReplayLazySubject<TransportClose>();
  private readonly drainSubject = new LazySubject<void>();
  private readonly highWaterMark: number;
  /** Messages sent while the socket was still connecting (sockets throw on send then). */
  private early: Uint8Array[] | undefined;
  private earlyBytes = 0;
  private blocked = false;
  private closeRequested = false;
  private errored = false;
  private ended: TransportClose | undefined;
  /** Messages written to the socket whose write has not completed (see {@link MAX_PENDING_MESSAGES}). */
  protected pendingMessages = 0;

  protected constructor(highWaterMark: number | undefined) {
    const mark = highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    if (!Number.isFinite(mark) || mark < 0) {
      throw new WispError('InvalidArgument', `highWaterMark must be a non-negative number, got ${mark}`);
    }
    this.highWaterMark = mark;
    this.inbox = new Inbox((flowing) => this.setFlowing(flowing));
    this.messages$ = this.inbox.messages$;
  }

  get closed$(): Observable<TransportClose> {
    return this.closedSubject.asObservable();
  }

  get drain$(): Observable<void> {
    return this.drainSubject.asObservable();
  }

  /**
   * @internal Makes `watcher` the one observer told of every drain (and of the end) before
   * `drain$`'s subscribers, without a subscription: the connection's link to this transport
   * (`linkTransport`), which every connection has for its whole life. Undefined removes it.
   */
  watchDrain(watcher: Partial<Observer<void>> | undefined): void {
    this.drainSubject.listener = watcher;
  }

  /** The socket's `readyState` (see {@link ReadyState}). */
  protected abstract get readyState(): number;
  /** Bytes the socket has queued but not yet handed to the network. */
  protected abstract get socketBufferedAmount(): number;
  /** Sends one binary message on an open socket. */
  protected abstract write(message: Uint8Array): void;
  /** Sends one message in two parts on an open socket; by default joins them (one copy). */
  protected writeSplit(head: Uint8Array, body: Uint8Array): void {
    this.write(joinBytes(head, body));
  }
  /** Starts the closing handshake (or aborts a connecting socket). May throw on a refused code. */
  protected abstract closeSocket(code: number, reason: string): void;
  /** Stops (`false`) or restarts (`true`) reading from the socket, where the API allows it. */
  protected abstract setFlowing(flowing: boolean): void;
  /** Called when `send` starts returning false; adapters without a drain event start watching. */
  protected onBlocked(): void {}
  /** Called when the transport is no longer blocked (drained or ended); stop watching. */
  protected onUnblocked(): void {}

  get writable(): boolean {
    return !this.blocked && !this.closeRequested && !this.ended;
  }

  /** Bytes sent but not yet handed to the network, including those held until the socket opens. */
  get bufferedAmount(): number {
    return this.earlyBytes + this.socketBufferedAmount;
  }

  send(message: Uint8Array): boolean {
    return this.sendParts(message, undefined);
  }

  /**
   * `send` for a message given whole (`body` undefined) or in two parts; adapters that can
   * keep the parts apart expose it as `sendSplit` and override {@link writeSplit}.
   */
  protected sendParts(head: Uint8Array, body: Uint8Array | undefined): boolean {
    if (this.closeRequested || this.ended) return false;
    const state = this.readyState;
    if (state === ReadyState.Open) {
      if (body === undefined) this.write(head);
      else this.writeSplit(head, body);
    } else if (state === ReadyState.Connecting) {
      const message = body === undefined ? head : joinBytes(head, body);
      (this.early ??= []).push(message);
      this.earlyBytes += message.byteLength;
    } else {
      return false; // closing: the socket would drop it anyway
    }
    if (!this.blocked && (this.bufferedAmount > this.highWaterMark || this.pendingMessages > MAX_PENDING_MESSAGES)) {
      this.blocked = true;
      this.onBlocked();
    }
    return !this.blocked;
  }

  pause(): void {
    this.inbox.pause();
  }

  resume(): void {
    this.inbox.resume();
  }

  close(code = 1000, reason = ''): void {
    // Always send a code: a close frame without one reaches the peer as 1005, which it
    // must treat as abnormal.
    if (this.closeRequested || this.ended) return;
    this.closeRequested = true;
    this.dropOutbox();
    this.inbox.stopAccepting();
    const text = truncateUtf8(reason, MAX_CLOSE_REASON_BYTES);
    try {
      this.closeSocket(code, text);
    } catch {
      // The socket refused the code (the standard API only allows 1000 and 3000–4999;
      // `ws` refuses reserved ones). Closing matters more than the exact code.
      this.closeSocket(1000, text);
    }
  }

  /** Whether the socket should be reading now (adapters apply it when the socket opens). */
  protected get flowing(): boolean {
    return this.inbox.flowing;
  }

  /** The socket opened: send what was queued while connecting. */
  protected opened(): void {
    const queued = this.early;
    this.early = undefined;
    this.earlyBytes = 0;
    if (queued) for (const message of queued) this.write(message);
    this.checkDrain();
  }

  /** A binary message arrived. */
  protected received(message: TransportMessage): void {
    this.inbox.push(message);
  }

  /** A text message arrived: Wisp is binary only, so this is a protocol error (close 1003). */
  protected receivedText(): void {
    this.inbox.fail(new WispError('TextFrame', 'received a text frame; Wisp uses binary frames only'));
    this.close(1003, 'binary frames only');
  }

  /**
   * The socket reported an error; its close follows. Byte-stream adapters report a reset
   * by the peer as `TransportClosed` (an abnormal close, not a fault of this end).
   */
  protected failed(
    cause: unknown,
    detail = 'WebSocket error',
    code: 'TransportError' | 'TransportClosed' | 'PacketTooLarge' = 'TransportError',
  ): void {
    this.errored = true;
    this.inbox.fail(new WispError(code, detail, { cause }));
  }

  /** Re-checks the buffered amount; fires `drain$` once it is at or below half the mark. */
  protected checkDrain(): void {
    if (!this.blocked || this.ended || this.bufferedAmount > this.highWaterMark / 2 || this.pendingMessages > MAX_PENDING_MESSAGES / 2) return;
    this.blocked = false;
    this.onUnblocked();
    this.drainSubject.next();
  }

  /**
   * The socket closed.
   * @param handshakeCompleted Close frames went both ways (`CloseEvent.wasClean`).
   */
  protected closedWith(code: number, reason: string, handshakeCompleted: boolean): void {
    if (this.ended) return;
    const clean = handshakeCompleted && !this.errored && !UNSTATED_CLOSE_CODES.has(code);
    const info: TransportClose = { code, reason, clean };
    this.ended = info;
    this.dropOutbox();
    if (this.blocked) {
      this.blocked = false;
      this.onUnblocked();
    }
    if (clean) this.inbox.end();
    else this.inbox.fail(new WispError('TransportClosed', `transport closed abnormally (${code}${reason ? `: ${reason}` : ''})`));
    this.closedSubject.next(info);
    this.closedSubject.complete();
    this.drainSubject.complete();
  }

  private dropOutbox(): void {
    this.early = undefined;
    this.earlyBytes = 0;
  }
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--; // back off continuation bytes
  return new TextDecoder().decode(bytes.subarray(0, end));
}
