import { Observable, Subscription, config, type Observer, type OperatorFunction, type Subscriber } from '../../rx.js';
import { WispError } from '../../errors.js';
import { decodePacket, decodeSplitPacket } from '../packet/decode.js';
import type { Packet } from '../packet/types.js';
import { isSplitMessage, messageBytes, type TransportMessage } from '../../transport/transport.js';

/**
 * Decodes transport messages (whole or split) into packets. A malformed message is reported
 * to `onMalformed` (as one buffer) and skipped: one bad packet must not take down the other
 * streams of the connection.
 * `extensionTypes` is read on every message, so the handshake can fill it in once agreed.
 */
export function decodePackets(
  onMalformed: (error: WispError, message: Uint8Array) => void,
  extensionTypes?: ReadonlySet<number>,
): OperatorFunction<TransportMessage, Packet> {
  return (source$) =>
    new Observable<Packet>((subscriber) => {
      const decoder = new Decoder(subscriber, onMalformed, extensionTypes);
      source$.subscribe(decoder); // eslint-disable-line rxjs-x/no-ignored-subscription -- it is `decoder`, returned below
      return decoder;
    });
}

/**
 * One subscription of {@link decodePackets}: the observer of the transport's messages and
 * its teardown (a Subscription that observes is subscribed as it is: no Subscriber, no
 * closures — every connection holds one for its whole life). As a Subscriber's observer
 * would, it reports what its `next` throws as an unhandled error instead of throwing it into
 * the transport, and ignores what comes after the end.
 */
class Decoder extends Subscription implements Observer<TransportMessage> {
  private stopped = false;

  constructor(
    private readonly destination: Subscriber<Packet>,
    private readonly onMalformed: (error: WispError, message: Uint8Array) => void,
    private readonly extensionTypes: ReadonlySet<number> | undefined,
  ) {
    super();
  }

  next(message: TransportMessage): void {
    if (this.stopped) return;
    try {
      let packet: Packet;
      try {
        packet = isSplitMessage(message) ? decodeSplitPacket(message.head, message.body, this.extensionTypes) : decodePacket(message, this.extensionTypes);
      } catch (error) {
        if (!(error instanceof WispError)) throw error;
        this.onMalformed(error, messageBytes(message));
        return;
      }
      this.destination.next(packet);
    } catch (error) {
      reportUnhandled(error);
    }
  }

  error(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.destination.error(error);
  }

  complete(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.destination.complete();
  }
}

/** What RxJS does with an error its observer's callback threw: `config.onUnhandledError`, else rethrown on a timer. */
function reportUnhandled(error: unknown): void {
  setTimeout(() => {
    const report = config.onUnhandledError;
    if (report) report(error);
    else throw error;
  });
}
