/**
 * `SmuxSession`: one smux connection (xtaci/smux v1 or v2) over any byte-stream
 * {@link Transport}, on the protocol-neutral core's `MuxSession`. Both sides open
 * streams; the streams are the same {@link MuxStream} as Wisp's.
 * @packageDocumentation
 */
import type { Observable } from '../rx.js';
import { MuxSession } from '../session.js';
import type { MuxDebugState } from '../core/debug-state.js';
import type { MuxEnd } from '../core/settings.js';
import type { WispError } from '../errors.js';
import type { Role } from '../core/protocol.js';
import type { MuxStream } from '../stream/mux-stream.js';
import type { Transport } from '../transport/transport.js';
import { resolveSmuxConfig, type ResolvedSmuxConfig, type SmuxConfig } from './config.js';
import { smuxProtocol, smuxSettings } from './protocol.js';
import { SmuxReason } from './wire.js';

/** Options of {@link SmuxSession.close}. */
export interface SmuxCloseOptions {
  /** How long open streams may go on before they are cut. Default 5,000 ms; 0 closes at once. */
  readonly drainMs?: number;
}

/**
 * One smux session. There is no handshake, so `client()` and `server()` resolve at once
 * (they differ in the ids they hand out: client 3, 5, 7 …, server 2, 4, 6 …, as Go).
 *
 * - `open()` sends SYN and returns the stream at once; data may follow straight away.
 * - `end()` on a stream sends FIN after its pending writes (half-close); the peer's FIN
 *   completes `data$` after what was received, and our write side stays open.
 * - `close()`/`abort()` on a stream send FIN too: smux has no RST. The peer learns of a
 *   reset only as an end.
 * - v1 has no per-stream window: a reader that does not read holds up the whole session
 *   once `maxReceiveBuffer` bytes wait (reading the transport pauses). v2 adds per-stream
 *   windows (UPD), enforced on receive: a peer that overruns one has that stream cut
 *   (`Throttled` on `errors$`, reason {@link SmuxReason.Overrun}).
 * - Bad frames (another version, an unknown command, a payload on SYN/FIN/NOP, UPD in v1)
 *   are reported on `errors$` and end the session (`closed$` with reason `Error`).
 */
export class SmuxSession {
  private constructor(
    private readonly session: MuxSession,
    /** The config in force, Go's defaults filled in. */
    readonly config: ResolvedSmuxConfig,
    readonly role: Role,
  ) {}

  /** Starts the client end of a session on `transport`. Rejects with `InvalidArgument` for a bad config. */
  static client(transport: Transport, config?: SmuxConfig): Promise<SmuxSession> {
    return SmuxSession.start('client', transport, config);
  }

  /** Starts the server end of a session on `transport`. Rejects with `InvalidArgument` for a bad config. */
  static server(transport: Transport, config?: SmuxConfig): Promise<SmuxSession> {
    return SmuxSession.start('server', transport, config);
  }

  private static async start(role: Role, transport: Transport, config: SmuxConfig = {}): Promise<SmuxSession> {
    const resolved = resolveSmuxConfig(config);
    const session = await MuxSession.start(transport, smuxProtocol(role, resolved), smuxSettings(role, resolved));
    return new SmuxSession(session, resolved, role);
  }

  /** Streams the peer opened (they wait, bounded by `maxStreams`, for the first subscriber). Completes when the session ends. */
  get streams$(): Observable<MuxStream> {
    return this.session.streams$;
  }

  /** Emits once when the session has ended (`reason`, or `error` for a transport failure or keepalive timeout), then completes. */
  get closed$(): Observable<MuxEnd> {
    return this.session.closed$;
  }

  /** Protocol errors from the peer (typed; the fatal ones are followed by the session's end). */
  get errors$(): Observable<WispError> {
    return this.session.errors$;
  }

  /** Streams open now. */
  get streamCount(): number {
    return this.session.streamCount;
  }

  /** Opens a stream (SYN). Throws `MuxClosed` once the session is closing or closed. */
  open(): MuxStream {
    return this.session.open('tcp');
  }

  /**
   * Graceful close: new streams are refused (a peer's SYN gets FIN), open streams get
   * `drainMs` to finish, then the transport is closed — a byte stream half-closes and waits
   * (bounded) for the peer's end, so no unread bytes turn the close into a TCP reset.
   */
  close({ drainMs = 5000 }: SmuxCloseOptions = {}): Promise<void> {
    return this.session.close({ reason: SmuxReason.Normal, drainMs });
  }

  /** Ends the session now: every stream is cut. */
  abort(): void {
    this.session.abort(SmuxReason.Error);
  }

  /** Diagnostics only: a snapshot of what the session holds. */
  debugState(): MuxDebugState {
    return this.session.debugState();
  }
}
