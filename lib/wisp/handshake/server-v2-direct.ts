import { Observable, Subscription, type Observer, type OperatorFunction, type Subscriber } from '../../rx.js';
import { WispError } from '../../errors.js';
import { CloseReason } from '../packet/close-reason.js';
import { encodeContinue } from '../packet/encode.js';
import { PacketType, type Packet } from '../packet/types.js';
import { HandshakeContext } from './context.js';
import { granted } from './grant.js';
import { negotiate, serverInfo } from './read-client-info.js';
import type { HandshakeResult } from './result.js';
import type { ServerV2Options } from './server-v2-options.js';
import { MAX_EARLY_PACKETS, all, describe, refusalError } from './steps.js';

/**
 * The v2 server handshake when no extension authenticates: every `authenticateWith` stage
 * would pass the negotiation on unchanged, so `readClientInfo` and `grant` are done here in
 * one operator (the same checks, packets and errors) without the stage pipeline, its Subject
 * and a subscriber per stage: an accepted connection pays for them in CPU, and a gateway
 * without a password or key accepts most. See docs/architecture.md, "Accept CPU".
 */
export function serverHandshakeDirect(options: ServerV2Options): OperatorFunction<Packet, Packet | HandshakeResult> {
  return (source$) =>
    new Observable<Packet | HandshakeResult>((subscriber) => {
      const handshake = new DirectHandshake(subscriber, options);
      // An Observer that is a Subscription subscribes as it is; the source's teardown is added to it.
      source$.subscribe(handshake); // eslint-disable-line rxjs-x/no-ignored-subscription -- it is `handshake`, returned below
      return handshake;
    });
}

/** One subscription: the observer of the connection's packets, its handshake state and its teardown. */
class DirectHandshake extends Subscription implements Observer<Packet> {
  /** `announcing` until INFO is sent, `info` until the client's INFO is granted, then `done`. */
  private state: 'announcing' | 'info' | 'done' = 'announcing';
  /** Packets that came while announcing (an extension's metadata was a Promise). */
  private held: Packet[] | undefined;
  private context: HandshakeContext | undefined;
  /** Until the handshake is over (a connection keeps only what it needs). */
  private options: ServerV2Options | undefined;

  constructor(
    private readonly subscriber: Subscriber<Packet | HandshakeResult>,
    options: ServerV2Options,
  ) {
    super();
    this.options = options;
    const context = (this.context = new HandshakeContext({ timeoutMs: options.timeoutMs, scheduler: options.scheduler, send: options.send, refuseOverflow: true }, (error) => this.failed(error)));
    context.await(all(options.extensions.map((e) => e.encodeMetadata())), (metadata) => this.announce(metadata));
    context.arm("the client's INFO");
  }

  override unsubscribe(): void {
    if (this.closed) return;
    this.context?.end();
    this.context = this.options = this.held = undefined;
    super.unsubscribe();
  }

  next(packet: Packet): void {
    if (this.state === 'done') return this.subscriber.next(packet);
    try {
      this.read(packet);
    } catch (error) {
      this.context?.fail(error);
    }
  }

  error(error: unknown): void {
    if (this.state === 'done') this.subscriber.error(error);
    else this.context?.fail(error);
  }

  complete(): void {
    if (this.state === 'done') this.subscriber.complete();
    else this.context?.fail(new WispError('HandshakeFailed', 'the connection ended during the handshake'));
  }

  private announce(metadata: readonly Uint8Array[]): void {
    const { context, options } = this;
    if (context === undefined || options === undefined) return;
    context.send(serverInfo(options.extensions, metadata));
    this.state = 'info';
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) for (const packet of held) this.next(packet);
  }

  private read(packet: Packet): void {
    const { context, options } = this;
    if (context === undefined || options === undefined) return; // failed: nothing more goes on
    if (this.state === 'announcing') {
      if ((this.held ??= []).push(packet) > MAX_EARLY_PACKETS) context.overflow();
      return;
    }
    const stream0 = packet.streamId === 0 && !('extension' in packet);
    if (stream0 && packet.type === PacketType.Info) {
      const negotiation = negotiate(context, packet, options.extensions, options.requiredExtensions ?? []);
      if (negotiation === undefined) return;
      context.send(encodeContinue(0, options.bufferSize));
      context.end();
      this.state = 'done';
      this.context = this.options = undefined;
      return this.subscriber.next(granted(negotiation, options.bufferSize));
    }
    if (stream0 && packet.type === PacketType.Close) return context.fail(refusalError(packet.reason, 'client'));
    context.refuse(CloseReason.InvalidInfo, new WispError('HandshakeFailed', `expected the client's INFO, got ${describe(packet)}`));
  }

  private failed(error: unknown): void {
    this.context = this.options = this.held = undefined;
    this.subscriber.error(error);
  }
}
