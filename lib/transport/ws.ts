/**
 * Transport over the Node `ws` package (Node only): wrap a socket you already have, or
 * open a client connection with {@link connectWs}.
 * @packageDocumentation
 */
import { WebSocket, type RawData } from 'ws';
import { WispError } from '../errors.js';
import { joinBytes } from '../join-bytes.js';
import { ReadyState, SocketTransport } from './socket-transport.js';
import type { Transport, TransportMessage } from './transport.js';

/** Options for {@link wsTransport}. */
export interface WsTransportOptions {
  /** Buffered outbound bytes above which `send` returns false. Default `DEFAULT_HIGH_WATER_MARK`. */
  readonly highWaterMark?: number;
}

/** Options for {@link connectWs}. */
export interface ConnectWsOptions extends WsTransportOptions {
  /** Fail if the opening handshake (TCP, TLS and HTTP upgrade) takes longer. Default: no limit. */
  readonly handshakeTimeoutMs?: number;
  /** Extra HTTP headers for the upgrade request (e.g. `Authorization`, `Origin`). */
  readonly headers?: Record<string, string>;
  /** wss://: trusted CA certificates (PEM) instead of Node's default list. */
  readonly ca?: string | readonly string[];
  /** wss://: false accepts any server certificate (testing only). Default true. */
  readonly rejectUnauthorized?: boolean;
}

/**
 * Wraps a `ws` WebSocket (open or still connecting) as a {@link Transport}: the client end
 * of a connection, or the server end of an upgraded request.
 *
 * Inbound messages are zero-copy `Uint8Array` views of what `ws` received (plain views,
 * not `Buffer`s, so `slice()` copies as everywhere else; a view keeps its read chunk alive).
 * Until `messages$` is subscribed, and while paused, the socket is paused so the peer feels
 * backpressure; the few messages `ws` had already parsed are held, never dropped.
 * Sends made while connecting are held and sent on open. `drain$` is driven by the
 * network socket's `'drain'` event and by write callbacks, never by timers. See
 * `SocketTransport` for how closes map to completion or `TransportClosed`.
 *
 * Call it synchronously where the socket is created or accepted, so no message or error
 * event goes unobserved.
 */
export function wsTransport(socket: WebSocket, options: WsTransportOptions = {}): Transport {
  return new WsTransport(socket, options.highWaterMark);
}

/**
 * Opens a `ws` client connection offering `protocols` (permessage-deflate off: Wisp
 * payloads are mostly already compressed or encrypted) and resolves once it is open.
 * Rejects with `WispError('TransportError')` if it cannot connect (refused, non-101
 * response, handshake timeout), or `InvalidArgument` for a malformed URL or subprotocol.
 * `(url, protocols) => connectWs(url, protocols, options)` is a `TransportConnector`.
 */
export function connectWs(url: string, protocols: readonly string[], options: ConnectWsOptions = {}): Promise<Transport> {
  return new Promise<Transport>((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, [...protocols], {
        perMessageDeflate: false,
        ...(options.handshakeTimeoutMs !== undefined && { handshakeTimeout: options.handshakeTimeoutMs }),
        ...(options.headers !== undefined && { headers: options.headers }),
        ...(options.ca !== undefined && { ca: typeof options.ca === 'string' ? options.ca : [...options.ca] }),
        ...(options.rejectUnauthorized !== undefined && { rejectUnauthorized: options.rejectUnauthorized }),
      });
    } catch (cause) {
      reject(new WispError('InvalidArgument', `cannot connect to ${url}: ${String(cause)}`, { cause }));
      return;
    }
    // Wrap before it opens: the transport's listeners are then in place for the first event.
    const transport = wsTransport(socket, options);
    const settle = (error?: unknown) => {
      socket.off('open', onOpen);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (error === undefined) resolve(transport);
      else reject(new WispError('TransportError', `cannot connect to ${url}: ${describe(error)}`, { cause: error }));
    };
    const onOpen = () => settle();
    const onError = (error: Error) => settle(error);
    const onClose = (code: number) => settle(new Error(`closed before opening (${code})`));
    socket.on('open', onOpen);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

/** `ws` send options: always binary, never compressed, always a whole message. */
const SEND_OPTIONS = { binary: true, compress: false, fin: true } as const;
/** The first frame of a split message: the continuation frame that follows ends it. */
const HEAD_OPTIONS = { binary: true, compress: false, fin: false } as const;

/** The part of the network socket under a `ws` WebSocket that we listen to. */
interface NetworkSocket {
  on(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
  cork(): void;
  uncork(): void;
}

class WsTransport extends SocketTransport {
  private network: NetworkSocket | undefined;
  // One shared function for every write callback: cheaper than a closure per message,
  // and Node batches consecutive after-write callbacks when they are the same function.
  private readonly onWritten = (): void => {
    this.pendingMessages--;
    this.checkDrain();
  };
  private readonly onNetworkDrain = (): void => this.checkDrain();

  constructor(
    private readonly socket: WebSocket,
    highWaterMark: number | undefined,
  ) {
    super(highWaterMark);
    // Frames as they came: a two-frame message stays split (see SplitMessage), no join.
    socket.binaryType = 'fragments';
    (socket as OwnedSocket)[TRANSPORT] = this;
    socket.on('message', onMessage);
    socket.on('error', onError);
    socket.on('close', onClose);
    if (socket.readyState === ReadyState.Open) this.attach();
    else if (socket.readyState === ReadyState.Connecting) socket.once('open', () => this.attach());
    else if (socket.readyState === ReadyState.Closed) this.closedWith(1006, 'socket was already closed', false);
  }

  get protocol(): string {
    return this.socket.protocol;
  }

  /** @internal The socket's 'message' event. */
  socketMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) this.received(toMessage(data));
    else this.receivedText();
  }

  /** @internal The socket's 'error' event. */
  socketError(error: Error): void {
    // ws closes with 1009 when a message exceeds its maxPayload: say so by name.
    if ((error as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.failed(error, `a message exceeded the largest accepted size (1009: ${describe(error)})`, 'PacketTooLarge');
    } else this.failed(error, `WebSocket error: ${describe(error)}`);
  }

  /** @internal The socket's 'close' event. */
  socketClosed(code: number, reason: string, wasClean: boolean): void {
    this.network?.off('drain', this.onNetworkDrain);
    this.network = undefined;
    this.closedWith(code, reason, wasClean);
  }

  protected get readyState(): number {
    return this.socket.readyState;
  }

  protected get socketBufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /** Sends `head` and `body` as two frames of one message (as wisp-mux does): no join. */
  sendSplit(head: Uint8Array, body: Uint8Array): boolean {
    return this.sendParts(head, body);
  }

  protected write(message: Uint8Array): void {
    this.corkForThisTurn();
    this.pendingMessages++;
    this.socket.send(message, SEND_OPTIONS, this.onWritten);
    if (message.length < SMALL_MESSAGE && ++this.corkedSmall >= FLUSH_EVERY) this.uncork();
  }

  protected override writeSplit(head: Uint8Array, body: Uint8Array): void {
    // Nothing can come between the two sends: the message's frames stay together.
    this.corkForThisTurn();
    this.socket.send(head, HEAD_OPTIONS);
    this.pendingMessages++;
    this.socket.send(body, SEND_OPTIONS, this.onWritten);
    if (body.length < SMALL_MESSAGE && ++this.corkedSmall >= FLUSH_EVERY) this.uncork();
  }

  /**
   * Corks the network socket for the rest of this turn: every packet the mux produces in one
   * go (CONNECTs, CONTINUEs, CLOSEs, small DATA) leaves in one writev instead of one syscall
   * each. `ws` corks per frame itself; corks nest, so its uncork does not flush ours early.
   */
  private corkForThisTurn(): void {
    const network = this.network;
    if (network && !this.corked) {
      this.corked = true;
      this.corkedSmall = 0;
      network.cork();
      if (corkedThisTurn.push(this) === 1) queueMicrotask(uncorkAll);
    }
  }

  private corked = false;
  /** Small messages written since the socket was corked: past {@link FLUSH_EVERY} they go at once. */
  private corkedSmall = 0;

  /** @internal */
  uncork(): void {
    if (!this.corked) return; // flushed early in this turn, and not corked since
    this.corked = false;
    this.network?.uncork();
  }

  protected closeSocket(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  protected setFlowing(flowing: boolean): void {
    // Resume only what we paused: `ws` throws when resuming a socket whose handshake failed.
    if (flowing) {
      if (this.socket.isPaused) this.socket.resume();
    }
    // Only an open socket is paused: once a close frame has arrived `ws` must keep reading
    // to the end of the stream, or the close would hang until its timeout.
    else if (this.socket.readyState === ReadyState.Open) this.socket.pause();
  }

  /** The socket is open: hook the network socket's drain, apply the flow state, flush. */
  private attach(): void {
    this.network = (this.socket as unknown as { _socket?: NetworkSocket | null })._socket ?? undefined;
    this.network?.on('drain', this.onNetworkDrain);
    this.setFlowing(this.flowing);
    this.opened();
  }
}

/**
 * The socket's listeners are these shared functions (`this` is the socket, which knows its
 * transport), not three closures per connection.
 */
const TRANSPORT = Symbol('wisp-rx.wsTransport');
type OwnedSocket = WebSocket & { [TRANSPORT]: WsTransport; _closeFrameReceived?: boolean; _closeFrameSent?: boolean };

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as OwnedSocket)[TRANSPORT].socketMessage(data, isBinary);
}

function onError(this: WebSocket, error: Error): void {
  (this as OwnedSocket)[TRANSPORT].socketError(error);
}

/**
 * `wasClean` (close frames both sent and received) as ws's standard-style CloseEvent computes
 * it, from the same two fields: `ws` has no public getter, and its `addEventListener` would
 * add a wrapper closure per connection.
 */
function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const socket = this as OwnedSocket;
  socket[TRANSPORT].socketClosed(code, reason.toString(), socket._closeFrameReceived === true && socket._closeFrameSent === true);
}

/**
 * Transports corked in this turn: one microtask uncorks them all, rather than a microtask
 * (and a closure kept by every transport) each.
 */
let corkedThisTurn: WsTransport[] = [];
/**
 * Small messages (CONNECTs, CLOSEs, short DATA) one cork holds at most: a program that opens
 * 1,024 streams in one synchronous loop gets its first CONNECTs on the wire while it is still
 * opening the rest, and a flush stays a writev of many messages. Large DATA does not count:
 * it fills its writes already, and flushing it early would only add syscalls.
 */
const FLUSH_EVERY = 64;
const SMALL_MESSAGE = 1024;
function uncorkAll(): void {
  const corked = corkedThisTurn;
  corkedThisTurn = [];
  for (const transport of corked) transport.uncork();
}

/**
 * A received binary message, zero-copy: one frame is a view of it, two frames a
 * {@link SplitMessage} (the decoder joins them only when they are not a DATA header and its
 * payload); three or more frames are joined, the one copy.
 */
function toMessage(data: RawData): TransportMessage {
  if (!Array.isArray(data)) return ArrayBuffer.isView(data) ? view(data) : new Uint8Array(data);
  if (data.length === 1) return view(data[0]);
  if (data.length === 2) return { head: view(data[0]), body: view(data[1]) };
  return joinBytes(...data);
}

function view(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
