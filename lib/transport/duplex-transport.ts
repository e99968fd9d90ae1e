/**
 * A byte-stream transport (`framing: 'bytes'`) over a Node `Duplex`: a TCP socket, a TLS
 * socket, or any other duplex stream. The carrier for protocols framed inside the bytes
 * (smux, yamux), which cut `messages$` into frames with the `frames` operator. Node only.
 * @packageDocumentation
 */
import * as net from 'node:net';
import type * as stream from 'node:stream';
import * as tls from 'node:tls';
import { WispError } from '../errors.js';
import { ReadyState, SocketTransport } from './socket-transport.js';
import type { Transport } from './transport.js';

/** Options for {@link duplexTransport}. */
export interface DuplexTransportOptions {
  /** Outbound bytes queued in the stream above which `send` returns false. Default `DEFAULT_HIGH_WATER_MARK`. */
  readonly highWaterMark?: number;
  /**
   * After `close()` ends our side (or the peer ended theirs), how long to wait for the other
   * side to finish before destroying the stream. Default {@link DEFAULT_CLOSE_DEADLINE_MS}.
   */
  readonly closeDeadlineMs?: number;
}

/** Options for {@link connectTcp}. */
export interface ConnectTcpOptions extends DuplexTransportOptions {
  /** Give up connecting after this long (`TransportError`). Default 10,000 ms. */
  readonly timeoutMs?: number;
}

/**
 * Options for {@link connectTls}: Node's `tls.connect` options (`host`, `port`, `ca`,
 * `servername`, …) plus the transport's own. A type, not an interface, so the API reference
 * links to Node's options instead of copying their docs.
 */
export type ConnectTlsOptions = tls.ConnectionOptions & ConnectTcpOptions;

/** Default {@link DuplexTransportOptions.closeDeadlineMs}. */
export const DEFAULT_CLOSE_DEADLINE_MS = 2000;

/**
 * Socket errors that mean the peer (or the network) dropped the connection: reported as an
 * abnormal close (`TransportClosed`), as a WebSocket without a close frame would be, not as
 * a fault of this end.
 */
const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

/**
 * Wraps a duplex stream (connected or still connecting) as a byte-stream {@link Transport}.
 *
 * - Inbound: `messages$` emits the chunks as read, as zero-copy `Uint8Array` views (not
 *   `Buffer`s). Until it is subscribed, and while paused, the stream itself is paused, so a
 *   TCP peer is slowed by the closed receive window; what was already read is held, never
 *   dropped. It completes on the peer's end (FIN) once the stream has closed, and errors
 *   with `TransportClosed` on a reset or a destroy before the end, `TransportError` (with
 *   the cause) on another stream error.
 * - Outbound: `send` writes the caller's bytes without copying; what one turn of the event
 *   loop sends is corked into one `writev`. It returns false once the stream's
 *   `writableLength` is over `highWaterMark` (or many small writes are outstanding), and
 *   `drain$` fires when that falls to half the mark (write callbacks and `'drain'`, no timers).
 * - Close: `close()` ends our side after the queued writes (a TCP half-close), waits for the
 *   peer's end for at most `closeDeadlineMs`, then destroys. The peer's end is answered the
 *   same way. `closed$` reports `{ code: 1000, clean: true }` when both ends finished, else
 *   `{ code: 1006, clean: false }` with what happened in `reason`. Byte streams carry no close
 *   codes: `close(code, reason)` ignores both. `protocol` is `''`.
 *
 * Call it synchronously where the stream is created or accepted, so no event goes unobserved.
 */
export function duplexTransport(duplex: stream.Duplex, options: DuplexTransportOptions = {}): Transport {
  return new DuplexTransport(duplex, options);
}

/** Opens a TCP connection and resolves with its {@link duplexTransport} once connected; `TransportError` on failure or timeout. */
export function connectTcp(host: string, port: number, options: ConnectTcpOptions = {}): Promise<Transport> {
  return whenConnected(net.connect({ host, port }), 'connect', `tcp://${host}:${port}`, options);
}

/**
 * Opens a TLS connection and resolves with its {@link duplexTransport} once the handshake is
 * done (the certificate checked as `tls.connect` does); `TransportError` on failure or timeout.
 */
export function connectTls(options: ConnectTlsOptions): Promise<Transport> {
  // Our options stay out of tls.connect: `highWaterMark` would resize the socket's own buffers.
  const { highWaterMark, closeDeadlineMs, timeoutMs, ...tlsOptions } = options;
  const where = `tls://${options.host ?? 'localhost'}:${options.port ?? 443}`;
  return whenConnected(tls.connect(tlsOptions), 'secureConnect', where, { highWaterMark, closeDeadlineMs, timeoutMs });
}

function whenConnected(socket: net.Socket, ready: 'connect' | 'secureConnect', where: string, options: ConnectTcpOptions): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const ms = options.timeoutMs ?? 10_000;
    const fail = (cause: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new WispError('TransportError', `cannot connect to ${where}: ${cause.message}`, { cause }));
    };
    const timer = setTimeout(() => fail(new Error(`no connection within ${ms} ms`)), ms);
    socket.once('error', fail);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(duplexTransport(socket, options));
    });
  });
}

class DuplexTransport extends SocketTransport {
  readonly framing = 'bytes' as const;
  private readonly deadlineMs: number;
  /** The peer ended its side (FIN): every byte it sent has been read. */
  private sawEnd = false;
  /** Why the stream ended early (an error, or a deadline we destroyed it at): `closed$`'s reason. */
  private cutShort: string | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;
  private corked = false;
  // One shared function for every write callback: no closure per write, and Node batches
  // consecutive after-write callbacks when they are the same function.
  private readonly onWritten = (): void => {
    this.pendingMessages--;
    this.checkDrain();
  };
  private readonly uncork = (): void => {
    this.corked = false;
    this.duplex.uncork();
  };

  constructor(
    private readonly duplex: stream.Duplex,
    options: DuplexTransportOptions,
  ) {
    super(options.highWaterMark);
    const deadline = options.closeDeadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS;
    if (!Number.isFinite(deadline) || deadline < 0) {
      throw new WispError('InvalidArgument', `closeDeadlineMs must be a non-negative number, got ${deadline}`);
    }
    this.deadlineMs = deadline;
    // The mux batches per turn itself (see corkForThisTurn): Nagle would only add latency.
    if (duplex instanceof net.Socket) duplex.setNoDelay(true);
    duplex.on('data', (chunk: unknown) => this.onData(chunk));
    duplex.on('drain', () => this.checkDrain());
    duplex.on('end', () => this.onEnd());
    duplex.on('error', (error: Error) => this.onError(error));
    duplex.on('close', () => this.onClose());
    if (duplex.destroyed) this.closedWith(1006, 'the stream was already destroyed', false);
    else {
      this.setFlowing(this.flowing);
      // A half-open stream whose peer had ended before we were handed it: its 'end' is past.
      if (duplex.readableEnded) this.onEnd();
    }
  }

  get protocol(): string {
    return '';
  }

  protected get readyState(): number {
    // A connecting socket counts as open: Node queues writes until it connects.
    if (this.duplex.destroyed) return ReadyState.Closed;
    return this.duplex.writable ? ReadyState.Open : ReadyState.Closing;
  }

  protected get socketBufferedAmount(): number {
    return this.duplex.writableLength;
  }

  sendSplit(head: Uint8Array, body: Uint8Array): boolean {
    return this.sendParts(head, body);
  }

  protected write(message: Uint8Array): void {
    if (message.byteLength === 0) return; // nothing to say on a byte stream
    this.corkForThisTurn();
    this.pendingMessages++;
    // A Uint8Array is wrapped as a Buffer over the same memory by Writable: no copy.
    this.duplex.write(message, this.onWritten);
  }

  protected override writeSplit(head: Uint8Array, body: Uint8Array): void {
    this.write(head);
    this.write(body);
  }

  /**
   * Corks the stream for the rest of this turn: every packet the mux produces in one go
   * leaves in one `writev` instead of one syscall each. Corks nest, and `end()` uncorks.
   */
  private corkForThisTurn(): void {
    if (this.corked) return;
    this.corked = true;
    this.duplex.cork();
    queueMicrotask(this.uncork);
  }

  protected closeSocket(): void {
    // No close codes on a byte stream: end after what was written (FIN) and give the peer a
    // bounded time to end too.
    this.duplex.end();
    this.armDeadline(`the peer did not end within ${this.deadlineMs} ms of our end`);
  }

  protected setFlowing(flowing: boolean): void {
    if (flowing) this.duplex.resume();
    else if (!this.duplex.destroyed) this.duplex.pause();
  }

  private onData(chunk: unknown): void {
    if (chunk instanceof Uint8Array) this.received(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    else {
      // A string means someone set an encoding on the stream: the bytes are gone.
      this.failed(undefined, `the stream delivered a ${typeof chunk} instead of bytes (setEncoding called?)`);
      this.duplex.destroy();
    }
  }

  private onEnd(): void {
    this.sawEnd = true;
    // The connection is done once the peer is: answer its FIN with ours after our queued
    // writes, but do not wait without bound for a peer that stopped reading.
    this.duplex.end();
    this.armDeadline(`our writes did not finish within ${this.deadlineMs} ms of the peer's end`);
  }

  private onError(error: Error): void {
    const code = (error as NodeJS.ErrnoException).code;
    const reset = code !== undefined && RESET_CODES.has(code);
    const detail = reset ? `the connection was reset (${code})` : `stream error: ${error.message}`;
    this.cutShort ??= detail;
    this.failed(error, detail, reset ? 'TransportClosed' : 'TransportError');
  }

  private onClose(): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
    if (this.sawEnd && this.cutShort === undefined) this.closedWith(1000, '', true);
    else this.closedWith(1006, this.cutShort ?? 'the stream closed before the peer ended it', false);
  }

  private armDeadline(reason: string): void {
    if (this.deadline !== undefined || this.duplex.destroyed) return;
    this.deadline = setTimeout(() => {
      this.deadline = undefined;
      this.cutShort = reason;
      this.duplex.destroy();
    }, this.deadlineMs);
    // The stream's own handle keeps the process alive while it is open; the timer need not.
    this.deadline.unref();
  }
}
