import { Observable, type OperatorFunction } from '../rx.js';
import type { ReceiveWindow } from '../core/protocol.js';

/**
 * Server-side flow control for one TCP stream: Wisp credit, counted in packets. The actor
 * runs it as the stream's {@link ReceiveWindow}; {@link grantContinues} is the same class as
 * an operator, for marble tests.
 *
 * A CONTINUE *replaces* the client's credit, and the server cannot see how many packets are
 * in flight when the client receives it. Granting "buffer size minus queued" at an arbitrary
 * moment (as the reference peers do) lets an honest client overrun the buffer by whatever was
 * in flight. So this window tracks bounds on the client's total permission instead:
 *
 * - `lower` — the client's permission is at least this (`received + v` when CONTINUE(v) went out);
 * - `upper` — and at most this (each CONTINUE(v) adds v to it).
 *
 * A CONTINUE is sent only once `received >= lower`, when the client may have used all of its
 * credit (so nothing granted before can still be in flight unseen), and only when at least
 * half the buffer is free (batching). With an honest client `upper == lower`, the buffer never
 * holds more than `bufferSize` packets, and a client is throttled exactly when it sends more
 * than it was granted.
 *
 * One exception, by design: the stream-open confirmation (extension 0x05) is a CONTINUE that
 * may cross DATA the client sent before it. When the client had already sent DATA, the bound
 * widens by what may have been in flight, so that stream may hold up to `2 × bufferSize - 1`
 * packets before a client is throttled. Refusing that instead would throttle honest clients
 * that start writing before the confirmation arrives.
 */
export class ReceiveCredit implements ReceiveWindow {
  private received = 0;
  private consumed = 0;
  private lower: number;
  private upper: number;
  private readonly threshold: number;

  constructor(readonly bufferSize: number) {
    this.lower = bufferSize;
    this.upper = bufferSize;
    this.threshold = Math.max(1, Math.floor(bufferSize / 2));
  }

  /** Packets received and not yet consumed. */
  get queued(): number {
    return this.received - this.consumed;
  }

  /**
   * Records one arriving DATA packet (its size does not count: Wisp credit is in packets).
   * Returns false when the client has sent more than any credit it could have held: the
   * stream must be throttled and the packet not buffered.
   */
  receive(_size?: number): boolean {
    if (this.received + 1 > this.upper) return false;
    this.received++;
    return true;
  }

  /** Records `frames` packets handed to the consumer. Returns a CONTINUE value to send now, or -1. */
  consume(frames: number, _bytes?: number): number {
    this.consumed += frames;
    return this.grant();
  }

  /** Returns a CONTINUE value to send now (and books it), or -1 when none is due. */
  grant(): number {
    if (this.received < this.lower) return -1;
    const free = this.bufferSize - this.queued;
    if (free < this.threshold) return -1;
    this.book(free);
    return free;
  }

  /**
   * The CONTINUE value that confirms a stream is open (stream-open confirmation extension):
   * it re-announces the credit the client still holds, so it grants nothing new. A client that
   * already sent DATA before the confirmation may have had packets in flight; then the bound
   * widens by that much (it is not evidence of misbehaviour).
   */
  confirmation(): number {
    const value = Math.max(0, this.lower - this.received);
    if (this.received > 0) this.upper += value;
    this.lower = this.received + value;
    return value;
  }

  private book(value: number): void {
    this.lower = this.received + value;
    this.upper += value;
  }
}

/** One step a server stream's credit sees, in the order the actor reports them. */
export type CreditEvent = 'received' | 'consumed' | 'confirmed';

/**
 * The server's CONTINUE policy as an operator: drives one {@link ReceiveCredit} exactly as the
 * actor does (`received` for a DATA packet, `consumed` for one handed to the reader,
 * `confirmed` for the open confirmation) and emits the CONTINUE values it sends; errors with
 * `'throttled'` when the client overruns its credit.
 */
export function grantContinues(bufferSize: number): OperatorFunction<CreditEvent, number> {
  return (source$) =>
    new Observable<number>((subscriber) => {
      const credit = new ReceiveCredit(bufferSize);
      return source$.subscribe({
        next(event) {
          if (event === 'received') {
            if (!credit.receive()) subscriber.error('throttled');
            return;
          }
          const value = event === 'consumed' ? credit.consume(1) : credit.confirmation();
          if (value >= 0) subscriber.next(value);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
