import { Observable, ReplaySubject, firstValueFrom } from '../rx.js';
import { WispError } from '../errors.js';
import type { ProtocolExtension } from './extensions/extension.js';
import { clientHandshakeV1 } from './handshake/v1.js';
import { clientHandshakeV2 } from './handshake/client-v2.js';
import { isMotdExtension } from './extensions/motd.js';
import { motd } from './extensions/motd.js';
import { streamConfirmation } from './extensions/stream-confirmation.js';
import { udp } from './extensions/udp.js';
import { ExtensionId } from './extensions/ids.js';
import { WISP_V2_PROTOCOL, instantiate } from './negotiated.js';
import type { HandshakeResult } from './handshake/result.js';
import { CloseReason } from './packet/close-reason.js';
import { defaultConnector } from '../transport/default-connector.js';
import type { Transport, TransportConnector } from '../transport/transport.js';
import type { MuxActor, MuxEnd } from '../core/actor.js';
import type { MuxDebugState } from '../core/debug-state.js';
import { runConnection } from '../core/connection.js';
import { wispProtocol } from './protocol.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_PAYLOAD,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_PACKETS,
  type MuxOptions,
} from './options.js';
import { MuxStream } from '../stream/mux-stream.js';
import type { StreamKind } from '../core/stream-record.js';

/**
 * Opens the transport, offering v2 through the subprotocol. A server that ignores the offer
 * fails the upgrade in strict clients, so like wisp-js we then retry once without it (the
 * handshake then finds a v1 server).
 */
async function open(url: string, v2: boolean, connector: TransportConnector): Promise<Transport> {
  if (!v2) return connector(url, []);
  try {
    return await connector(url, [WISP_V2_PROTOCOL]);
  } catch (error) {
    if (!(error instanceof WispError) || error.code !== 'TransportError') throw error;
    return connector(url, []);
  }
}

/** Options for {@link ClientMux.connect}. */
export interface ClientMuxOptions extends MuxOptions {
  /**
   * Offer Wisp v2 (default true): sends the `wisp-v2` subprotocol and runs the v2 handshake,
   * falling back to v1 (`downgraded`) when the server answers as v1. Extensions default to
   * UDP, MOTD and stream-open confirmation.
   */
  readonly v2?: boolean;
  /** Opens the transport for a URL (default: `ws` in Node via `wisp-rx/node`, else WebSocket). */
  readonly connector?: TransportConnector;
}

/** Options for {@link ClientMux.open}. */
export interface OpenOptions {
  /**
   * Resolve only once the server confirms the stream is connected (stream-open confirmation
   * extension), rejecting with the server's close reason otherwise. Without the extension in
   * force this resolves at once.
   */
  readonly awaitConfirmation?: boolean;
}

/**
 * The client end of a Wisp connection: opens TCP and UDP streams over one transport.
 *
 * ```ts
 * const mux = await ClientMux.connect('ws://127.0.0.1:4000/');
 * const stream = await mux.open('tcp', 'example.com', 80);
 * ```
 */
export class ClientMux {
  private readonly endSubject = new ReplaySubject<MuxEnd>(1);

  /** Emits once when the connection has ended (with the reason or error). */
  readonly closed$: Observable<MuxEnd> = this.endSubject.asObservable();

  private constructor(
    private readonly actor: MuxActor,
    private readonly handshake: HandshakeResult,
    /** The transport this connection runs on. */
    readonly transport: Transport,
    private readonly reader: () => { readonly closed: boolean } | undefined,
  ) {
    // eslint-disable-next-line rxjs-x/no-ignored-subscription -- end$ emits once and completes when the actor ends; this ends with it
    actor.end$.subscribe(this.endSubject);
  }

  /**
   * Connects and completes the handshake. `target` is a Wisp URL (ending in `/`) or an
   * already-open {@link Transport}. Rejects with a `WispError` (`HandshakeTimeout`,
   * `HandshakeFailed`, `ConnectionClosedByPeer`, `TransportError`, …).
   */
  static async connect(target: string | Transport, options: ClientMuxOptions = {}): Promise<ClientMux> {
    const v2 = options.v2 !== false;
    const transport = typeof target === 'string' ? await open(target, v2, options.connector ?? defaultConnector()) : target;
    const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const scheduler = options.scheduler ? { scheduler: options.scheduler } : {};
    const extensions = v2 ? instantiate(options.extensions ?? [udp(), motd(), streamConfirmation()], 'client') : [];
    const protocol = wispProtocol('client', (send) =>
      v2
        ? clientHandshakeV2({ timeoutMs, ...scheduler, extensions, requiredExtensions: options.requiredExtensions ?? [], send })
        : clientHandshakeV1({ timeoutMs, ...scheduler }),
      extensions,
    );
    return new Promise<ClientMux>((resolve, reject) => {
      const reader = runConnection(
        transport,
        protocol,
        (result) => ({
          role: 'client',
          maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
          maxQueuedPackets: options.maxQueuedPackets ?? DEFAULT_MAX_QUEUED_PACKETS,
          maxQueuedDatagrams: result.bufferSize,
          maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
          ...(options.maxOutputBacklog === undefined ? {} : { maxOutputBacklog: options.maxOutputBacklog }),
          ...(options.outputStallMs === undefined ? {} : { outputStallMs: options.outputStallMs }),
          ...(options.closeDeadlineMs === undefined ? {} : { closeDeadlineMs: options.closeDeadlineMs }),
        ...(options.writeBufferBytes === undefined ? {} : { writeBufferBytes: options.writeBufferBytes }),
          ...scheduler,
          maxStreams: Infinity,
        }),
        {
          ready: (result, actor) => resolve(new ClientMux(actor, result, transport, () => reader)),
          failed: reject,
        },
      );
    });
  }

  /** Protocol version in force. */
  get version(): { readonly major: number; readonly minor: number } {
    return this.handshake.version;
  }

  /** True when v2 was offered and the server answered as v1. */
  get downgraded(): boolean {
    return this.handshake.downgraded;
  }

  /** Ids of the extensions in force. */
  get extensionIds(): number[] {
    return this.handshake.extensions.map((e) => e.id);
  }

  /** This side's instance of an extension in force, if any. */
  extension<T extends ProtocolExtension = ProtocolExtension>(id: number): T | undefined {
    return this.handshake.extensions.find((e) => e.id === id) as T | undefined;
  }

  /** The server's message of the day (MOTD extension), if it sent one. */
  get motd(): string | undefined {
    const extension = this.extension(ExtensionId.Motd);
    return extension && isMotdExtension(extension) ? extension.message : undefined;
  }

  /** Per-stream credit the server announced, in packets. */
  get bufferSize(): number {
    return this.handshake.bufferSize;
  }

  /** Streams currently open. */
  get streamCount(): number {
    return this.actor.streamCount;
  }

  /** Non-fatal protocol errors (malformed or unexpected packets from the server). */
  get errors$(): Observable<WispError> {
    return this.actor.protocolErrors$;
  }

  /**
   * Opens a stream to `host:port`. Data may be written at once (the server queues it while it
   * connects). Rejects with `MuxClosed` after the connection ended, `MaxStreamCountReached`
   * when no stream id is free.
   */
  async open(kind: StreamKind, host: string, port: number, options: OpenOptions = {}): Promise<MuxStream> {
    if (kind !== 'tcp' && kind !== 'udp') throw new WispError('InvalidArgument', `unknown stream kind ${String(kind)}`);
    const record = this.actor.open(kind, host, port);
    const stream = new MuxStream(this.actor, record);
    if (options.awaitConfirmation && this.actor.wire.features.openAck && !record.acknowledged) {
      await new Promise<void>((resolve, reject) => {
        record.onAcknowledged = (error) => (error ? reject(error) : resolve());
      });
    }
    return stream;
  }

  /**
   * Diagnostics only: a snapshot of what this connection holds (see `MuxDebugState`), plus
   * whether the pipeline still reads the transport. Changes nothing.
   */
  debugState(): MuxDebugState & { readonly readingTransport: boolean } {
    const reader = this.reader();
    return { ...this.actor.debugState(), readingTransport: reader !== undefined && !reader.closed };
  }

  /** Closes every stream and the connection at once (CLOSE on stream 0, then the transport). */
  async close(reason: number = CloseReason.Voluntary): Promise<void> {
    this.actor.shutdown(reason);
    await firstValueFrom(this.closed$);
  }
}
