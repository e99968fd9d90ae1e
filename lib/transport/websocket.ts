/**
 * Transport over the standard `WebSocket` API (browsers, Deno, Bun, Node 22+). Universal:
 * this file must import nothing from Node.
 * @packageDocumentation
 */
import { WispError } from '../errors.js';
import { ReadyState, SocketTransport } from './socket-transport.js';
import type { Transport } from './transport.js';

/** Options for {@link webSocketTransport}. */
export interface WebSocketTransportOptions {
  /** Buffered outbound bytes above which `send` returns false. Default `DEFAULT_HIGH_WATER_MARK`. */
  readonly highWaterMark?: number;
}

/** Options for {@link connectWebSocket}. */
export interface ConnectWebSocketOptions extends WebSocketTransportOptions {
  /** The `WebSocket` constructor to use. Default `globalThis.WebSocket`. */
  readonly WebSocket?: typeof WebSocket;
}

/**
 * While blocked, how often `bufferedAmount` is re-read: the standard API has no drain
 * event. Short enough not to stall a fast link, and the timer only runs while blocked.
 */
export const DRAIN_POLL_INTERVAL_MS = 10;

/**
 * Wraps a standard `WebSocket` (open or still connecting) as a {@link Transport}.
 *
 * Inbound messages are zero-copy `Uint8Array` views of the received `ArrayBuffer`s.
 * The standard API cannot pause a socket, so `pause()`/`resume()` only hold delivery in
 * memory (the peer feels no backpressure); hold-until-subscribed works the same way.
 * It has no drain event either, so while `send` is returning false `bufferedAmount` is
 * polled every {@link DRAIN_POLL_INTERVAL_MS} ms; the timer stops on drain or close.
 * See `SocketTransport` for how closes map to completion or `TransportClosed`.
 */
export function webSocketTransport(socket: WebSocket, options: WebSocketTransportOptions = {}): Transport {
  return new StandardWebSocketTransport(socket, options.highWaterMark);
}

/**
 * Opens a standard `WebSocket` offering `protocols` and resolves once it is open.
 * Rejects with `WispError('Unsupported')` when there is no `WebSocket` constructor,
 * `TransportError` when the connection fails (the standard API does not say why), and
 * `InvalidArgument` when the constructor throws (malformed URL or subprotocol).
 * `(url, protocols) => connectWebSocket(url, protocols, options)` is a `TransportConnector`.
 */
export function connectWebSocket(
  url: string,
  protocols: readonly string[],
  options: ConnectWebSocketOptions = {},
): Promise<Transport> {
  const Constructor = options.WebSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (typeof Constructor !== 'function') {
    return Promise.reject(
      new WispError('Unsupported', 'no WebSocket constructor: pass options.WebSocket or use connectWs from wisp-rx/node'),
    );
  }
  return new Promise<Transport>((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new Constructor(url, [...protocols]);
    } catch (cause) {
      reject(new WispError('InvalidArgument', `cannot connect to ${url}: ${String(cause)}`, { cause }));
      return;
    }
    const transport = webSocketTransport(socket, options);
    const settle = (failure?: Event) => {
      socket.removeEventListener('open', onOpen);
      socket.removeEventListener('error', onFailure);
      socket.removeEventListener('close', onFailure);
      if (failure === undefined) resolve(transport);
      else reject(new WispError('TransportError', `cannot connect to ${url}`, { cause: failure }));
    };
    const onOpen = () => settle();
    const onFailure = (event: Event) => settle(event);
    socket.addEventListener('open', onOpen);
    socket.addEventListener('error', onFailure);
    socket.addEventListener('close', onFailure);
  });
}

class StandardWebSocketTransport extends SocketTransport {
  private drainTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly socket: WebSocket,
    highWaterMark: number | undefined,
  ) {
    super(highWaterMark);
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('open', () => this.opened());
    socket.addEventListener('message', (event: MessageEvent) => this.onMessage(event.data));
    socket.addEventListener('error', (event) => this.failed(event));
    socket.addEventListener('close', (event: CloseEvent) => this.closedWith(event.code, event.reason, event.wasClean));
    if (socket.readyState === ReadyState.Closed) this.closedWith(1006, 'socket was already closed', false);
  }

  get protocol(): string {
    return this.socket.protocol;
  }

  protected get readyState(): number {
    return this.socket.readyState;
  }

  protected get socketBufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  protected write(message: Uint8Array): void {
    // Views over a SharedArrayBuffer cannot be sent; Wisp never produces them.
    this.socket.send(message);
  }

  protected closeSocket(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  /** The standard API cannot stop reading; held messages wait in the inbox instead. */
  protected setFlowing(): void {}

  protected override onBlocked(): void {
    this.drainTimer ??= setInterval(() => this.checkDrain(), DRAIN_POLL_INTERVAL_MS);
  }

  protected override onUnblocked(): void {
    if (this.drainTimer === undefined) return;
    clearInterval(this.drainTimer);
    this.drainTimer = undefined;
  }

  private onMessage(data: unknown): void {
    if (typeof data === 'string') this.receivedText();
    else if (ArrayBuffer.isView(data)) this.received(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else if (isArrayBuffer(data)) this.received(new Uint8Array(data));
    else {
      // A Blob means someone changed binaryType; it can only be read asynchronously, which
      // would break ordering, so treat it as the broken transport it is.
      this.failed(data, 'WebSocket delivered a non-ArrayBuffer binary message (binaryType changed?)');
      this.close(1011, 'unexpected message type');
    }
  }
}

/** `instanceof ArrayBuffer` fails across realms (iframes, test sandboxes); the tag does not. */
function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return value instanceof ArrayBuffer || Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}
