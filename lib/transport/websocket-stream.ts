/**
 * Transport over the WHATWG `WebSocketStream` API (Chromium has it). Universal: this file
 * must import nothing from Node.
 *
 * Why it exists: the standard `WebSocket` cannot stop reading, so a paused reader in a
 * browser holds every arriving message in memory and the server is never slowed. A
 * `WebSocketStream` delivers messages through a `ReadableStream`; reading it only while the
 * transport is flowing lets the browser stop reading the socket, and TCP backpressure reaches
 * the server.
 * @packageDocumentation
 */
import { WispError } from '../errors.js';
import { ReadyState, SocketTransport } from './socket-transport.js';
import type { Transport } from './transport.js';

/** What `WebSocketStream.opened` resolves with (the parts used here). */
export interface WebSocketStreamConnection {
  readonly readable: ReadableStream<ArrayBuffer | ArrayBufferView | string>;
  readonly writable: WritableStream<ArrayBuffer | ArrayBufferView | string>;
  readonly protocol: string;
}

/** What `WebSocketStream.closed` resolves with. */
export interface WebSocketStreamCloseInfo {
  readonly closeCode?: number;
  readonly reason?: string;
}

/** The parts of a `WebSocketStream` used here (TypeScript's DOM library does not declare it). */
export interface WebSocketStreamLike {
  readonly opened: Promise<WebSocketStreamConnection>;
  readonly closed: Promise<WebSocketStreamCloseInfo>;
  close(info?: { closeCode?: number; reason?: string }): void;
}

/** A `WebSocketStream` constructor. */
export type WebSocketStreamConstructor = new (url: string, options?: { protocols?: string[] }) => WebSocketStreamLike;

/** Options for {@link webSocketStreamTransport}. */
export interface WebSocketStreamTransportOptions {
  /** Outbound bytes not yet taken by the socket above which `send` returns false. Default `DEFAULT_HIGH_WATER_MARK`. */
  readonly highWaterMark?: number;
}

/** Options for {@link connectWebSocketStream}. */
export interface ConnectWebSocketStreamOptions extends WebSocketStreamTransportOptions {
  /** The `WebSocketStream` constructor to use. Default `globalThis.WebSocketStream`. */
  readonly WebSocketStream?: WebSocketStreamConstructor;
}

/** The platform's `WebSocketStream`, if it has one. */
export function platformWebSocketStream(): WebSocketStreamConstructor | undefined {
  const candidate = (globalThis as { WebSocketStream?: unknown }).WebSocketStream;
  return typeof candidate === 'function' ? (candidate as WebSocketStreamConstructor) : undefined;
}

/**
 * Wraps a `WebSocketStream` (open or still connecting) as a {@link Transport}.
 *
 * Reads have real backpressure: the `readable` is read only while the transport is flowing
 * (subscribed and not paused), so `pause()` leaves at most the one message whose read was
 * already pending in memory, and the browser stops reading the socket once its own small
 * buffer is full. Outbound, `send` counts bytes handed to the `writable` until their write
 * settles (`bufferedAmount`), and `drain$` fires when that falls to half the high water mark.
 * A clean close (the `closed` promise resolves) delivers every message read before it and
 * completes `messages$`; a failure (`closed` rejects) errors it with `TransportError`.
 * See `SocketTransport` for the rest of the close semantics.
 */
export function webSocketStreamTransport(socket: WebSocketStreamLike, options: WebSocketStreamTransportOptions = {}): Transport {
  return new StreamTransport(socket, options.highWaterMark);
}

/**
 * Opens a `WebSocketStream` offering `protocols` and resolves once it is open. Rejects with
 * `WispError('Unsupported')` when there is no `WebSocketStream` constructor, `TransportError`
 * when the connection fails, and `InvalidArgument` when the constructor throws (malformed
 * URL or subprotocol). `(url, protocols) => connectWebSocketStream(url, protocols)` is a
 * `TransportConnector`.
 */
export function connectWebSocketStream(
  url: string,
  protocols: readonly string[],
  options: ConnectWebSocketStreamOptions = {},
): Promise<Transport> {
  const Constructor = options.WebSocketStream ?? platformWebSocketStream();
  if (typeof Constructor !== 'function') {
    return Promise.reject(new WispError('Unsupported', 'no WebSocketStream constructor on this platform: use connectWebSocket'));
  }
  let socket: WebSocketStreamLike;
  try {
    socket = new Constructor(url, { protocols: [...protocols] });
  } catch (cause) {
    return Promise.reject(new WispError('InvalidArgument', `cannot connect to ${url}: ${String(cause)}`, { cause }));
  }
  // The transport subscribes to `opened` first, so it is open by the time this resolves.
  const transport = webSocketStreamTransport(socket, options);
  return socket.opened.then(
    () => transport,
    (cause: unknown) => Promise.reject(new WispError('TransportError', `cannot connect to ${url}`, { cause })),
  );
}

class StreamTransport extends SocketTransport {
  private state: number = ReadyState.Connecting;
  private protocolName = '';
  private reader: ReadableStreamDefaultReader<ArrayBuffer | ArrayBufferView | string> | undefined;
  private writer: WritableStreamDefaultWriter<ArrayBuffer | ArrayBufferView | string> | undefined;
  /** Bytes handed to the writer whose write has not settled yet. */
  private unsettled = 0;
  private reading = false;
  /** No more to read: the readable ended or failed. */
  private readEnded = false;
  /** The clean close waiting for the readable to be read to its end. */
  private pendingClose: { code: number; reason: string } | undefined;

  constructor(
    private readonly socket: WebSocketStreamLike,
    highWaterMark: number | undefined,
  ) {
    super(highWaterMark);
    socket.opened.then(
      (connection) => this.onOpen(connection),
      (cause: unknown) => this.failed(cause, 'WebSocketStream failed to open'),
    );
    socket.closed.then(
      (info) => this.onCleanClose(info.closeCode ?? 1005, info.reason ?? ''),
      (cause: unknown) => this.onAbnormalClose(cause),
    );
  }

  get protocol(): string {
    return this.protocolName;
  }

  protected get readyState(): number {
    return this.state;
  }

  protected get socketBufferedAmount(): number {
    return this.unsettled;
  }

  protected write(message: Uint8Array): void {
    const writer = this.writer;
    if (!writer) return;
    const size = message.byteLength;
    this.unsettled += size;
    const settle = () => {
      this.unsettled -= size;
      this.checkDrain();
    };
    // A failed write means the socket is failing; `closed` reports that, so only settle here.
    writer.write(message).then(settle, settle);
  }

  protected closeSocket(code: number, reason: string): void {
    if (this.state < ReadyState.Closing) this.state = ReadyState.Closing;
    this.socket.close({ closeCode: code, reason });
  }

  protected setFlowing(flowing: boolean): void {
    if (flowing) void this.readLoop();
  }

  private onOpen(connection: WebSocketStreamConnection): void {
    if (this.state === ReadyState.Closed) return;
    this.protocolName = connection.protocol;
    this.reader = connection.readable.getReader();
    this.writer = connection.writable.getWriter();
    if (this.state === ReadyState.Connecting) this.state = ReadyState.Open;
    this.opened();
    if (this.flowing) void this.readLoop();
  }

  /**
   * Reads while the inbox wants messages; a clean close that arrived meanwhile reads on to
   * the end regardless, so nothing received before the close is lost.
   */
  private async readLoop(): Promise<void> {
    const reader = this.reader;
    if (this.reading || !reader || this.readEnded) return;
    this.reading = true;
    try {
      while ((this.flowing || this.pendingClose) && !this.readEnded) {
        const { value, done } = await reader.read();
        if (done) this.readEnded = true;
        else this.deliver(value);
      }
    } catch (cause) {
      this.readEnded = true;
      this.failed(cause, 'WebSocketStream read failed');
    } finally {
      this.reading = false;
    }
    this.finishClose();
  }

  private deliver(value: ArrayBuffer | ArrayBufferView | string): void {
    if (typeof value === 'string') this.receivedText();
    else if (ArrayBuffer.isView(value)) this.received(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    else this.received(new Uint8Array(value));
  }

  private onCleanClose(code: number, reason: string): void {
    this.pendingClose = { code, reason };
    if (this.readEnded || !this.reader) this.finishClose();
    else void this.readLoop();
  }

  private finishClose(): void {
    const close = this.pendingClose;
    if (!close || (!this.readEnded && this.reader)) return;
    this.state = ReadyState.Closed;
    this.closedWith(close.code, close.reason, true);
  }

  private onAbnormalClose(cause: unknown): void {
    this.state = ReadyState.Closed;
    const code = closeCodeOf(cause) ?? 1006;
    this.failed(cause, 'WebSocketStream closed abnormally');
    this.closedWith(code, '', false);
  }
}

/** `WebSocketError.closeCode` when the rejection carries one. */
function closeCodeOf(cause: unknown): number | undefined {
  const code = (cause as { closeCode?: unknown } | null)?.closeCode;
  return typeof code === 'number' ? code : undefined;
}
