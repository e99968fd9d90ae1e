/**
 * A yamux (version 0, hashicorp/yamux) or net-mux (version 1) session: either side opens
 * streams, each a {@link MuxStream} with credit windows both ways, half-close (FIN) and
 * reset (RST); pings with round-trip times; keepalive; GoAway on a graceful close.
 * @packageDocumentation
 */
import { map, type Observable } from '../rx.js';
import { WispError } from '../errors.js';
import type { Role } from '../core/protocol.js';
import { MuxSession, type SessionCloseOptions } from '../session.js';
import type { ActorSettings, MuxEnd } from '../core/settings.js';
import type { MuxDebugState } from '../core/debug-state.js';
import type { MuxStream } from '../stream/mux-stream.js';
import type { Transport } from '../transport/transport.js';
import type { ResolvedYamuxConfig, YamuxConfig } from './config.js';
import { yamuxProtocol } from './protocol.js';
import type { YamuxWire } from './wire.js';

/** One yamux-family connection over a byte-stream transport (TCP, TLS, a memory pair, …). */
export class YamuxSession {
  /**
   * Streams the peer opened. Taking one accepts it: its ACK goes out then, as Go and net-mux
   * send theirs from Accept. Streams nobody takes wait (up to `acceptBacklog`; further SYNs
   * get RST). Completes when the session ends.
   */
  readonly streams$: Observable<MuxStream>;
  /** Emits once when the session has ended, then completes. */
  readonly closed$: Observable<MuxEnd>;
  /** Round-trip times in ms, from keepalive pings and {@link ping}. Completes when the session ends. */
  readonly rtt$: Observable<number>;

  private constructor(
    private readonly session: MuxSession,
    private readonly wire: YamuxWire,
    /** The settings in force, defaults filled in. */
    readonly config: ResolvedYamuxConfig,
  ) {
    this.streams$ = session.streams$.pipe(
      map((stream) => {
        stream.confirm();
        return stream;
      }),
    );
    this.closed$ = session.closed$;
    this.rtt$ = wire.pings.rtt$;
    // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ completes when the session ends
    session.closed$.subscribe({
      next: (end) => wire.ended(end.error ?? new WispError('MuxClosed', `the session closed (GoAway ${end.reason ?? '-'})`, { reason: end.reason })),
      error: (error: unknown) => wire.ended(new WispError('MuxClosed', `the session failed: ${String(error)}`, { cause: error })),
    });
  }

  /** Starts the client side (odd stream ids) on `transport`. */
  static client(transport: Transport, config?: YamuxConfig): Promise<YamuxSession> {
    return YamuxSession.start('client', transport, config);
  }

  /** Starts the server side (even stream ids) on `transport`. */
  static server(transport: Transport, config?: YamuxConfig): Promise<YamuxSession> {
    return YamuxSession.start('server', transport, config);
  }

  private static async start(role: Role, transport: Transport, config: YamuxConfig = {}): Promise<YamuxSession> {
    const protocol = yamuxProtocol(role, config);
    const resolved = protocol.config;
    const settings: ActorSettings = {
      role,
      maxPayload: resolved.maxFrame,
      maxQueuedPackets: undefined,
      maxQueuedDatagrams: 1,
      maxQueuedBytes: resolved.maxQueuedBytes,
      maxStreams: resolved.maxStreams,
      closeDeadlineMs: resolved.closeDeadlineMs,
      writeBufferBytes: resolved.writeBufferBytes,
      keepalive: resolved.keepalive,
      scheduler: resolved.scheduler,
    };
    const session = await MuxSession.start(transport, protocol, settings);
    return new YamuxSession(session, protocol.instance as YamuxWire, resolved);
  }

  /** 0 for hashicorp/yamux, 1 for net-mux. */
  get version(): 0 | 1 {
    return this.config.version;
  }

  /** Non-fatal and fatal protocol errors of the peer (typed: `code`, `reason` = GoAway code where one went out). */
  get errors$(): Observable<WispError> {
    return this.session.errors$;
  }

  /** Streams open now. */
  get streamCount(): number {
    return this.session.streamCount;
  }

  /** Opens this side sent that the peer has not acknowledged yet. */
  get pendingOpens(): number {
    return this.wire.opens.pending;
  }

  /**
   * Opens a stream. Version 0 does not wait for the peer's ACK (writes may start at once),
   * but waits while `acceptBacklog` opens are un-ACKed; version 1 resolves once the ACK came,
   * and rejects with `HandshakeTimeout` (the stream reset) after `openTimeoutMs`.
   */
  open(): Promise<MuxStream> {
    return new Promise((resolve, reject) => {
      this.wire.opens.whenRoom(() => {
        let stream: MuxStream;
        try {
          stream = this.session.open();
        } catch (error) {
          return reject(error);
        }
        if (this.config.version === 0) return resolve(stream);
        this.wire.opens.acknowledgement(stream.id).then(() => resolve(stream), reject);
      }, reject);
    });
  }

  /** Sends a Ping and resolves with the round-trip time in ms; `KeepaliveTimeout` after `pingTimeoutMs`. */
  ping(): Promise<number> {
    return this.wire.requestPing();
  }

  /**
   * Graceful close: GoAway(Normal) now (new streams refused both ways), open streams may
   * finish within `drainMs` (default 5 s), then the session ends. A net-mux peer tears its
   * side down at once on GoAway, so with version 1 the drain is as short as the peer makes it.
   */
  close(options?: SessionCloseOptions): Promise<void> {
    return this.session.close(options);
  }

  /** Ends the session now with GoAway(`reason`, default InternalError): every stream is cut. */
  abort(reason?: number): void {
    this.session.abort(reason);
  }

  /** Diagnostics only: a snapshot of what the session holds. */
  debugState(): MuxDebugState {
    return this.session.debugState();
  }
}
