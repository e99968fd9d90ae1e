/**
 * One shared ClientMux that comes back when the server goes away: reconnects with
 * exponential backoff (by default 100 ms doubling to 10 s, reset on success), while callers
 * that need a connection wait a bounded time. Universal: timers and ClientMux only.
 * @module
 */
import { BehaviorSubject, type Observable } from '../rx.js';
import { WispError, isWispError } from '../errors.js';
import type { ClientMux } from '../wisp/client-mux.js';
import type { MuxEnd } from '../core/actor.js';
import type { MuxStream } from '../stream/mux-stream.js';
import type { StreamKind } from '../core/stream-record.js';

/** Options of {@link ReconnectingClientMux}. */
export interface ReconnectingClientMuxOptions {
  /** Opens a new connection (resolves once the handshake is done), e.g. `() => ClientMux.connect(url)`. */
  readonly connect: () => Promise<ClientMux>;
  /** First delay after a loss. Default 100 ms. */
  readonly minDelayMs?: number;
  /** Largest delay between attempts. Default 10,000 ms. */
  readonly maxDelayMs?: number;
  /** Each failed attempt multiplies the delay by this. Default 2. */
  readonly factor?: number;
  /**
   * Spread of each delay, from 0 (exact, the default) to 1 (anywhere from 0 to twice the
   * delay), so that many clients of one restarted server do not retry in step.
   */
  readonly jitter?: number;
  /** Default wait of {@link ReconnectingClientMux.get} and `open`. Default 10,000 ms. */
  readonly waitMs?: number;
}

/** Where a {@link ReconnectingClientMux} is; emitted by {@link ReconnectingClientMux.state$}. */
export type ReconnectState =
  | { readonly state: 'idle' }
  | { readonly state: 'connecting'; readonly attempt: number }
  | { readonly state: 'connected'; readonly mux: ClientMux; readonly reconnected: boolean }
  | { readonly state: 'backoff'; readonly attempt: number; readonly delayMs: number; readonly error: unknown }
  | { readonly state: 'closed' };

interface Waiter {
  resolve(mux: ClientMux): void;
  reject(error: Error): void;
}

/**
 * A ClientMux that is replaced when it ends. Call {@link start} once, then {@link open}
 * (or {@link get}) as often as needed; {@link close} stops it.
 *
 * @example
 * ```ts
 * const mux = new ReconnectingClientMux({ connect: () => ClientMux.connect(url) });
 * mux.state$.subscribe({ next: (s) => console.log(s.state), error: console.error });
 * await mux.start();
 * const stream = await mux.open('tcp', 'example.com', 80);
 * ```
 */
export class ReconnectingClientMux {
  private current: ClientMux | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly waitMs: number;
  private delayMs: number;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly stateSubject$ = new BehaviorSubject<ReconnectState>({ state: 'idle' });

  /** The current state, replayed to each subscriber; completes after `closed`. */
  readonly state$: Observable<ReconnectState> = this.stateSubject$.asObservable();

  constructor(private readonly options: ReconnectingClientMuxOptions) {
    this.minDelayMs = options.minDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0));
    this.waitMs = options.waitMs ?? 10_000;
    if (!(this.minDelayMs >= 0 && this.maxDelayMs >= this.minDelayMs && this.factor >= 1)) {
      throw new WispError('InvalidArgument', 'ReconnectingClientMux: need 0 <= minDelayMs <= maxDelayMs and factor >= 1');
    }
    this.delayMs = this.minDelayMs;
  }

  /** The current state (as last emitted by {@link state$}). */
  get state(): ReconnectState {
    return this.stateSubject$.value;
  }

  /** The live connection, if there is one now. */
  get mux(): ClientMux | undefined {
    return this.current;
  }

  /**
   * Makes the first connection; rejects (without retrying) when it fails, so that a wrong
   * URL or password is reported instead of retried forever.
   */
  async start(): Promise<ClientMux> {
    if (this.stopped) throw new WispError('MuxClosed', 'the reconnecting client is closed');
    this.attempts = 1;
    this.stateSubject$.next({ state: 'connecting', attempt: 1 });
    try {
      const mux = await this.options.connect();
      this.adopt(mux, false);
      return mux;
    } catch (error) {
      this.stateSubject$.next({ state: 'idle' });
      throw error;
    }
  }

  /** The live connection, or the next one if it comes within `waitMs`; rejects with `MuxClosed` otherwise. */
  get(waitMs = this.waitMs): Promise<ClientMux> {
    if (this.current) return Promise.resolve(this.current);
    if (this.stopped) return Promise.reject(new WispError('MuxClosed', 'the reconnecting client is closed'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (mux) => (clearTimeout(timer), resolve(mux)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new WispError('MuxClosed', `not connected to the server (waited ${waitMs} ms)`));
      }, waitMs);
      this.waiters.add(waiter);
    });
  }

  /**
   * Opens a stream on the live connection, waiting up to `waitMs` for one. A connection that
   * ends between the wait and the open is retried once on the next.
   */
  async open(kind: StreamKind, host: string, port: number, waitMs = this.waitMs): Promise<MuxStream> {
    try {
      return await (await this.get(waitMs)).open(kind, host, port);
    } catch (error) {
      if (!isWispError(error, 'MuxClosed') || this.stopped) throw error;
      return (await this.get(waitMs)).open(kind, host, port);
    }
  }

  /** Stops reconnecting, fails the waiters, and closes the live connection. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    for (const waiter of this.waiters) waiter.reject(new WispError('MuxClosed', 'the reconnecting client is closed'));
    this.waiters.clear();
    const mux = this.current;
    this.current = undefined;
    this.stateSubject$.next({ state: 'closed' });
    this.stateSubject$.complete();
    await mux?.close();
  }

  private adopt(mux: ClientMux, reconnected: boolean): void {
    this.current = mux;
    this.delayMs = this.minDelayMs;
    this.attempts = 0;
    this.stateSubject$.next({ state: 'connected', mux, reconnected });
    for (const waiter of this.waiters) waiter.resolve(mux);
    this.waiters.clear();
    const lost = (end: MuxEnd): void => {
      if (this.current !== mux) return;
      this.current = undefined;
      if (!this.stopped) this.schedule(end.error ?? new WispError('MuxClosed', 'the connection closed'));
    };
    // eslint-disable-next-line rxjs-x/no-ignored-subscription -- closed$ emits once and completes
    mux.closed$.subscribe({ next: lost, error: (error: WispError) => lost({ error }) });
  }

  private schedule(error: unknown): void {
    const base = this.delayMs;
    this.delayMs = Math.min(this.factor * base, this.maxDelayMs);
    const delayMs = Math.round(base * (1 + this.jitter * (2 * Math.random() - 1)));
    this.attempts++;
    this.stateSubject$.next({ state: 'backoff', attempt: this.attempts, delayMs, error });
    this.timer = setTimeout(() => void this.attempt(), delayMs);
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    this.stateSubject$.next({ state: 'connecting', attempt: this.attempts });
    try {
      const mux = await this.options.connect();
      if (this.stopped) return void mux.close();
      this.adopt(mux, true);
    } catch (error) {
      if (!this.stopped) this.schedule(error);
    }
  }
}
