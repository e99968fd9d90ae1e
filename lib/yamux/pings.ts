/**
 * A session's pings: requests it sent (keepalive ticks and `ping()` calls) waiting for the
 * reply with the same opaque value, and the round-trip times they measured. Time comes from
 * the scheduler, so tests drive it in virtual time.
 * @packageDocumentation
 */
import { Subject, type Observable, type SchedulerLike, type Subscription } from '../rx.js';
import { WispError } from '../errors.js';

interface Outstanding {
  readonly sentAt: number;
  readonly settle?: (rtt: number | WispError) => void;
  readonly timer?: Subscription;
}

/** Keepalive pings nobody waits on that may be outstanding at once; older ones are forgotten. */
const MAX_UNANSWERED = 64;

export class PingTracker {
  private next = 1;
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly rttSubject = new Subject<number>();
  private ended: WispError | undefined;

  /** Every measured round-trip time, in ms (keepalive pings and `ping()`). Completes when the session ends. */
  readonly rtt$: Observable<number> = this.rttSubject.asObservable();

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly timeoutMs: number,
  ) {}

  /** A new opaque value for a keepalive ping (nobody waits on its reply; its RTT goes to rtt$). */
  keepalive(): number {
    const opaque = this.take();
    this.outstanding.set(opaque, { sentAt: this.scheduler.now() });
    if (this.outstanding.size > MAX_UNANSWERED) {
      const oldest = this.outstanding.keys().next().value as number;
      this.forget(oldest);
    }
    return opaque;
  }

  /** A ping someone waits on: `send(opaque)` sends the request; resolves with the RTT in ms, or rejects after the timeout. */
  request(send: (opaque: number) => void): Promise<number> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const opaque = this.take();
      const timer = this.scheduler.schedule(() => {
        this.outstanding.delete(opaque);
        reject(new WispError('KeepaliveTimeout', `no ping reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const settle = (rtt: number | WispError): void => (typeof rtt === 'number' ? resolve(rtt) : reject(rtt));
      this.outstanding.set(opaque, { sentAt: this.scheduler.now(), settle, timer });
      send(opaque);
    });
  }

  /** A Ping{ACK} arrived; one with an opaque value nobody sent is ignored. */
  answered(opaque: number): void {
    const entry = this.outstanding.get(opaque);
    if (!entry) return;
    this.outstanding.delete(opaque);
    entry.timer?.unsubscribe();
    const rtt = this.scheduler.now() - entry.sentAt;
    this.rttSubject.next(rtt);
    entry.settle?.(rtt);
  }

  /** The session ended: waiting pings fail with `error`, rtt$ completes. */
  end(error: WispError): void {
    if (this.ended) return;
    this.ended = error;
    for (const entry of this.outstanding.values()) {
      entry.timer?.unsubscribe();
      entry.settle?.(error);
    }
    this.outstanding.clear();
    this.rttSubject.complete();
  }

  private take(): number {
    const opaque = this.next;
    this.next = opaque >= 0xffffffff ? 1 : opaque + 1;
    return opaque;
  }

  private forget(opaque: number): void {
    const entry = this.outstanding.get(opaque);
    if (entry?.settle) return; // a waited-on ping keeps its own timeout
    this.outstanding.delete(opaque);
  }
}
