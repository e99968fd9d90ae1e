import { Observable, ReplaySubject, Subject, firstValueFrom, timer, type Subscription } from './rx.js';
import type { WispError } from './errors.js';
import type { Protocol } from './core/protocol.js';
import type { Transport } from './transport/transport.js';
import { MuxStream } from './stream/mux-stream.js';
import type { MuxActor } from './core/actor.js';
import { runConnection } from './core/connection.js';
import type { MuxDebugState } from './core/debug-state.js';
import type { ActorSettings, MuxEnd } from './core/settings.js';
import type { StreamKind } from './core/stream-record.js';

/** Options of a session's graceful `close()` (smux, yamux). */
export interface SessionCloseOptions {
  /** Close reason, in the protocol's numbers (default: its normal close). */
  readonly reason?: number;
  /** How long open streams may go on before they are cut. Default 5,000 ms; 0 closes at once. */
  readonly drainMs?: number;
}

/**
 * One connection of a protocol where either side may open streams (smux, yamux; a test's
 * own protocol): the protocol-neutral face of the core. Streams the peer opens arrive on
 * {@link streams$}; streams this side opens come from {@link open}.
 */
export class MuxSession {
  private readonly endSubject = new ReplaySubject<MuxEnd>(1);
  private readonly incomingSubject = new Subject<MuxStream>();
  private readonly waiting: MuxStream[] = [];
  private listeners = 0;

  /** Emits once when the session has ended (with the reason or error), then completes. */
  readonly closed$: Observable<MuxEnd> = this.endSubject.asObservable();

  /**
   * Streams the peer opened. Streams that arrive while nobody is subscribed wait (bounded by
   * `maxStreams`) for the first subscriber. Completes when the session ends.
   */
  readonly streams$: Observable<MuxStream> = new Observable<MuxStream>((subscriber) => {
    this.listeners++;
    const subscription = this.incomingSubject.subscribe(subscriber);
    for (const stream of this.waiting.splice(0)) if (!stream.closed) subscriber.next(stream);
    return () => {
      this.listeners--;
      subscription.unsubscribe();
    };
  });

  private constructor(private readonly actor: MuxActor) {
    /* eslint-disable rxjs-x/no-ignored-subscription -- the actor completes these when it ends */
    actor.incoming$.subscribe({
      next: (record) => this.arrived(new MuxStream(actor, record)),
      error: () => this.incomingSubject.complete(),
      complete: () => {
        this.waiting.length = 0;
        this.incomingSubject.complete();
      },
    });
    actor.end$.subscribe(this.endSubject);
    /* eslint-enable rxjs-x/no-ignored-subscription */
  }

  /** Runs `protocol` on `transport`; resolves once its handshake is done. */
  static start<P, Settled>(transport: Transport, protocol: Protocol<P, Settled>, settings: ActorSettings): Promise<MuxSession> {
    return new Promise((resolve, reject) => {
      runConnection(transport, protocol, () => settings, {
        ready: (_settled, actor) => resolve(new MuxSession(actor)),
        failed: reject,
      });
    });
  }

  /** Non-fatal protocol errors (malformed or unexpected frames from the peer). */
  get errors$(): Observable<WispError> {
    return this.actor.protocolErrors$;
  }

  /** Streams open now. */
  get streamCount(): number {
    return this.actor.streamCount;
  }

  /** Opens a stream (`kind`, `host`, `port` only where the protocol carries them). */
  open(kind: StreamKind = 'tcp', host = '', port = 0): MuxStream {
    return new MuxStream(this.actor, this.actor.open(kind, host, port));
  }

  /**
   * Graceful close: tells the peer no new streams are welcome (GoAway where the protocol has
   * it), lets open streams finish within `drainMs`, then ends the session.
   */
  async close({ reason = this.actor.wire.reasons.normal, drainMs = 5000 }: SessionCloseOptions = {}): Promise<void> {
    const actor = this.actor;
    if (!actor.isEnded) {
      actor.drain(reason);
      if (drainMs > 0 && actor.streamCount > 0) await this.drained(drainMs);
      actor.shutdown(reason);
    }
    await firstValueFrom(this.closed$);
  }

  /** Ends the session now: every stream is cut. */
  abort(reason: number = this.actor.wire.reasons.error): void {
    this.actor.shutdown(reason);
  }

  /** Diagnostics only: a snapshot of what the session holds. */
  debugState(): MuxDebugState {
    return this.actor.debugState();
  }

  private drained(drainMs: number): Promise<void> {
    return new Promise((resolve) => {
      let deadline: Subscription | undefined;
      const done = (): void => {
        deadline?.unsubscribe();
        this.actor.onStreamsEmpty = undefined;
        resolve();
      };
      this.actor.onStreamsEmpty = done;
      deadline = timer(drainMs, this.actor.scheduler).subscribe({ next: done, error: done });
      // eslint-disable-next-line rxjs-x/no-ignored-subscription -- end$ completes when the actor ends
      this.actor.end$.subscribe({ next: done, error: done, complete: done });
    });
  }

  private arrived(stream: MuxStream): void {
    if (this.listeners > 0) return this.incomingSubject.next(stream);
    this.waiting.push(stream);
    if (this.waiting.length > this.actor.settings.maxStreams) {
      const open = this.waiting.filter((s) => !s.closed);
      this.waiting.splice(0, this.waiting.length, ...open);
    }
  }
}
