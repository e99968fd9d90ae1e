/**
 * Wisp without WebSocket: each packet prefixed by its length as a u32 little-endian, over a
 * TCP or Unix socket (epoxy-server's "length-delimited" carrier). There is no subprotocol to
 * offer v2 with, so both ends run the v1 handshake. Node only.
 * @packageDocumentation
 */
import * as net from 'node:net';
import { WispError } from '../errors.js';
import { FrameSplitter, lengthPrefixLayout } from './frame-splitter.js';
import { ReadyState, SocketTransport } from './socket-transport.js';
import type { Transport } from './transport.js';

/** Options for {@link lengthDelimitedTransport}. */
export interface LengthDelimitedOptions {
  /** Buffered outbound bytes above which `send` returns false. Default `DEFAULT_HIGH_WATER_MARK`. */
  readonly highWaterMark?: number;
  /** Largest packet accepted; a larger declared length fails with `PacketTooLarge`. Default 16 MiB. */
  readonly maxPacketSize?: number;
}

/** Options for {@link connectLengthDelimited}. */
export interface ConnectLengthDelimitedOptions extends LengthDelimitedOptions {
  /** Give up connecting after this long (`TransportError`). Default 10,000 ms. */
  readonly timeoutMs?: number;
}

/** Default largest packet: the gateway's WebSocket default, for the same reason (one-packet bodies). */
export const DEFAULT_MAX_LENGTH_DELIMITED_PACKET = 16 * 1024 * 1024;

/**
 * Wraps a connected (or connecting) socket as a {@link Transport}. Reads pause the socket,
 * so backpressure reaches the peer through TCP. A clean end is the peer's FIN after whole
 * packets (close code 1000); a reset, an error or a FIN inside a packet is abnormal (1006).
 */
export function lengthDelimitedTransport(socket: net.Socket, options: LengthDelimitedOptions = {}): Transport {
  return new LengthDelimitedTransport(socket, options);
}

/**
 * Opens `tcp://HOST:PORT` or `unix:/path` (also `unix:///path`) and resolves with a
 * length-delimited transport once connected. Rejects with `InvalidArgument` for another
 * URL and `TransportError` when the connection fails or times out.
 */
export function connectLengthDelimited(url: string, options: ConnectLengthDelimitedOptions = {}): Promise<Transport> {
  let target: net.NetConnectOpts;
  try {
    target = socketTarget(url);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    const socket = net.connect(target);
    const timer = setTimeout(() => fail(new Error(`no connection within ${options.timeoutMs ?? 10_000} ms`)), options.timeoutMs ?? 10_000);
    const fail = (cause: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new WispError('TransportError', `cannot connect to ${url}: ${cause.message}`, { cause }));
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(lengthDelimitedTransport(socket, options));
    });
  });
}

/** True for the URLs {@link connectLengthDelimited} takes. */
export function isLengthDelimitedUrl(url: string): boolean {
  return url.startsWith('tcp://') || url.startsWith('unix:');
}

function socketTarget(url: string): net.NetConnectOpts {
  if (url.startsWith('unix:')) {
    const path = url.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (path.length === 0) throw new WispError('InvalidArgument', `no socket path in ${url}`);
    return { path };
  }
  const parsed = new URL(url);
  const port = Number(parsed.port);
  if (parsed.protocol !== 'tcp:' || !parsed.hostname || !Number.isInteger(port) || port < 1) {
    throw new WispError('InvalidArgument', `expected tcp://HOST:PORT or unix:/path, got ${url}`);
  }
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
}

class LengthDelimitedTransport extends SocketTransport {
  private readonly splitter: FrameSplitter;
  private sawEnd = false;

  constructor(
    private readonly socket: net.Socket,
    options: LengthDelimitedOptions,
  ) {
    super(options.highWaterMark);
    const max = options.maxPacketSize ?? DEFAULT_MAX_LENGTH_DELIMITED_PACKET;
    this.splitter = new FrameSplitter(lengthPrefixLayout(max), (_header, packet) => this.received(packet));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.checkDrain());
    socket.on('end', () => this.onEnd());
    socket.on('error', (error) => this.failed(error, `socket error: ${error.message}`));
    socket.on('close', () => this.onClose());
    if (socket.readyState === 'open') this.opened();
    else if (socket.connecting) socket.once('connect', () => this.opened());
    this.setFlowing(this.flowing);
  }

  get protocol(): string {
    return '';
  }

  protected get readyState(): number {
    if (this.socket.destroyed) return ReadyState.Closed;
    if (this.socket.connecting) return ReadyState.Connecting;
    return this.socket.writable ? ReadyState.Open : ReadyState.Closing;
  }

  protected get socketBufferedAmount(): number {
    return this.socket.writableLength;
  }

  sendSplit(head: Uint8Array, body: Uint8Array): boolean {
    return this.sendParts(head, body);
  }

  protected write(message: Uint8Array): void {
    this.writeFrame(message, undefined);
  }

  protected override writeSplit(head: Uint8Array, body: Uint8Array): void {
    this.writeFrame(head, body);
  }

  /** The length prefix and the packet's parts, corked into one writev: no join. */
  private writeFrame(head: Uint8Array, body: Uint8Array | undefined): void {
    const length = head.byteLength + (body?.byteLength ?? 0);
    const prefix = Buffer.allocUnsafe(4);
    prefix.writeUInt32LE(length, 0);
    this.socket.cork();
    this.socket.write(prefix);
    this.socket.write(head);
    if (body) this.socket.write(body);
    this.socket.uncork();
  }

  protected closeSocket(): void {
    // A byte stream has no close codes: end after what was written (FIN), and stop waiting
    // for the peer's own FIN after a while.
    this.socket.end();
    this.socket.setTimeout(5000, () => this.socket.destroy());
  }

  protected setFlowing(flowing: boolean): void {
    if (flowing) this.socket.resume();
    else if (!this.socket.destroyed) this.socket.pause();
  }

  private onData(chunk: Buffer): void {
    try {
      this.splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (error) {
      this.failed(error, (error as Error).message, 'PacketTooLarge');
      this.socket.destroy();
    }
  }

  private onEnd(): void {
    this.sawEnd = true;
    if (this.splitter.pending > 0) this.failed(undefined, `the peer ended the stream inside a packet (${this.splitter.pending} bytes)`);
    // Half-open is not Wisp's: answer the peer's FIN with ours once our writes are out.
    this.socket.end();
  }

  private onClose(): void {
    this.closedWith(this.sawEnd ? 1000 : 1006, '', this.sawEnd);
  }
}
