import type { Subscription } from 'rxjs';
import { WispError } from '../errors.js';
import type { Protocol } from './protocol.js';
import type { Transport } from '../transport/transport.js';
import { MuxActor } from './actor.js';
import { muxActor } from './mux-operator.js';
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
  const outbound = new Outbound();
  const link = linkTransport(transport, outbound);
  let actor: MuxActor | undefined;
  let failed = false;
  const fail = (error: unknown): void => {
    if (failed || actor) return;
    failed = true;
    pipeline?.unsubscribe();
    outbound.end(1002, `${protocol.name} handshake failed`);
    link.unsubscribe();
    hooks.failed(error instanceof WispError ? error : new WispError('HandshakeFailed', String(error), { cause: error }));
  };
  const malformed = (error: WispError, bytes: Uint8Array): void => {
    if (actor) return actor.reportMalformed(error, bytes);
    if (failed) return;
    const refusal = protocol.refuseHandshake(error);
    if (refusal) outbound.next(refusal.frame); // tell the peer why before closing
    fail(new WispError('HandshakeFailed', `malformed packet during the handshake: ${error.message}`, { cause: error, reason: refusal?.reason }));
  };
  let settledValue: Settled | undefined;
  const send = (frame: Uint8Array): void => outbound.next(frame);
  let pipeline: Subscription | undefined;
  pipeline = transport.messages$
    .pipe(
      protocol.framing,
      protocol.decode(malformed),
      protocol.handshake(send),
      muxActor<P, Settled>((settled) => {
        settledValue = settled;
        return new MuxActor(outbound, transport, settings(settled), (input) => protocol.wire(settled, input));
      }),
    )
    .subscribe({
      next(live) {
        actor = live;
        hooks.ready(settledValue as Settled, live);
      },
      error: fail,
      complete() {
        if (!actor) fail(new WispError('HandshakeFailed', 'the connection ended during the handshake'));
      },
    });
  if (failed) pipeline.unsubscribe();
  return pipeline;
}
