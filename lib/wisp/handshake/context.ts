import type { SchedulerLike, Subscription } from '../../rx.js';
import { WispError } from '../../errors.js';
import { DeadlineQueue, type DeadlineOwner } from '../../core/deadline-queue.js';
import { CloseReason } from '../packet/close-reason.js';
import { encodeClose } from '../packet/encode.js';
import { settle, withReason } from './steps.js';

/** Options every v2 handshake stage shares. */
export interface HandshakeContextOptions {
  /** Time allowed for each step. */
  readonly timeoutMs: number;
  readonly scheduler?: SchedulerLike;
  /** Sends an encoded packet to the peer. */
  readonly send: (packet: Uint8Array) => void;
  /** Server: too many early packets refuse the connection with Throttled; a client just fails. */
  readonly refuseOverflow: boolean;
}

/**
 * What the stages of one handshake share (one per subscription): the way to send, the step
 * timer, the one way to fail, and the way to wait for an extension's answer. Once the
 * handshake failed or was torn down, nothing more is sent and no late answer goes on.
 */
export class HandshakeContext implements DeadlineOwner {
  /** The step timer on the given scheduler (tests, custom schedulers). */
  private timer: Subscription | undefined;
  /**
   * Without a scheduler (what a gateway runs) the step deadline waits in the shared
   * {@link DeadlineQueue} of its timeout: no timer per handshake. A later step moves it.
   */
  private queue: DeadlineQueue | undefined;
  /** @internal {@link DeadlineOwner} */
  deadline = 0;
  /** @internal {@link DeadlineOwner} */
  deadlineSlot = 0;
  private waitingFor = '';
  private over = false;

  constructor(
    private readonly options: HandshakeContextOptions,
    /** Ends the handshake with an error (the phase errors its subscriber). */
    private readonly onFail: (error: unknown) => void,
    /** Runs after every asynchronous step (so the phase can drop its stages once settled). */
    private readonly afterStep: () => void = () => {},
  ) {}

  send(packet: Uint8Array): void {
    if (!this.over) this.options.send(packet);
  }

  /** (Re)starts the step timer for a step described by `waitingFor`. */
  arm(waitingFor: string): void {
    if (this.over) return;
    this.waitingFor = waitingFor;
    const { timeoutMs, scheduler } = this.options;
    if (scheduler) {
      this.timer?.unsubscribe();
      this.timer = scheduler.schedule(() => this.timedOut(), timeoutMs);
    } else (this.queue ??= DeadlineQueue.of(timeoutMs)).set(this);
  }

  /** @internal The step's deadline passed. */
  deadlinePassed(): void {
    this.timedOut();
  }

  private timedOut(): void {
    this.fail(new WispError('HandshakeTimeout', `handshake step timed out after ${this.options.timeoutMs} ms: ${this.waitingFor}`));
  }

  /** Stops the step timer, and makes every later call a no-op (the handshake is over). */
  end(): void {
    this.over = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.queue?.clear(this);
  }

  fail(error: unknown): void {
    if (this.over) return;
    this.end();
    this.onFail(error);
  }

  /** Sends CLOSE(0, reason) and fails with `error`, carrying that reason. */
  refuse(reason: number, error: WispError): void {
    this.send(encodeClose(0, reason));
    this.fail(withReason(error, reason));
  }

  /** More early packets than a stage may hold. */
  overflow(): void {
    const error = new WispError('HandshakeFailed', 'too many packets during the handshake');
    if (this.options.refuseOverflow) this.refuse(CloseReason.Throttled, error);
    else this.fail(error);
  }

  /**
   * Runs `next` with `value` once it settles — at once when it is a plain value — unless the
   * handshake is over by then; a rejection fails the handshake (or goes to `onError`).
   */
  await<T>(value: T | PromiseLike<T>, next: (v: T) => void, onError: (e: unknown) => void = (e) => this.fail(e)): void {
    let sync = true;
    settle(
      value,
      (v) => {
        if (this.over) return;
        next(v);
        if (!sync) this.afterStep();
      },
      (e) => {
        if (!this.over) onError(e);
      },
    );
    sync = false;
  }
}
