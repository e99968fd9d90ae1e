import type { Observer, Subscription } from '../rx.js';
import { WispError } from '../errors.js';
import type { Protocol } from './protocol.js';
import type { Transport } from '../transport/transport.js';
import { MuxActor } from './actor.js';
import { Outbound, linkTransport } from './outbound.js';
import type { ActorSettings } from './settings.js';

/** Callbacks of {@link runConnection}. */
export interface ConnectionHooks<Settled> {
  /** The handshake finished; the actor is live. */
  ready(settled: Settled, actor: MuxActor): void;
  /** The handshake failed; the transport has been closed. */
  failed(error: WispError): void;
}

/**
 * Runs one connection: `transport.messages$.pipe(framing, decode, handshake, muxActor)`, with
 * every outbound frame (the handshake's, then the actor's) on one {@link Outbound} Subject
 * the transport drains. Returns the pipeline's subscription to the transport (for
 * diagnostics: it is closed once the transport's messages ended).
 */
export function runConnection<P, Settled>(
  transport: Transport,
  protocol: Protocol<P, Settled>,
  settings: (settled: Settled) => ActorSettings,
  hooks: ConnectionHooks<Settled>,
): Subscription {
  return new Connection(transport, { protocol, settings, hooks }).start();
}

/**
 * The pipeline's last stage and its observer in one: the `muxActor` stage (the first
 * value makes the actor, every later packet goes to it synchronously) without a Subscriber
 * of its own, and methods instead of closures — every idle connection pays for both.
 */
class Connection<P, Settled> implements Observer<P | Settled> {
  private readonly outbound = new Outbound();
  private readonly link: Subscription;
  private actor: MuxActor | undefined;
  /** Until the handshake ends: the protocol, what makes the actor, and whom to tell (then dropped, with what they hold). */
  private pending:
    | { readonly protocol: Protocol<P, Settled>; readonly settings: (settled: Settled) => ActorSettings; readonly hooks: ConnectionHooks<Settled> }
    | undefined;
  private pipeline: Subscription | undefined;

  constructor(
    private readonly transport: Transport,
    pending: Connection<P, Settled>['pending'],
  ) {
    this.pending = pending;
    this.link = linkTransport(transport, this.outbound);
  }

  start(): Subscription {
    const protocol = this.pending!.protocol;
    const pipeline = this.transport.messages$
      .pipe(
        protocol.framing,
        protocol.decode((error, bytes) => this.malformed(error, bytes)),
        protocol.handshake((frame) => this.outbound.next(frame)),
      )
      .subscribe(this);
    this.pipeline = pipeline;
    if (!this.pending && !this.actor) pipeline.unsubscribe(); // failed while subscribing
    return pipeline;
  }

  next(value: P | Settled): void {
    if (this.actor) return this.actor.receive(value);
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    const settled = value as Settled;
    this.actor = new MuxActor(this.outbound, this.transport, pending.settings(settled), (input) => pending.protocol.wire(settled, input));
    pending.hooks.ready(settled, this.actor);
  }

  error(error: unknown): void {
    if (this.actor) this.actor.inboundEnded(error);
    else this.fail(error);
  }

  complete(): void {
    if (this.actor) this.actor.inboundEnded();
    else this.fail(new WispError('HandshakeFailed', 'the connection ended during the handshake'));
  }

  private malformed(error: WispError, bytes: Uint8Array): void {
    if (this.actor) return this.actor.reportMalformed(error, bytes);
    if (!this.pending) return;
    const refusal = this.pending.protocol.refuseHandshake(error);
    if (refusal) this.outbound.next(refusal.frame); // tell the peer why before closing
    this.fail(new WispError('HandshakeFailed', `malformed packet during the handshake: ${error.message}`, { cause: error, reason: refusal?.reason }));
  }

  private fail(error: unknown): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    this.pipeline?.unsubscribe();
    this.outbound.end(1002, `${pending.protocol.name} handshake failed`);
    this.link.unsubscribe();
    pending.hooks.failed(error instanceof WispError ? error : new WispError('HandshakeFailed', String(error), { cause: error }));
  }
}
