/**
 * yamux and net-mux as a {@link Protocol} for the core: frames cut by {@link yamuxLayout},
 * headers judged by the codec for the session's version, a handshake with nothing to
 * negotiate, and a {@link YamuxWire}.
 * @packageDocumentation
 */
import { Observable, catchError, concat, of, throwError, type OperatorFunction } from '../rx.js';
import { WispError } from '../errors.js';
import type { Protocol, Role } from '../core/protocol.js';
import { frames } from '../transport/frames.js';
import { isSplitMessage, type SplitMessage, type TransportMessage } from '../transport/transport.js';
import { parseHeader, yamuxLayout } from './frame.js';
import { resolveYamuxConfig, type ResolvedYamuxConfig, type YamuxConfig } from './config.js';
import { YamuxWire, type YamuxFrame } from './wire.js';

/** What the (trivial) handshake settles. */
export interface YamuxSettled {
  readonly role: Role;
}

/** A yamux {@link Protocol} that also hands out the wire it made (for the session's ping, opens and end). */
export interface YamuxProtocol extends Protocol<YamuxFrame, YamuxSettled> {
  /** The wire, once the connection made it. */
  readonly instance: YamuxWire | undefined;
  readonly config: ResolvedYamuxConfig;
}

/**
 * A frame the splitter could not cut (a Data length over the limit): passed on as a message,
 * so that the session can answer it with GoAway before the framing's error ends the input.
 */
class FramingFailure implements SplitMessage {
  readonly head = new Uint8Array(0);
  readonly body = new Uint8Array(0);
  constructor(readonly error: WispError) {}
}

/** The protocol of one yamux (version 0) or net-mux (version 1) connection. */
export function yamuxProtocol(role: Role, config: YamuxConfig = {}): YamuxProtocol {
  const resolved = resolveYamuxConfig(config);
  const version = resolved.version;
  // Version 0 peers send frames up to the window they were granted; net-mux refuses more than its max_frame_size.
  const layout = yamuxLayout(version === 0 ? Math.max(resolved.window, resolved.maxFrame) : resolved.maxFrame);
  const split = frames(layout);
  const framing: OperatorFunction<TransportMessage, TransportMessage> = (source$) =>
    split(source$).pipe(
      catchError((error: unknown) =>
        error instanceof WispError && error.code === 'PacketTooLarge' ? concat(of(new FramingFailure(error)), throwError(() => error)) : throwError(() => error),
      ),
    );
  let instance: YamuxWire | undefined;
  return {
    name: version === 0 ? 'yamux' : 'net-mux',
    config: resolved,
    get instance() {
      return instance;
    },
    framing,
    decode: (report) => (source$) =>
      new Observable<YamuxFrame>((subscriber) =>
        source$.subscribe({
          next(message) {
            if (message instanceof FramingFailure) return report(message.error, message.head);
            const head = isSplitMessage(message) ? message.head : message;
            const payload = isSplitMessage(message) ? message.body : message.subarray(12);
            const header = parseHeader(head, 0, version);
            if (header instanceof WispError) return report(header, head);
            subscriber.next({ header, payload });
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      ),
    // Nothing to negotiate: settled at once.
    handshake: () => (source$) =>
      new Observable<YamuxFrame | YamuxSettled>((subscriber) => {
        subscriber.next({ role });
        return source$.subscribe(subscriber);
      }),
    refuseHandshake: () => undefined,
    wire: (_settled, input) => (instance = new YamuxWire(input, role, resolved)),
  };
}
